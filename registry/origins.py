"""The origins a plugin declares it connects to, and which of them staff approved.

A manifest declares the places its plugin's code talks to in `permissions.external` (NaaP's
"external URLs this plugin can access"; a single word there, such as NaaP's `"ethereum"`, names
a service and declares no origin) and, for a plugin with its own backend served apart from the
marketplace, in `backend.url`. Each entry is reduced to an origin
(`scheme://host[:port]`); the shell's sandboxed frame lets a loaded plugin connect to the
origins of its manifest that staff approved for its package (`PluginPackage.granted_origins`),
and to nothing else (docs/shell-runtime.md, "CSP"; docs/decisions.md, "Declared origins").

Pure functions, without Django, so the CLI's validator applies the same rules as the server.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any
from urllib.parse import urlsplit

# A manifest may declare this many origins in all (permissions.external and backend.url).
MAX_DECLARED_ORIGINS = 20
# One entry, as written (a URL with a path is longer than its origin).
MAX_ORIGIN_TEXT_LENGTH = 255
# Schemes a plugin may connect with. Plain http and ws only to this machine (the browser
# treats loopback as a secure context; anything else would travel in clear text).
SECURE_SCHEMES = ("https", "wss")
LOOPBACK_SCHEMES = ("http", "ws")
LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]"})
DEFAULT_PORTS = {"https": 443, "wss": 443, "http": 80, "ws": 80}

_LABEL = r"(?!-)[a-z0-9-]{1,63}(?<!-)"
_DNS_NAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})+")
_SERVICE_NAME = re.compile(r"[A-Za-z0-9_-]+")
# Characters that could end a source expression or a directive in the header.
_UNSAFE = re.compile(r"[\s;,'\"*\\<>`^{}|]")


class OriginProblem(ValueError):
    """Why one declared entry is not an origin the shell can allow."""


def _host_problem(host: str) -> str | None:
    if host in LOOPBACK_HOSTS:
        return None
    if not host.isascii():
        return "its host must be ASCII: write an internationalised name in its xn-- form"
    if host.startswith("["):
        return "an IPv6 address other than [::1] is not accepted: use a host name"
    try:
        address = ipaddress.IPv4Address(host)
    except ValueError:
        address = None
    if address is not None:
        return None if address.is_global else "a private or reserved IP address is not accepted"
    if not _DNS_NAME.fullmatch(host) or len(host) > 253:
        return f"'{host}' is not a host name such as api.example.com"
    return None


def normalize_origin(text: Any) -> str:
    """The origin (`scheme://host[:port]`, lowercase, default port dropped) of one declared
    entry: a URL (its path is ignored) or a bare host, taken as https. Raises OriginProblem."""
    if not isinstance(text, str):
        raise OriginProblem("must be a string such as https://api.example.com")
    value = text.strip()
    if not value:
        raise OriginProblem("may not be empty")
    if len(value) > MAX_ORIGIN_TEXT_LENGTH:
        raise OriginProblem(f"is {len(value)} characters; at most {MAX_ORIGIN_TEXT_LENGTH}")
    if "*" in value:
        raise OriginProblem(
            "may not contain a wildcard: declare each origin the plugin connects to, "
            "such as https://api.example.com"
        )
    if _UNSAFE.search(value):
        raise OriginProblem("contains a space, quote or separator that no URL has")
    if "://" not in value:
        value = "https://" + value
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as error:
        raise OriginProblem(f"is not a URL ({error})") from None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if parts.hostname and ":" in parts.hostname:
        host = f"[{host}]"
    if parts.username is not None or parts.password is not None:
        raise OriginProblem("may not carry a user name or password")
    if parts.query or parts.fragment:
        raise OriginProblem("may not have a query or fragment: declare the origin")
    if not host:
        raise OriginProblem("has no host")
    if scheme in LOOPBACK_SCHEMES:
        if host not in LOOPBACK_HOSTS:
            raise OriginProblem(
                f"uses {scheme}://, which is accepted only for localhost and 127.0.0.1: "
                f"use {'https' if scheme == 'http' else 'wss'}://"
            )
    elif scheme not in SECURE_SCHEMES:
        raise OriginProblem(f"uses the scheme '{scheme}': only https:// and wss:// are accepted")
    if problem := _host_problem(host):
        raise OriginProblem(problem)
    if port is not None and port != DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}:{port}"
    return f"{scheme}://{host}"


def names_a_service(text: Any) -> bool:
    """Whether a permissions.external entry names a service rather than a place: NaaP's own
    manifests write `"external": ["ethereum"]`. A single word (no scheme, dot, colon or slash)
    declares no origin and is kept as given."""
    return isinstance(text, str) and bool(_SERVICE_NAME.fullmatch(text.strip()))


def declared_entries(manifest: Any) -> list[tuple[str, Any]]:
    """Every entry a manifest declares an origin with, and its field path, in order (service
    names in permissions.external declare none)."""
    if not isinstance(manifest, dict):
        return []
    entries: list[tuple[str, Any]] = []
    backend = manifest.get("backend")
    if isinstance(backend, dict) and "url" in backend:
        entries.append(("backend.url", backend["url"]))
    permissions = manifest.get("permissions")
    external = permissions.get("external") if isinstance(permissions, dict) else None
    if isinstance(external, list):
        for index, item in enumerate(external):
            if not names_a_service(item):
                entries.append((f"permissions.external[{index}]", item))
    return entries


def origin_problems(manifest: Any) -> dict[str, str]:
    """What is wrong with the origins a manifest declares, by field path (empty when nothing)."""
    entries = declared_entries(manifest)
    problems: dict[str, str] = {}
    if len(entries) > MAX_DECLARED_ORIGINS:
        problems["permissions.external"] = (
            f"the manifest declares {len(entries)} origins (permissions.external and "
            f"backend.url); at most {MAX_DECLARED_ORIGINS} allowed"
        )
        return problems
    for path, text in entries:
        try:
            normalize_origin(text)
        except OriginProblem as problem:
            problems[path] = f"{path} {problem}"
    return problems


def declared_origins(manifest: Any) -> list[str]:
    """The origins a manifest declares, normalised, once each, in order; entries that are not
    valid origins (refused at publish, so only in hand-made rows) are left out."""
    origins: list[str] = []
    for _path, text in declared_entries(manifest)[:MAX_DECLARED_ORIGINS]:
        try:
            origin = normalize_origin(text)
        except OriginProblem:
            continue
        if origin not in origins:
            origins.append(origin)
    return origins


def new_origins(manifest: Any, *, granted: list[str]) -> list[str]:
    """The declared origins staff have not approved for the package yet."""
    return [origin for origin in declared_origins(manifest) if origin not in granted]


def approved_origins(manifest: Any, *, granted: list[str]) -> list[str]:
    """The declared origins staff approved: what the shell lets this plugin connect to."""
    return [origin for origin in declared_origins(manifest) if origin in granted]
