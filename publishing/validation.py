"""Checks on a plugin's manifest, bundle and styles: one module for the CLI and the server.

Pure Python with no Django imports: the `naap-plugin` CLI runs these same checks on a
publisher's laptop before anything is uploaded, and the publish service runs them again.
Every check collects all of its problems and names the field or file at fault, so a
publisher fixes everything in one round instead of one error per attempt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from registry.names import (
    MAX_PACKAGE_NAME_LENGTH,
    PACKAGE_NAME_PATTERN,
    RESERVED_PACKAGE_NAMES,
    global_name_for,
    package_name_problem,
)
from registry.semver import InvalidVersion, is_valid, parse, satisfies_range

__all__ = [
    "DEFAULT_MAX_BUNDLE_BYTES",
    "KNOWN_CATEGORIES",
    "MAX_PACKAGE_NAME_LENGTH",
    "MAX_STYLES_BYTES",
    "PACKAGE_NAME_PATTERN",
    "RESERVED_PACKAGE_NAMES",
    "RESERVED_ROUTES",
    "ValidationReport",
    "check_bundle",
    "check_styles",
    "facet_category",
    "global_name_for",
    "scan_bundle",
    "validate_manifest",
    "validate_package_name",
]

DEFAULT_MAX_BUNDLE_BYTES = 5 * 1024 * 1024
MAX_STYLES_BYTES = 1024 * 1024

# The shell's own pages: no plugin may take them over, core or not.
RESERVED_ROUTES = frozenset(
    {
        "/settings",
        "/admin",
        "/api",
        "/auth",
        "/login",
        "/signup",
        "/dashboard",
        "/onboarding",
        "/profile",
        "/notifications",
        "/cdn",
        "/plugins",
    }
)
# Paths the server answers itself, so a shell route below them could never be reached.
RESERVED_ROUTE_PREFIXES = ("/api", "/admin", "/cdn", "/auth", "/static")

# The facets of the browse page. Publishers may use any slug; others are counted as "other".
KNOWN_CATEGORIES: tuple[str, ...] = (
    "ai",
    "analytics",
    "communication",
    "developer-tools",
    "finance",
    "infrastructure",
    "media",
    "monitoring",
    "networking",
    "operations",
    "productivity",
    "security",
    "social",
    "storage",
    "other",
)

KNOWN_TOP_LEVEL_FIELDS = frozenset(
    {
        "$schema",
        "name",
        "displayName",
        "version",
        "description",
        "author",
        "repository",
        "license",
        "keywords",
        "category",
        "icon",
        "isCore",
        "shell",
        "dependencies",
        "frontend",
        "backend",
        "database",
        "integrations",
        "permissions",
        "lifecycle",
        "config",
        "rbac",
        "isolation",
    }
)
PERMISSION_GROUPS = ("shell", "apis", "external", "browser")
MAX_DISPLAY_NAME_LENGTH = 100
MAX_KEYWORDS = 20
MAX_KEYWORD_LENGTH = 50
MAX_CATEGORY_LENGTH = 50
CATEGORY_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Above this a bundle still publishes, but staff are told it will slow the shell down.
LARGE_BUNDLE_BYTES = 1024 * 1024


@dataclass
class ValidationReport:
    """Everything wrong (errors) and worth knowing (warnings) about one manifest or file."""

    errors: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # Set when a file is over its size limit, so the API can answer 413 instead of 400.
    too_large: bool = False

    @property
    def ok(self) -> bool:
        """Whether there are no errors (warnings never block a publish)."""
        return not self.errors

    def add_error(self, path: str, message: str) -> None:
        """Record a problem at a field path; the first problem found at a path is kept."""
        self.errors.setdefault(path, message)


# ---------------------------------------------------------------------------------------------
# Names and categories


def validate_package_name(name: Any) -> str | None:
    """Why a package name is refused, or None when it is acceptable."""
    # The rule lives in registry.names so the model, the services and this validator agree.
    return package_name_problem(name)


def facet_category(category: str | None) -> str:
    """The browse facet a category is counted under: a known category or "other"."""
    if not isinstance(category, str):
        return "other"
    normalised = category.strip().lower()
    return normalised if normalised in KNOWN_CATEGORIES else "other"


# ---------------------------------------------------------------------------------------------
# Manifest


def _json_type(value: Any) -> str:
    """The JSON name of a value's type, for messages publishers read against their plugin.json."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _version_problem(value: Any) -> str | None:
    """Why a value is not a SemVer version, naming the usual mistakes specifically."""
    if not isinstance(value, str):
        return f'must be a version string such as "1.2.3", not {_json_type(value)}'
    if is_valid(value):
        return None
    if value[:1] in ("v", "V"):
        return (
            f"'{value}' is not a Semantic Version: drop the leading '{value[0]}' (use {value[1:]})"
        )
    core = re.split(r"[-+]", value, maxsplit=1)[0]
    numbers = core.split(".")
    if all(part.isdigit() for part in numbers) and len(numbers) != 3:
        return (
            f"'{value}' is not a Semantic Version: use three numbers MAJOR.MINOR.PATCH, e.g. 1.0.0"
        )
    if any(len(part) > 1 and part.startswith("0") and part.isdigit() for part in numbers):
        return f"'{value}' is not a Semantic Version: numbers may not have leading zeros"
    try:
        parse(value)
    except InvalidVersion as error:
        return str(error)
    return None  # pragma: no cover - is_valid and parse agree


class _ManifestChecker:
    """Walks one manifest, collecting every problem into a report; never raises."""

    def __init__(self, manifest: dict, *, is_core: bool) -> None:
        self.manifest = manifest
        self.is_core = is_core
        self.report = ValidationReport()
        name = manifest.get("name")
        self.name = name if isinstance(name, str) else None

    # Small typed checks, each recording an error at `path` and saying whether the value is ok.

    def _error(self, path: str, message: str) -> None:
        self.report.add_error(path, message)

    def _expect_string(self, path: str, value: Any) -> bool:
        if isinstance(value, str):
            return True
        self._error(path, f"{path} must be a string, not {_json_type(value)}")
        return False

    def _expect_object(self, path: str, value: Any) -> bool:
        if isinstance(value, dict):
            return True
        self._error(path, f"{path} must be an object, not {_json_type(value)}")
        return False

    def _expect_string_list(self, path: str, value: Any) -> bool:
        if not isinstance(value, list):
            self._error(path, f"{path} must be a list of strings, not {_json_type(value)}")
            return False
        ok = True
        for index, item in enumerate(value):
            if not isinstance(item, str):
                self._error(
                    f"{path}[{index}]", f"{path}[{index}] must be a string, not {_json_type(item)}"
                )
                ok = False
        return ok

    def _expect_strings_or_objects(self, path: str, value: Any) -> None:
        if not isinstance(value, list):
            self._error(path, f"{path} must be a list, not {_json_type(value)}")
            return
        for index, item in enumerate(value):
            if not isinstance(item, (str, dict)):
                self._error(
                    f"{path}[{index}]",
                    f"{path}[{index}] must be a string or an object, not {_json_type(item)}",
                )

    def _optional_strings(self, container: dict, prefix: str, keys: tuple[str, ...]) -> None:
        for key in keys:
            if key in container:
                self._expect_string(f"{prefix}{key}", container[key])

    # The manifest, field by field.

    def check(self) -> ValidationReport:
        self._check_name()
        self._check_display_name()
        self._check_version()
        self._check_optional_top_level_fields()
        self._check_author()
        self._check_repository()
        self._check_keywords()
        self._check_category()
        self._check_is_core()
        self._check_shell()
        self._check_dependencies()
        self._check_frontend()
        self._check_permissions()
        self._check_config()
        self._check_rbac()
        self._check_unknown_fields()
        return self.report

    def _check_name(self) -> None:
        if "name" not in self.manifest:
            self._error("name", "name is required: a lowercase package name such as my-wallet")
            return
        problem = validate_package_name(self.manifest["name"])
        if problem:
            self._error("name", problem)

    def _check_display_name(self) -> None:
        if "displayName" not in self.manifest:
            self._error("displayName", 'displayName is required: a title such as "My Wallet"')
            return
        value = self.manifest["displayName"]
        if not self._expect_string("displayName", value):
            return
        if not value.strip():
            self._error("displayName", "displayName may not be empty")
        elif len(value) > MAX_DISPLAY_NAME_LENGTH:
            self._error(
                "displayName",
                f"displayName is {len(value)} characters; "
                f"it may be at most {MAX_DISPLAY_NAME_LENGTH}",
            )

    def _check_version(self) -> None:
        if "version" not in self.manifest:
            self._error("version", "version is required: a Semantic Version such as 1.0.0")
            return
        problem = _version_problem(self.manifest["version"])
        if problem:
            self._error("version", f"version {problem}" if problem.startswith("must") else problem)

    def _check_optional_top_level_fields(self) -> None:
        self._optional_strings(self.manifest, "", ("$schema", "description", "license", "icon"))
        for key in ("backend", "database", "lifecycle"):
            if key in self.manifest:
                self._expect_object(key, self.manifest[key])
        if "integrations" in self.manifest and not isinstance(
            self.manifest["integrations"], (dict, list)
        ):
            self._error(
                "integrations",
                "integrations must be an object or a list, "
                f"not {_json_type(self.manifest['integrations'])}",
            )
        # Isolation is either a mode name or an object of options; anything else is a mistake.
        if "isolation" in self.manifest and not isinstance(self.manifest["isolation"], (str, dict)):
            self._error(
                "isolation",
                "isolation must be a string or an object, "
                f"not {_json_type(self.manifest['isolation'])}",
            )

    def _check_author(self) -> None:
        # npm and older NaaP manifests write "Name <email> (url)" as one string; both forms
        # are kept as given rather than forcing every publisher to rewrite their manifest.
        if "author" not in self.manifest:
            return
        author = self.manifest["author"]
        if isinstance(author, str):
            return
        if not isinstance(author, dict):
            self._error(
                "author",
                f"author must be an object {{name, email, url}} or a string, "
                f"not {_json_type(author)}",
            )
            return
        self._optional_strings(author, "author.", ("name", "email", "url"))

    def _check_repository(self) -> None:
        if "repository" not in self.manifest:
            return
        repository = self.manifest["repository"]
        if isinstance(repository, str):
            return
        if not isinstance(repository, dict):
            self._error(
                "repository",
                "repository must be a URL string or an object with a url, "
                f"not {_json_type(repository)}",
            )
            return
        if "url" not in repository:
            self._error("repository.url", "repository.url is required when repository is an object")
        else:
            self._expect_string("repository.url", repository["url"])

    def _check_keywords(self) -> None:
        if "keywords" not in self.manifest:
            return
        keywords = self.manifest["keywords"]
        if not self._expect_string_list("keywords", keywords):
            return
        if len(keywords) > MAX_KEYWORDS:
            self._error(
                "keywords", f"keywords has {len(keywords)} entries; at most {MAX_KEYWORDS} allowed"
            )
        for index, keyword in enumerate(keywords):
            if not keyword.strip():
                self._error(f"keywords[{index}]", f"keywords[{index}] may not be empty")
            elif len(keyword) > MAX_KEYWORD_LENGTH:
                self._error(
                    f"keywords[{index}]",
                    f"keywords[{index}] is {len(keyword)} characters; "
                    f"a keyword may be at most {MAX_KEYWORD_LENGTH}",
                )

    def _check_category(self) -> None:
        if "category" not in self.manifest:
            return
        category = self.manifest["category"]
        if not self._expect_string("category", category):
            return
        if not CATEGORY_PATTERN.match(category) or len(category) > MAX_CATEGORY_LENGTH:
            self._error(
                "category",
                f"category '{category}' must be a slug: lowercase letters, digits and single "
                f"hyphens, at most {MAX_CATEGORY_LENGTH} characters (e.g. developer-tools)",
            )
        elif facet_category(category) == "other" and category != "other":
            self.report.warnings.append(
                f"category '{category}' is not one of the marketplace's categories, "
                "so the browse page lists the plugin under 'other'."
            )

    def _check_is_core(self) -> None:
        if "isCore" not in self.manifest:
            return
        value = self.manifest["isCore"]
        if not isinstance(value, bool):
            self._error("isCore", f"isCore must be true or false, not {_json_type(value)}")
            return
        if value and not self.is_core:
            self.report.warnings.append(
                "The manifest says isCore: true, but the registry honours top-level routes only "
                "when staff have marked the package core; until then its routes must sit under "
                f"{self._plugin_prefix()}."
            )

    def _check_shell(self) -> None:
        if "shell" not in self.manifest:
            return
        shell = self.manifest["shell"]
        if not self._expect_object("shell", shell):
            return
        bounds = {}
        for key in ("minVersion", "maxVersion"):
            if key not in shell:
                continue
            problem = _version_problem(shell[key])
            if problem:
                self._error(f"shell.{key}", f"shell.{key}: {problem}")
            else:
                bounds[key] = shell[key]
        if len(bounds) == 2 and not satisfies_range(
            bounds["minVersion"], maximum=bounds["maxVersion"]
        ):
            self._error(
                "shell.maxVersion",
                f"shell.maxVersion {bounds['maxVersion']} is lower than "
                f"shell.minVersion {bounds['minVersion']}",
            )

    def _check_dependencies(self) -> None:
        # NaaP writes both ["wallet"] and {"wallet": "^1.0.0"}; both are kept as given.
        if "dependencies" not in self.manifest:
            return
        dependencies = self.manifest["dependencies"]
        if isinstance(dependencies, dict):
            return
        if isinstance(dependencies, list):
            self._expect_strings_or_objects("dependencies", dependencies)
            return
        self._error(
            "dependencies",
            f"dependencies must be an object or a list, not {_json_type(dependencies)}",
        )

    def _check_frontend(self) -> None:
        if "frontend" not in self.manifest:
            self._error("frontend", "frontend is required: an object with routes (a list of paths)")
            return
        frontend = self.manifest["frontend"]
        if not self._expect_object("frontend", frontend):
            return
        self._optional_strings(frontend, "frontend.", ("entry", "devEntry", "styles"))
        if "devPort" in frontend:
            port = frontend["devPort"]
            if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
                self._error(
                    "frontend.devPort",
                    f"frontend.devPort must be a whole number from 1 to 65535, not {port!r}",
                )
        routes = self._check_routes(frontend)
        self._check_navigation(frontend, routes)

    def _plugin_prefix(self) -> str:
        return f"/plugins/{self.name or '<name>'}"

    def _check_routes(self, frontend: dict) -> list[str]:
        """Check frontend.routes, returning the routes that passed for the navigation check."""
        if "routes" not in frontend:
            self._error(
                "frontend.routes",
                f'frontend.routes is required: a list of paths such as ["{self._plugin_prefix()}'
                f'", "{self._plugin_prefix()}/*"], or [] for a headless plugin',
            )
            return []
        routes = frontend["routes"]
        if not isinstance(routes, list):
            self._error(
                "frontend.routes",
                f"frontend.routes must be a list of paths, not {_json_type(routes)}",
            )
            return []
        if not routes:
            self.report.warnings.append(
                "frontend.routes is empty, so this is a headless plugin: the shell gives it no "
                "page and no navigation entry."
            )
            return []
        accepted = []
        seen = set()
        for index, route in enumerate(routes):
            path = f"frontend.routes[{index}]"
            if not isinstance(route, str):
                self._error(path, f"{path} must be a path string, not {_json_type(route)}")
                continue
            problem = self._route_problem(route)
            if problem:
                self._error(path, f"route '{route}' {problem}")
                continue
            if route in seen:
                self.report.warnings.append(f"route '{route}' is listed more than once.")
            seen.add(route)
            accepted.append(route)
        return accepted

    def _route_problem(self, route: str) -> str | None:
        """Why one route is refused, or None."""
        if not route.startswith("/"):
            return "must start with '/'"
        if re.search(r"\s", route):
            return "may not contain whitespace"
        if any(char in route for char in "?#\\"):
            return "must be a plain path, without '?', '#' or '\\'"
        if "//" in route:
            return "may not contain '//'"
        segments = route.split("/")[1:]
        if any(segment in (".", "..") for segment in segments) or ".." in route:
            return "may not contain '..' or '.' segments"
        if "*" in route and ("*" in route[:-1] or not route.endswith("/*")):
            return "may use '*' only as a final '/*' segment"
        if len(route) > 1 and route.endswith("/"):
            return "may not end with '/'"
        # Compare case-insensitively so /Settings cannot shadow /settings in a lenient router.
        lowered = route.lower()
        base = lowered[:-2] if lowered.endswith("/*") else lowered
        if lowered == "/*":
            return "would claim every page of the shell"
        if base in RESERVED_ROUTES:
            return f"is reserved for the shell ({base} belongs to NaaP itself)"
        for prefix in RESERVED_ROUTE_PREFIXES:
            if base == prefix or base.startswith(prefix + "/"):
                return (
                    f"is reserved: paths under {prefix} are served by the registry, not the shell"
                )
        own_prefix = self._plugin_prefix()
        under_own_prefix = route == own_prefix or route.startswith(own_prefix + "/")
        if under_own_prefix:
            return None
        if lowered.startswith("/plugins/"):
            # Even core plugins may not squat another package's namespace.
            return f"is under /plugins/ but not this package's prefix: use {own_prefix} or below"
        if not self.is_core:
            return (
                f"is outside this package's prefix: routes must be {own_prefix} or start with "
                f"{own_prefix}/ (top-level routes are for core plugins only)"
            )
        return None

    def _check_navigation(self, frontend: dict, routes: list[str]) -> None:
        if "navigation" not in frontend:
            return
        navigation = frontend["navigation"]
        if not self._expect_object("frontend.navigation", navigation):
            return
        self._optional_strings(
            navigation, "frontend.navigation.", ("label", "icon", "group", "path")
        )
        order = navigation.get("order")
        if "order" in navigation and (
            isinstance(order, bool) or not isinstance(order, (int, float))
        ):
            self._error(
                "frontend.navigation.order",
                f"frontend.navigation.order must be a number, not {_json_type(order)}",
            )
        if frontend.get("routes") == []:
            self.report.warnings.append(
                "frontend.navigation is ignored because the plugin has no routes."
            )
            return
        path = navigation.get("path")
        # A navigation entry that leads outside the plugin's own routes would be a dead link
        # (the shell's navigate() is limited to them), so it is an error, not a warning.
        if isinstance(path, str) and routes and not any(_route_covers(r, path) for r in routes):
            self._error(
                "frontend.navigation.path",
                f"frontend.navigation.path '{path}' is not one of the plugin's routes "
                f"({', '.join(routes)})",
            )

    def _check_permissions(self) -> None:
        if "permissions" not in self.manifest:
            return
        permissions = self.manifest["permissions"]
        if not self._expect_object("permissions", permissions):
            return
        for group in PERMISSION_GROUPS:
            if group in permissions:
                self._expect_string_list(f"permissions.{group}", permissions[group])
        for group in permissions:
            if group not in PERMISSION_GROUPS:
                self.report.warnings.append(
                    f"unknown permission group 'permissions.{group}' is kept but ignored "
                    f"(known groups: {', '.join(PERMISSION_GROUPS)})."
                )

    def _check_config(self) -> None:
        if "config" not in self.manifest:
            return
        config = self.manifest["config"]
        if not self._expect_object("config", config) or "schema" not in config:
            return
        schema = config["schema"]
        if not self._expect_object("config.schema", schema):
            return
        # Install-time config is one JSON object per tenant, so its schema must describe one.
        if "type" in schema and schema["type"] != "object":
            self._error(
                "config.schema.type",
                f'config.schema.type must be "object", not {schema["type"]!r}',
            )
        if "properties" in schema:
            properties = schema["properties"]
            if self._expect_object("config.schema.properties", properties):
                for key, definition in properties.items():
                    self._expect_object(f"config.schema.properties.{key}", definition)
        if "required" in schema:
            self._expect_string_list("config.schema.required", schema["required"])

    def _check_rbac(self) -> None:
        if "rbac" not in self.manifest:
            return
        rbac = self.manifest["rbac"]
        if not self._expect_object("rbac", rbac):
            return
        # NaaP uses plain strings ("gateway:read") and richer objects side by side.
        for key in ("roles", "permissions"):
            if key in rbac:
                self._expect_strings_or_objects(f"rbac.{key}", rbac[key])

    def _check_unknown_fields(self) -> None:
        for key in self.manifest:
            if key not in KNOWN_TOP_LEVEL_FIELDS:
                self.report.warnings.append(f"unknown field '{key}' is kept but ignored.")


def _route_covers(route: str, path: str) -> bool:
    """Whether a navigation path lands on a route (exactly, or below a '/*' wildcard)."""
    if route == path:
        return True
    if route.endswith("/*"):
        base = route[:-2]
        return path == base or path.startswith(base + "/")
    return False


def validate_manifest(manifest: Any, *, is_core: bool) -> ValidationReport:
    """Check a plugin.json (already parsed) and report every problem at once."""
    if not isinstance(manifest, dict):
        report = ValidationReport()
        report.add_error(
            "manifest", f"the manifest must be a JSON object {{...}}, not {_json_type(manifest)}"
        )
        return report
    return _ManifestChecker(manifest, is_core=is_core).check()


# ---------------------------------------------------------------------------------------------
# Bundle and styles

# Strings are matched so that "//" inside them is not mistaken for a comment; every
# alternative may end at the end of its line or text, so the scan is linear even on
# malformed input. Regular-expression literals are not understood, which only ever makes
# the scan see a little more or a little less text than a real parser would.
_JS_STRING = (
    r"\"[^\"\\\n]*(?:\\.[^\"\\\n]*)*(?:\"|$)"
    r"|'[^'\\\n]*(?:\\.[^'\\\n]*)*(?:'|$)"
    r"|`[^`\\]*(?:\\[\s\S][^`\\]*)*(?:`|\Z)"
)
# One match per comment: the code before it (strings whole; a quote that opens no string is
# one character of code), then the comment, or the end of the text after the last one. The
# engine walks over the code itself, so Python runs once per comment, not once per string;
# the code part stops only where a comment starts, so it never needs to backtrack.
_CODE_THEN_COMMENT = re.compile(
    r"((?:[^\"'`/]+|" + _JS_STRING + r"|[\"'`]|/(?![/*]))*+)(//[^\n]*|/\*[\s\S]*?(?:\*/|\Z)|\Z)",
    re.MULTILINE,
)

# Patterns scanned over whole bundles start with their literal word and check what precedes
# it with a look-behind that repeats the word: the regex engine then jumps between
# occurrences of the word instead of trying the look-behind at every character.
_MOUNT_DEFINITION = re.compile(
    r"mount(?:"
    r"(?<![\w$]mount)\s*(?:\(|:|=(?![=>]))"  # mount(...){, mount: fn, exports.mount = fn
    r"|(?<=[\"'`]mount)[\"'`]"  # "mount" as a key or export name
    r"|(?P<shorthand>\s*[,}])"  # { mount, unmount } shorthand, if { or , comes before it
    r")"
)
_ANY_PLUGIN_GLOBAL = re.compile(r"NaapPlugin(?<![\w$]NaapPlugin)[A-Za-z0-9_$]*")
_LEXICAL_PREFIX = re.compile(r"(?<![\w$])(?:const|let)\s+$")


def _without_comments(code: str) -> str:
    """The JavaScript source with comments blanked out and strings kept."""
    return _CODE_THEN_COMMENT.sub(lambda match: match[1] + " " if match[2] else match[1], code)


@dataclass
class _GlobalSearch:
    found: bool
    # Declared with const/let only: a script-level binding that never becomes window[name].
    lexical_only: bool = False
    other_globals: tuple[str, ...] = ()


def _find_global(code: str, global_name: str) -> _GlobalSearch:
    """Look for an assignment of window[global_name] in the forms bundlers emit."""
    name = re.escape(global_name)
    end = r"(?![\w$])"
    direct_patterns = (
        rf"\.\s*{name}{end}\s*=(?![=>])",  # window.X =, globalThis.X =, root.X = (UMD)
        rf"\[\s*([\"'`]){name}\1\s*\]\s*=(?![=>])",  # root["X"] = (webpack UMD)
        rf"var(?<![\w$.]var)\s+{name}{end}",  # var X = (() => {...})() (esbuild IIFE)
        rf"defineProperty\s*\(\s*[\w$.]+\s*,\s*([\"'`]){name}\1",
    )
    if any(re.search(pattern, code) for pattern in direct_patterns):
        return _GlobalSearch(found=True)
    lexical = False
    for match in re.finditer(rf"{name}(?<![\w$.]{name})\s*=(?![=>])", code):
        # A bare top-level `X = ...` creates the global; `const X = ...` does not.
        if _LEXICAL_PREFIX.search(code, max(0, match.start() - 16), match.start()):
            lexical = True
            continue
        return _GlobalSearch(found=True)
    others = sorted({m.group() for m in _ANY_PLUGIN_GLOBAL.finditer(code)} - {global_name})
    return _GlobalSearch(found=False, lexical_only=lexical, other_globals=tuple(others[:5]))


def _has_mount(code: str) -> bool:
    for match in _MOUNT_DEFINITION.finditer(code):
        if match["shorthand"] is None:
            return True
        before = match.start() - 1
        while before >= 0 and code[before].isspace():
            before -= 1
        if before >= 0 and code[before] in "{,":
            return True
    return False


def _describe_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size} bytes ({size / (1024 * 1024):.1f} MiB)"
    if size >= 1024:
        return f"{size} bytes ({size / 1024:.1f} KiB)"
    return f"{size} bytes"


def _check_file_basics(
    content: bytes, *, key: str, label: str, max_bytes: int, report: ValidationReport
) -> str | None:
    """Size and encoding checks shared by bundles and styles; returns the text when they pass."""
    if not content:
        report.add_error(key, f"the {label} is empty")
        return None
    if len(content) > max_bytes:
        report.too_large = True
        report.add_error(
            key,
            f"the {label} is {_describe_size(len(content))}, over the limit of "
            f"{_describe_size(max_bytes)}",
        )
        return None
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        report.add_error(
            key, f"the {label} is not valid UTF-8 (first bad byte at offset {error.start})"
        )
        return None
    return text.removeprefix("\ufeff")


def _global_problem(search: _GlobalSearch, global_name: str) -> str:
    message = (
        f"the bundle must assign the global {global_name} (build with naap-plugin build, or set "
        f"output.library.name to {global_name} in webpack, --global-name={global_name} in esbuild)"
    )
    if search.lexical_only:
        message += (
            f"; it declares {global_name} with const or let, which does not create "
            f"window.{global_name}: use var or window.{global_name} ="
        )
    elif search.other_globals:
        message += f"; it mentions {', '.join(search.other_globals)} instead"
    return message


def _mount_problem(global_name: str) -> str:
    return (
        f"the bundle must define a mount function on {global_name} "
        "(export mount(container, context) from the plugin's entry)"
    )


def check_bundle(bundle: bytes, *, package_name: str, max_bytes: int) -> ValidationReport:
    """Check a bundle's size, encoding, plugin global and mount function."""
    report = ValidationReport()
    text = _check_file_basics(
        bundle, key="bundle", label="bundle", max_bytes=max_bytes, report=report
    )
    if text is None:
        return report
    code = _without_comments(text)
    global_name = global_name_for(package_name)
    problems = []
    search = _find_global(code, global_name)
    if not search.found:
        problems.append(_global_problem(search, global_name))
    if not _has_mount(code):
        problems.append(_mount_problem(global_name))
    if problems:
        # One key per file, as the API and CLI show one line per field.
        report.add_error("bundle", "; and ".join(problems))
    return report


_EXTERNAL_IMPORT = re.compile(
    r"@import\s+(?:url\(\s*)?[\"']?\s*(?:https?:)?//([^\s\"')/;]+)", re.IGNORECASE
)


def check_styles(styles: bytes, *, max_bytes: int = MAX_STYLES_BYTES) -> ValidationReport:
    """Check a stylesheet's size and encoding (an empty file is refused)."""
    report = ValidationReport()
    text = _check_file_basics(
        styles, key="styles", label="stylesheet", max_bytes=max_bytes, report=report
    )
    if text is None:
        return report
    hosts = sorted({match.group(1).lower() for match in _EXTERNAL_IMPORT.finditer(text)})
    if hosts:
        report.warnings.append(
            f"The stylesheet @imports from {', '.join(hosts)}; the shell's Content-Security-"
            "Policy allows styles only from the registry's CDN, so bundle them into the file."
        )
    return report


# ---------------------------------------------------------------------------------------------
# Automated review findings (SPEC §7)

# Literal first, look-behind after (see _MOUNT_DEFINITION), for the same reason.
_EVAL_CALL = re.compile(r"eval(?<![\w$]eval)\s*\(")
_NEW_FUNCTION = re.compile(r"new(?<![\w$]new)\s+Function\s*\(")
_URL_AUTHORITY = re.compile(
    r"://(?:(?<=(?<![\w.+-])https://)|(?<=(?<![\w.+-])http://)"
    r"|(?<=(?<![\w.+-])wss://)|(?<=(?<![\w.+-])ws://))"
    r"([^\s\"'`<>()\[\]\\/?#,;{}]+)",
    re.I,
)
_HOST = re.compile(r"^[a-z0-9-]+(?:\.[a-z0-9-]+)*$")
# Hosts that appear in bundles as XML namespaces, license banners or error-message links,
# not as places the plugin talks to; listing them would only bury the hosts that matter.
IGNORED_URL_HOSTS = frozenset(
    {
        "www.w3.org",
        "w3.org",
        "reactjs.org",
        "legacy.reactjs.org",
        "react.dev",
        "fb.me",
        "schema.org",
        "json-schema.org",
        "ns.adobe.com",
        "purl.org",
        "www.apache.org",
        "opensource.org",
        "developer.mozilla.org",
    }
)


def _host_of(authority: str) -> str | None:
    try:
        host = urlsplit("http://" + authority).hostname
    except ValueError:
        return None
    if not host or not _HOST.match(host):
        return None  # e.g. a template string such as https://${host}/
    return host


def _declared_hosts(manifest: dict) -> list[str]:
    permissions = manifest.get("permissions")
    external = permissions.get("external") if isinstance(permissions, dict) else None
    if not isinstance(external, list):
        return []
    hosts = []
    for entry in external:
        if not isinstance(entry, str):
            continue
        text = entry.strip().lower()
        authority = text.split("://", 1)[1] if "://" in text else text
        authority = authority.split("/", 1)[0]
        if authority.startswith("*."):
            hosts.append(authority)  # a wildcard such as *.example.com
        elif host := _host_of(authority):
            hosts.append(host)
    return hosts


def _host_is_declared(host: str, declared: list[str]) -> bool:
    for pattern in declared:
        if pattern.startswith("*.") and host.endswith(pattern[1:]):
            return True
        if host == pattern:
            return True
    return False


def _finding(check: str, severity: str, message: str, detail: Any = None) -> dict:
    return {"check": check, "severity": severity, "message": message, "detail": detail}


def _permission_finding(manifest: dict) -> dict:
    permissions = manifest.get("permissions")
    requested = {}
    if isinstance(permissions, dict):
        for group in PERMISSION_GROUPS:
            values = permissions.get(group)
            if isinstance(values, list) and values:
                requested[group] = [str(value) for value in values]
    if not requested:
        return _finding("permission", "info", "The manifest asks for no permissions.", {})
    listing = "; ".join(f"{group}: {', '.join(values)}" for group, values in requested.items())
    return _finding(
        "permission", "info", f"The manifest asks for these permissions: {listing}.", requested
    )


def scan_bundle(bundle_text: str, *, package_name: str, manifest: dict) -> list[dict]:
    """The automated review findings stored on a version and shown to publishers and staff."""
    manifest = manifest if isinstance(manifest, dict) else {}
    code = _without_comments(bundle_text)
    global_name = global_name_for(package_name)
    findings = []

    size = len(bundle_text.encode("utf-8", errors="replace"))
    if size >= LARGE_BUNDLE_BYTES:
        findings.append(
            _finding(
                "size",
                "warning",
                f"The bundle is {_describe_size(size)}, which is large and slows the shell's "
                "first load; share React and other libraries through the shell's globals.",
                {"bytes": size},
            )
        )
    else:
        findings.append(
            _finding("size", "info", f"The bundle is {_describe_size(size)}.", {"bytes": size})
        )

    if count := len(_EVAL_CALL.findall(code)):
        findings.append(
            _finding(
                "eval",
                "warning",
                f"The bundle calls eval() {count} time(s); it runs arbitrary code as a string "
                "and deserves a reviewer's look.",
                {"count": count},
            )
        )
    if count := len(_NEW_FUNCTION.findall(code)):
        findings.append(
            _finding(
                "new-function",
                "warning",
                f"The bundle uses new Function() {count} time(s); like eval it builds code from "
                "strings and deserves a reviewer's look.",
                {"count": count},
            )
        )

    hosts = sorted(
        {
            host
            for match in _URL_AUTHORITY.finditer(code)
            if (host := _host_of(match.group(1))) and host not in IGNORED_URL_HOSTS
        }
    )
    if hosts:
        declared = _declared_hosts(manifest)
        undeclared = [host for host in hosts if not _host_is_declared(host, declared)]
        message = f"The bundle contains URLs on {len(hosts)} external host(s): {', '.join(hosts)}."
        if undeclared:
            message += f" Not declared in permissions.external: {', '.join(undeclared)}."
        findings.append(
            _finding("external-url", "warning", message, {"hosts": hosts, "undeclared": undeclared})
        )

    findings.append(_permission_finding(manifest))

    search = _find_global(code, global_name)
    if search.found:
        findings.append(_finding("global", "info", f"The bundle assigns the global {global_name}."))
    else:
        findings.append(
            _finding(
                "global",
                "error",
                f"The bundle does not assign the global {global_name}, so the shell cannot "
                "find the plugin.",
                {"expected": global_name, "found": list(search.other_globals)},
            )
        )
    if _has_mount(code):
        findings.append(_finding("mount", "info", "The bundle defines a mount function."))
    else:
        findings.append(
            _finding(
                "mount",
                "error",
                "The bundle has no mount function, so the shell cannot start the plugin.",
            )
        )
    return findings
