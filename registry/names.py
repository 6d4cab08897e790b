"""Rules for package names, shared by the model, the services and the manifest validator."""

from __future__ import annotations

import re
import unicodedata

# Matched against the whole string (fullmatch): "$" would accept a trailing newline.
PACKAGE_NAME_PATTERN = re.compile(r"[a-z][a-z0-9-]{1,62}[a-z0-9]")
MAX_PACKAGE_NAME_LENGTH = 64

# Names that would collide with the shell's own paths, our URLs or common confusion.
RESERVED_PACKAGE_NAMES = frozenset(
    {
        "account",
        "accounts",
        "admin",
        "api",
        "app",
        "assets",
        "auth",
        "cdn",
        "core",
        "dashboard",
        "docs",
        "healthz",
        "login",
        "logout",
        "me",
        "media",
        "naap",
        "new",
        "notifications",
        "null",
        "onboarding",
        "plugin",
        "plugins",
        "profile",
        "publishers",
        "readyz",
        "register",
        "registry",
        "root",
        "schema",
        "settings",
        "shell",
        "signup",
        "static",
        "system",
        "test",
        "undefined",
        "www",
    }
)


def package_name_problem(name: object) -> str | None:
    """Why a package name is refused, or None when it is acceptable."""
    if not isinstance(name, str) or not name:
        return "a package name is required and must be a string"
    if len(name) > MAX_PACKAGE_NAME_LENGTH:
        return f"a package name may be at most {MAX_PACKAGE_NAME_LENGTH} characters"
    if name != name.lower():
        return "a package name must be lowercase"
    if "/" in name or "\\" in name or ".." in name or "." in name:
        return "a package name may not contain dots or slashes"
    if not name[0].isalpha() or not name[0].isascii():
        return "a package name must start with a letter a-z"
    if len(name) < 3:
        return "a package name must be at least 3 characters"
    if not PACKAGE_NAME_PATTERN.fullmatch(name):
        return (
            "a package name may contain only a-z, 0-9 and '-', and must end with a letter or digit"
        )
    if "--" in name:
        return "a package name may not contain '--'"
    if name in RESERVED_PACKAGE_NAMES:
        return f"'{name}' is reserved"
    return None


def global_name_for(name: str) -> str:
    """The window global a package's bundle assigns: my-wallet -> NaapPluginMyWallet."""
    return "NaapPlugin" + "".join(part[:1].upper() + part[1:] for part in name.split("-") if part)


def hidden_characters(text: str) -> list[str]:
    """The control and invisible formatting characters in a text, as U+XXXX: NUL and other
    controls, bidirectional overrides (which can show a name reversed), zero-width spaces and
    joiners (which make two names that look alike). A name shown to people may hold none."""
    found = {char for char in text if unicodedata.category(char) in {"Cc", "Cf"}}
    return [f"U+{ord(char):04X}" for char in sorted(found)]


def hidden_characters_problem(text: str, *, what: str) -> str | None:
    """Why a name shown to people is refused for its hidden characters, or None."""
    hidden = hidden_characters(text)
    if not hidden:
        return None
    return (
        f"{what} may not contain control or invisible formatting characters "
        f"(found {', '.join(hidden)})"
    )
