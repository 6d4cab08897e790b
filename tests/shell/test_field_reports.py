"""Field reports from real shells: the demo shell in Chromium reports each of its plugins'
load and mount outcomes with sendBeacon, and the registry counts them per version."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from installs.services import install_plugin
from registry.field_health import version_health
from tests.factories import make_user
from tests.shell.helpers import (
    SHELL_MODULE,
    open_shell,
    probe_bundle,
    publish_probe,
    sign_in,
    wait_for_state,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTENT = "#naap-shell-content"
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
HEADLESS = {"frontend": {"entry": "bundle.js", "routes": []}}


@pytest.fixture
def person(browser_context, live_server):
    user = make_user("grace")
    sign_in(browser_context, live_server, user)
    return user


def install(user, *names: str) -> None:
    for name in names:
        install_plugin(actor=user, name=name, team_id=None, config=None)


def health_when(version_ids, ready, timeout: float = 10.0) -> dict:
    """version_health once `ready(health)` holds (the beacon arrives on its own time)."""
    deadline = time.monotonic() + timeout
    while True:
        health = version_health(version_ids, since=EPOCH)
        if ready(health) or time.monotonic() > deadline:
            return health
        time.sleep(0.1)


def test_a_mounted_plugin_and_one_whose_mount_throws_are_counted_after_the_beacon(page, person):
    steady = publish_probe("steady-probe")
    bomb = publish_probe(
        "bomb-probe",
        bundle=probe_bundle("bomb-probe", body="throw new Error('bomb-probe went off');"),
        **HEADLESS,
    )
    install(person, "steady-probe", "bomb-probe")

    frame = open_shell(page, "/shell/plugins/steady-probe")
    wait_for_state(frame, CONTENT, "mounted")
    frame.wait_for_selector(
        '.naap-shell__headless[data-plugin="bomb-probe"][data-naap-state="error"]',
        state="attached",
    )
    # Plugin code replacing sendBeacon sees nothing: the runtime sends with the one it took
    # before any plugin ran. Nor does a mount of its own (not the shell's) count.
    sent = frame.evaluate(
        """async (module) => {
          window.__beacons = [];
          navigator.sendBeacon = (...args) => { window.__beacons.push(args); return true; };
          const shell = await import(module);
          const path = "/api/v1/plugins/registry/steady-probe/1.0.0/manifest";
          const url = new URL(path, document.baseURI);
          const manifest = await (await fetch(url)).json();
          const host = document.createElement("div");
          document.body.append(host);
          const own = await shell.mountPlugin(host, manifest);
          if (own.state !== "mounted") throw new Error(`mountPlugin: ${own.state}`);
          return shell.flushFieldReports();
        }""",
        SHELL_MODULE,
    )
    assert sent is True
    health = health_when(
        [steady.pk, bomb.pk], lambda h: h[steady.pk]["loads"] and h[bomb.pk]["loads"]
    )
    assert health[steady.pk]["loads"] == 1
    assert health[steady.pk]["mounted"] == 1
    assert health[steady.pk]["success_rate"] == 1.0
    assert health[steady.pk]["p95_ms"] is not None
    assert health[bomb.pk]["loads"] == 1
    assert health[bomb.pk]["mounted"] == 0
    assert health[bomb.pk]["failures_by_phase"]["mount"] == 1
    assert health[bomb.pk]["success_rate"] == 0.0
    assert frame.evaluate("() => window.__beacons") == []


def test_reports_go_out_when_the_page_is_left(page, person):
    steady = publish_probe("leaving-probe")
    install(person, "leaving-probe")
    frame = open_shell(page, "/shell/plugins/leaving-probe")
    wait_for_state(frame, CONTENT, "mounted")
    assert version_health([steady.pk], since=EPOCH)[steady.pk]["loads"] == 0  # still queued
    page.goto("about:blank")  # pagehide
    health = health_when([steady.pk], lambda h: h[steady.pk]["loads"])
    assert (health[steady.pk]["loads"], health[steady.pk]["mounted"]) == (1, 1)


def test_a_failed_load_and_its_successful_retry_are_both_counted(page, person):
    flaky = publish_probe(
        "flaky-probe",
        bundle=probe_bundle("flaky-probe", body="if (!window.__fixed) throw new Error('flaky');"),
    )
    install(person, "flaky-probe")
    frame = open_shell(page, "/shell/plugins/flaky-probe")
    wait_for_state(frame, CONTENT, "error")
    frame.evaluate("() => { window.__fixed = true; }")
    # Retry asks the marketplace's page for a fresh bootstrap (with a ticket of its own).
    frame.locator(f"{CONTENT} .naap-host__retry").click()
    wait_for_state(frame, CONTENT, "mounted")
    assert frame.evaluate(f"async () => (await import({SHELL_MODULE!r})).flushFieldReports()")
    health = health_when([flaky.pk], lambda h: h[flaky.pk]["loads"] == 2)
    assert health[flaky.pk]["loads"] == 2
    assert health[flaky.pk]["mounted"] == 1
    assert health[flaky.pk]["failures_by_phase"]["mount"] == 1
    assert health[flaky.pk]["success_rate"] == 0.5
