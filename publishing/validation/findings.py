"""The automated review findings (SPEC §7) stored on a version for publishers and staff."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from publishing.validation.javascript import find_global, has_mount, without_comments
from publishing.validation.manifest import PERMISSION_GROUPS
from publishing.validation.report import describe_size
from registry.names import global_name_for
from registry.origins import declared_origins
from registry.routes import RouteRequest, own_prefix
from registry.umd import BundleGlobals, read_bundle_globals

# Above this a bundle still publishes, but staff are told it will slow the shell down.
LARGE_BUNDLE_BYTES = 1024 * 1024

# Literal first, look-behind after, for the reason given in publishing.validation.javascript.
_EVAL_CALL = re.compile(r"eval(?<![\w$]eval)\s*\(")
_NEW_FUNCTION = re.compile(r"new(?<![\w$]new)\s+Function\s*\(")
_URL_AUTHORITY = re.compile(
    r"://(?:(?<=(?<![\w.+-])https://)|(?<=(?<![\w.+-])http://)"
    r"|(?<=(?<![\w.+-])wss://)|(?<=(?<![\w.+-])ws://))"
    r"([^\s\"'`<>()\[\]\\/?#,;{}]+)",
    re.I,
)
_HOST = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)*")
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
    if not host or not _HOST.fullmatch(host):
        return None  # e.g. a template string such as https://${host}/
    return host


def _declared_hosts(manifest: dict) -> list[str]:
    """The hosts of the origins the manifest declares (permissions.external, backend.url)."""
    return [urlsplit(origin).hostname or "" for origin in declared_origins(manifest)]


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


def _globals_finding(bundle_globals: BundleGlobals) -> dict:
    needed = bundle_globals.shell_globals
    detail = {"shellGlobals": needed, "unprovided": list(bundle_globals.unprovided)}
    if bundle_globals.unprovided:
        missing = ", ".join(bundle_globals.unprovided)
        return _finding(
            "shell-globals",
            "warning",
            f"The bundle's UMD wrapper reads the page globals {missing}, which the shell does "
            "not provide (only React and ReactDOM): bundle those libraries instead of marking "
            "them external, or the plugin will find them undefined.",
            detail,
        )
    if needed:
        return _finding(
            "shell-globals",
            "info",
            f"The bundle uses the shell's {' and '.join(needed)}, loaded before it runs.",
            detail,
        )
    return _finding(
        "shell-globals", "info", "The bundle reads none of the shell's globals.", detail
    )


def scan_bundle(
    bundle_text: str,
    *,
    package_name: str,
    manifest: dict,
    bundle_globals: BundleGlobals | None = None,
) -> list[dict]:
    """The automated review findings stored on a version and shown to publishers and staff.

    `bundle_globals` is what registry.umd read from the same bundle, when the caller has it.
    """
    manifest = manifest if isinstance(manifest, dict) else {}
    code = without_comments(bundle_text)
    global_name = global_name_for(package_name)
    findings = []

    size = len(bundle_text.encode("utf-8", errors="replace"))
    if size >= LARGE_BUNDLE_BYTES:
        findings.append(
            _finding(
                "size",
                "warning",
                f"The bundle is {describe_size(size)}, which is large and slows the shell's "
                "first load; share React and other libraries through the shell's globals.",
                {"bytes": size},
            )
        )
    else:
        findings.append(
            _finding("size", "info", f"The bundle is {describe_size(size)}.", {"bytes": size})
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
        declared = set(_declared_hosts(manifest))
        undeclared = [host for host in hosts if host not in declared]
        message = f"The bundle contains URLs on {len(hosts)} external host(s): {', '.join(hosts)}."
        if undeclared:
            message += f" Not declared in permissions.external: {', '.join(undeclared)}."
        findings.append(
            _finding("external-url", "warning", message, {"hosts": hosts, "undeclared": undeclared})
        )

    findings.append(_permission_finding(manifest))
    if bundle_globals is None:
        bundle_globals = read_bundle_globals(bundle_text)
    findings.append(_globals_finding(bundle_globals))

    search = find_global(code, global_name)
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
    if has_mount(code):
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


def route_finding(request: RouteRequest, *, name: str) -> dict:
    """The review finding of a version that asks for routes or core status."""
    message = (
        f"The manifest asks for {request.describe()}, which '{name}' has not been granted: "
        f"routes outside {own_prefix(name)} need a staff approval, which grants them to the "
        "package for its later versions too."
    )
    detail = {"routes": list(request.routes), "isCore": request.core}
    return _finding("routes", "warning", message, detail)


def origin_finding(new: list[str], *, name: str) -> dict:
    """The review finding of a version declaring origins not yet approved for its package."""
    message = (
        f"The manifest declares {len(new)} origin(s) not yet approved for '{name}': "
        f"{', '.join(new)}. Approving this version lets the plugin's code connect to them from "
        "the shell (connect-src), for its later versions too."
    )
    return _finding("origins", "warning", message, {"origins": list(new)})
