"""The demo shell behaves like NaaP's: the sidebar follows the manifests' navigation.order,
only the routed plugin and the headless ones are fetched ahead, the others when opened, and
headless plugins load even when switched off."""

from __future__ import annotations

import pytest

from installs.services import install_plugin, set_plugin_preferences
from tests.factories import make_user
from tests.shell.helpers import open_shell, publish_probe, sign_in, wait_for_state

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTENT = "#naap-shell-content"


def routed(name: str, order: int | None) -> dict:
    navigation = {"label": name} if order is None else {"label": name, "order": order}
    return {
        "entry": "bundle.js",
        "routes": [f"/plugins/{name}", f"/plugins/{name}/*"],
        "navigation": navigation,
    }


def test_the_sidebar_follows_navigation_order_and_only_the_shown_plugins_are_preloaded(
    page, browser_context, live_server
):
    person = make_user("ada")
    sign_in(browser_context, live_server, person)
    # Names sort the other way round from their navigation.order; "b-plain" has none and
    # "d-tied" ties with "c-first" (the name decides), so both go after.
    versions = {
        "a-third": publish_probe("a-third", frontend=routed("a-third", 30)),
        "b-plain": publish_probe("b-plain", frontend=routed("b-plain", None)),
        "z-first": publish_probe("z-first", frontend=routed("z-first", 1)),
        "c-second": publish_probe("c-second", frontend=routed("c-second", 2)),
        "d-tied": publish_probe("d-tied", frontend=routed("d-tied", 2)),
        "y-helper": publish_probe("y-helper", frontend={"entry": "bundle.js", "routes": []}),
    }
    for name in versions:
        install_plugin(actor=person, name=name, team_id=None, config=None)
    # Headless plugins serve the others: switched off, it still loads.
    set_plugin_preferences(actor=person, name="y-helper", enabled=False)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    frame = open_shell(page, "/shell/plugins/c-second")

    wait_for_state(frame, CONTENT, "mounted")
    assert frame.locator(".naap-shell__nav-link").all_inner_texts() == [
        "z-first",
        "c-second",
        "d-tied",
        "a-third",
        "b-plain",
    ]
    frame.wait_for_selector(
        '.naap-shell__headless[data-plugin="y-helper"][data-naap-state="mounted"]',
        state="attached",
    )
    preloads = frame.locator('link[rel="preload"][as="script"]')
    assert sorted(preloads.evaluate_all("links => links.map(l => l.integrity)")) == sorted(
        [versions["c-second"].bundle_integrity, versions["y-helper"].bundle_integrity]
    )

    def fetched(name: str) -> bool:
        return any(url.endswith(versions[name].bundle_key) for url in requested)

    assert fetched("c-second") and fetched("y-helper")
    assert not any(fetched(name) for name in ("a-third", "b-plain", "z-first", "d-tied"))

    frame.click("text=a-third")
    wait_for_state(frame, CONTENT, "mounted")
    assert frame.locator(f"{CONTENT} .probe").inner_text() == "Probe a-third@1.0.0"
    assert fetched("a-third")
    assert not any(fetched(name) for name in ("b-plain", "z-first", "d-tied"))
