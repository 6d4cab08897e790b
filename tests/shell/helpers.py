"""Publishing real plugins for the browser tests, and signing the browser in."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from django.conf import settings
from django.test import Client

from publishing.cli.build import build_project
from publishing.cli.output import Ui
from publishing.cli.project import load_project
from publishing.services import publish_version
from registry.models import PluginPackage
from registry.names import global_name_for
from tests.factories import make_publisher, make_user, plugin_manifest

EXAMPLES = Path(settings.BASE_DIR) / "examples"
SHELL_MODULE = "/static/naap/shell.js"


@cache
def built_example(name: str, out_dir: str) -> tuple[str, bytes, bytes | None]:
    """plugin.json text, bundle and styles of an example, built once per session."""
    project = load_project(EXAMPLES / name)
    result = build_project(project, Ui(), out_dir=Path(out_dir) / name)
    return project.manifest_text, result.bundle.data, result.styles.data if result.styles else None


def publish_example(name: str, out_dir: Path, *, actor=None, publisher=None):
    """Build an example with the CLI's build and publish it through the real service."""
    manifest, bundle, styles = built_example(name, str(out_dir))
    actor = actor or make_user()
    publisher = publisher or make_publisher(owner=actor)
    return publish_version(
        actor=actor, publisher=publisher, manifest=manifest, bundle=bundle, styles=styles
    ).version


def probe_bundle(name: str, version: str = "1.0.0", *, body: str = "") -> bytes:
    """A plain-script plugin that hands its context to the test (window.__probes) and records
    its cleanup (window.__cleanups); `body` runs inside mount."""
    key = f"{name}@{version}"
    return (
        f"var {global_name_for(name)} = (function () {{\n"
        "  function mount(container, context) {\n"
        "    window.__probes = window.__probes || {};\n"
        f"    window.__probes[{json.dumps(key)}] = context;\n"
        f"    {body}\n"
        "    var text = document.createElement('p');\n"
        "    text.className = 'probe';\n"
        f"    text.textContent = 'Probe ' + {json.dumps(key)};\n"
        "    container.appendChild(text);\n"
        "    return function () {\n"
        "      window.__cleanups = window.__cleanups || [];\n"
        f"      window.__cleanups.push({json.dumps(key)});\n"
        "    };\n"
        "  }\n"
        "  return { mount: mount };\n"
        "})();\n"
    ).encode()


def publish_probe(
    name: str,
    version: str = "1.0.0",
    *,
    bundle: bytes | None = None,
    styles: bytes | None = None,
    actor=None,
    publisher=None,
    **manifest_overrides,
):
    """Publish a probe plugin (or the given bundle) through the real service; later versions
    of a name go to the publisher of the first."""
    existing = PluginPackage.objects.filter(name=name).select_related("publisher").first()
    if existing is not None and publisher is None:
        publisher = existing.publisher
        actor = actor or publisher.memberships.first().user
    actor = actor or make_user()
    publisher = publisher or make_publisher(owner=actor)
    return publish_version(
        actor=actor,
        publisher=publisher,
        manifest=plugin_manifest(name, version, **manifest_overrides),
        bundle=bundle if bundle is not None else probe_bundle(name, version),
        styles=styles,
    ).version


def sign_in(context, live_server, user) -> None:
    """Give the browser context a session of `user` (no login form round trip)."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def preview_url(version) -> str:
    return f"/plugins/{version.package.name}/{version.version}/preview/"


def open_shell(page, path: str = "/shell/"):
    """Open the demo shell at `path` and return its sandboxed frame (a Playwright Frame)."""
    page.goto(path)
    frame = page.wait_for_selector("iframe#naap-shell-frame").content_frame()
    frame.wait_for_load_state()
    return frame


def preview_frame_url(version) -> str:
    return f"/sandbox/preview/{version.package.name}/{version.version}/"


def open_preview(page, version):
    """Open a version's preview page and return its sandboxed frame (a Playwright Frame)."""
    page.goto(preview_url(version))
    frame = page.wait_for_selector("iframe#naap-preview-frame").content_frame()
    frame.wait_for_load_state()
    return frame


def wait_for_state(page, selector: str, state: str) -> None:
    page.wait_for_selector(f'{selector}[data-naap-state="{state}"]')


def shell(page, script: str, arg=None):
    """Run `script` (an async function body with `shell` and `arg` in scope) in the page."""
    return page.evaluate(
        f"async (arg) => {{ const shell = await import({json.dumps(SHELL_MODULE)}); {script} }}",
        arg,
    )
