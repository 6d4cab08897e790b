"""In Chromium: a plugin reaches a backend on another origin (a second local HTTP server) once
its manifest declares it and staff approved it; an undeclared one is blocked by the frame's
policy (a securitypolicyviolation), and the request never leaves the browser."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from installs.services import install_plugin
from publishing import services
from registry.models import PluginVersion
from tests.factories import make_user
from tests.shell.helpers import (
    open_preview,
    open_shell,
    probe_bundle,
    publish_probe,
    sign_in,
    wait_for_state,
)
from tests.shell.test_csp import LISTEN, violations

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class _Backend(BaseHTTPRequestHandler):
    """A plugin's backend: answers /ping for any origin (the frame's origin is opaque)."""

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        body = b"pong"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Access-Control-Allow-Origin", "*")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def backend():
    """A second HTTP server on another 127.0.0.1 port, stopped after the test."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Backend)
    server.paths = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def origin_of(server) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


def fetching_bundle(name: str, url: str) -> bytes:
    body = (
        f"fetch({json.dumps(url)}).then(function (r) {{ return r.text(); }})"
        ".then(function (text) { window.__fetched = text; })"
        ".catch(function (error) { window.__fetched = 'error:' + error.name; });"
    )
    return probe_bundle(name, body=body)


def publish_fetching(name: str, url: str, *, external: list[str], actor=None) -> PluginVersion:
    return publish_probe(
        name,
        bundle=fetching_bundle(name, url),
        permissions={"shell": ["notifications"], "external": external},
        actor=actor,
    )


@pytest.fixture
def person(browser_context, live_server):
    user = make_user("ada")
    sign_in(browser_context, live_server, user)
    return user


def test_a_declared_and_approved_backend_is_reachable(page, person, backend):
    origin = origin_of(backend)
    version = publish_fetching("probe-fetch", f"{origin}/ping", external=[origin])
    assert version.status == PluginVersion.Status.PENDING_REVIEW  # a new origin waits
    services.approve_version(actor=make_user(staff=True), version=version)
    install_plugin(actor=person, name="probe-fetch", team_id=None, config=None)
    page.add_init_script(f"({LISTEN})()")

    frame = open_shell(page, "/shell/plugins/probe-fetch")

    wait_for_state(frame, "#naap-shell-content", "mounted")
    frame.wait_for_function("() => window.__fetched !== undefined")
    assert frame.evaluate("window.__fetched") == "pong"
    assert violations(frame) == []
    assert backend.paths == ["/ping"]


def test_an_undeclared_backend_is_blocked_by_the_frames_policy(page, person, backend):
    origin = origin_of(backend)
    # It declares (and staff approved) another origin, not the one its code fetches from.
    publish_fetching("probe-fetch", f"{origin}/ping", external=["https://rpc.example.org"])
    services.approve_version(
        actor=make_user(staff=True), version=PluginVersion.objects.get(package__name="probe-fetch")
    )
    install_plugin(actor=person, name="probe-fetch", team_id=None, config=None)
    page.add_init_script(f"({LISTEN})()")

    frame = open_shell(page, "/shell/plugins/probe-fetch")

    wait_for_state(frame, "#naap-shell-content", "mounted")
    frame.wait_for_function("() => window.__fetched !== undefined")
    assert frame.evaluate("window.__fetched") == "error:TypeError"
    blocked = violations(frame)
    assert [item["directive"] for item in blocked] == ["connect-src"]
    assert blocked[0]["blocked"].startswith(origin)
    assert backend.paths == []


def test_staff_try_a_version_in_review_against_the_backend_it_declares(
    page, browser_context, live_server, backend
):
    origin = origin_of(backend)
    version = publish_fetching("probe-fetch", f"{origin}/ping", external=[origin])
    assert version.status == PluginVersion.Status.PENDING_REVIEW
    sign_in(browser_context, live_server, make_user("moderator", staff=True))
    page.add_init_script(f"({LISTEN})()")

    frame = open_preview(page, version)

    wait_for_state(frame, "#naap-preview-host", "mounted")
    frame.wait_for_function("() => window.__fetched !== undefined")
    assert frame.evaluate("window.__fetched") == "pong"
    assert violations(frame) == []
