"""What pages that run plugins with the shell runtime (static/naap/shell.js) share, and the
small lookup that tells the shell which versions use the shell's React (docs/shell-runtime.md).
The demo shell is installs.shell_views; a version's preview page is publishing.preview_views:
it may show files in review, which only publishing can sign."""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.http import HttpRequest, JsonResponse
from django.templatetags.static import static
from django.views.decorators.http import require_safe

from naap.api import error_body
from naap.errors import NotFound
from registry import selectors
from registry.models import PluginVersion
from registry.umd import shell_globals_of_bundle

# React 18's UMD builds, put into static/vendor/react/ by `make vendor` (never committed).
REACT_FILES = {
    "react": "vendor/react/react.production.min.js",
    "reactDom": "vendor/react/react-dom.production.min.js",
}
MAX_GLOBALS_LOOKUP = 50
_integrity_cache: dict[tuple[str, int], str] = {}


def subresource_integrity(path: Path) -> str:
    """The sha384 SRI value of a file, remembered while the file is unchanged."""
    stat = path.stat()
    key = (str(path), stat.st_mtime_ns)
    if key not in _integrity_cache:
        digest = hashlib.sha384(path.read_bytes()).digest()
        _integrity_cache[key] = "sha384-" + base64.b64encode(digest).decode("ascii")
    return _integrity_cache[key]


def react_assets() -> dict[str, dict[str, str]] | None:
    """URLs and SRI values of our React UMD files, or None when they are not installed."""
    assets = {}
    for key, name in REACT_FILES.items():
        found = finders.find(name)
        if not found:
            return None
        try:
            url = static(name)
        except ValueError:  # a manifest storage that has not collected it
            return None
        assets[key] = {"url": url, "integrity": subresource_integrity(Path(found))}
    return assets


def shell_globals_of(version: PluginVersion) -> list[str]:
    """The shell globals the shell loads before a version's bundle (React, ReactDOM, or none).

    Recorded on the version when it was published (registry/umd.py reads the bundle's UMD
    wrapper). A version published before that is read from its stored bundle the same way
    until `manage.py record_shell_globals` records it; the answer is cached for good under
    the bundle's sha256, since a published bundle never changes.
    """
    if version.shell_globals is not None:
        return list(version.shell_globals)
    if not version.bundle_key:
        return []
    cache_key = f"naap:shell-globals:2:{version.bundle_sha256 or version.bundle_key}"
    known = cache.get(cache_key)
    if known is not None:
        return known
    data = selectors.stored_bundle(version)
    if data is None:
        return []
    globals_used = shell_globals_of_bundle(data)
    cache.set(cache_key, globals_used, timeout=None)
    return globals_used


def person_roles(user) -> list[str]:
    """The roles plugins see (auth.hasRole): "user", plus "staff", plus "superuser" and
    upstream NaaP's "system:admin" for superusers; team roles are added by the shell frame."""
    roles = ["user"]
    if user.is_staff:
        roles.append("staff")
    if user.is_superuser:
        roles += ["superuser", "system:admin"]
    return roles


def runtime_config(request: HttpRequest) -> dict[str, Any]:
    """What configureShell() needs on every page that runs plugins."""
    user = request.user
    return {
        "user": {
            "id": user.pk,
            "username": user.get_username(),
            "displayName": user.get_full_name() or user.get_username(),
            "roles": person_roles(user),
        }
        if user.is_authenticated
        else None,
        "shellVersion": settings.NAAP_SHELL_VERSION,
        "apiBase": "/api/v1",
        "react": react_assets(),
    }


@require_safe
def shell_globals(request: HttpRequest) -> JsonResponse:
    """?plugin=name@version (repeatable): which shell globals each published version uses."""
    wanted = request.GET.getlist("plugin")
    if len(wanted) > MAX_GLOBALS_LOOKUP:
        message = f"Ask about at most {MAX_GLOBALS_LOOKUP} versions at once."
        return JsonResponse(error_body("BAD_REQUEST", message), status=400)
    answer: dict[str, list[str]] = {}
    for reference in wanted:
        name, _, version = reference.partition("@")
        if not name or not version or version == "latest":
            continue
        try:
            found = selectors.resolve_version(name=name, version=version)
        except NotFound:
            continue
        if found.package.preview:
            # A public, shared answer: previews' versions carry their globals in their
            # manifests (`shellGlobals`), which only their testers are sent.
            continue
        answer[reference] = shell_globals_of(found)
    response = JsonResponse({"success": True, "data": answer})
    # Published files never change, so neither does the answer for a version.
    response["Cache-Control"] = "public, max-age=86400"
    # Public facts, asked by the sandboxed shell frame, whose origin is opaque.
    response["Access-Control-Allow-Origin"] = "*"
    return response
