"""The Content-Security-Policy of the sandboxed frames plugin code runs in, per response.

The frame's policy is the site's (settings.PLUGIN_FRAME_CSP) with one difference: its
`connect-src` also names the origins the plugins that page loads declare and staff approved
(registry.origins). It is computed for each response from the versions the page loads, so a
page without such plugins gets exactly the site's frame policy, and the marketplace's own
pages never see these origins (docs/shell-runtime.md, "CSP").
"""

from __future__ import annotations

from collections.abc import Iterable

from django.conf import settings
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csp import csp_override

from registry.models import PluginVersion
from registry.origins import approved_origins, declared_origins


def frame_csp(origins: Iterable[str]) -> dict:
    """The frame's policy, letting its code also connect to these (validated) origins."""
    config = dict(settings.PLUGIN_FRAME_CSP)
    connect = list(config.get("connect-src") or [])
    for origin in origins:
        if origin not in connect:
            connect.append(origin)
    config["connect-src"] = connect
    return config


def approved_origins_of(plugins: Iterable[tuple[str, str]]) -> list[str]:
    """The approved origins of these (package name, version) pairs, in their order, once each:
    each version's declared origins that its package's grant holds. One query."""
    pairs = [(name, version) for name, version in plugins if name and version]
    if not pairs:
        return []
    wanted = Q()
    for name, version in pairs:
        wanted |= Q(package__name=name, version=version)
    rows = {
        (row["package__name"], row["version"]): row
        for row in PluginVersion.objects.filter(wanted).values(
            "package__name", "version", "manifest", "package__granted_origins"
        )
    }
    origins: list[str] = []
    for pair in pairs:
        row = rows.get(pair)
        if row is None:
            continue
        granted = row["package__granted_origins"] or []
        for origin in approved_origins(row["manifest"], granted=granted):
            if origin not in origins:
                origins.append(origin)
    return origins


def shell_loads(plugin: dict) -> bool:
    """Does the shell load this bootstrap entry? Enabled plugins, and headless ones (no routes)
    always, as static/naap/shell.js does."""
    manifest = plugin.get("manifest")
    routes = manifest.get("routes") if isinstance(manifest, dict) else None
    return bool(plugin.get("enabled")) or not routes


def loaded_plugins(bootstrap_plugins: Iterable[dict]) -> list[tuple[str, str]]:
    """(name, version) of the plugins a shell bootstrap lets the frame load: the enabled ones,
    and the headless ones, which the shell loads even when switched off (they serve others)."""
    found = []
    for plugin in bootstrap_plugins:
        manifest = plugin.get("manifest") or {}
        if isinstance(manifest, dict) and shell_loads(plugin):
            found.append((plugin.get("name") or "", manifest.get("version") or ""))
    return found


def preview_origins(version: PluginVersion) -> list[str]:
    """What a version's preview frame may connect to: every origin it declares while it waits
    for review (staff try it before approving them), the approved ones otherwise."""
    if version.status == PluginVersion.Status.PENDING_REVIEW:
        return declared_origins(version.manifest)
    return approved_origins(version.manifest, granted=version.package.granted_origins)


def with_frame_csp(request: HttpRequest, response: HttpResponse, origins: Iterable[str]):
    """The response, sent with the frame's policy for these origins. Applied through Django's
    own csp_override, so the middleware builds the header with this request's nonce."""
    return csp_override(frame_csp(origins))(lambda _request: response)(request)
