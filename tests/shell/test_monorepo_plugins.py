"""The NaaP monorepo's own plugins, built from their sources by `naap-plugin build`, published,
approved where they ask for top-level routes, installed, and opened in the demo shell: each
renders text of its own, with its Tailwind classes applied, next to the headless
dashboard-data-provider."""

from __future__ import annotations

import pytest

from installs.services import install_plugin
from registry.models import PluginVersion
from tests.factories import make_publisher, make_user
from tests.publishing.test_cli_build_monorepo import SAMPLE_PLUGINS, checkout
from tests.shell.helpers import open_shell, sign_in, wait_for_state
from tests.upstream import publish_from_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTENT = "#naap-shell-content"


@pytest.fixture(scope="module")
def checkout_root(tmp_path_factory):
    return checkout(tmp_path_factory.mktemp("naap-monorepo"), *SAMPLE_PLUGINS)


def test_the_monorepos_plugins_built_from_source_render_in_the_shell(
    page, browser_context, live_server, checkout_root, react_files
):
    person = make_user("grace")
    sign_in(browser_context, live_server, person)
    owner = make_user("naap-team")
    publisher = make_publisher("naap", owner=owner)
    for name in SAMPLE_PLUGINS:
        version = publish_from_source(
            checkout_root / SAMPLE_PLUGINS[name], actor=owner, publisher=publisher
        )
        assert version.status == PluginVersion.Status.PUBLISHED
        assert version.shell_globals[0] == "React"
    # dashboard-data-provider is headless: mounted out of sight, it registers its event bus
    # handlers in a React effect (test_sdk_plugins.py asks it); whatever it does, it stays in
    # its own host: the routed plugins beside it still render.
    for name in SAMPLE_PLUGINS:
        install_plugin(actor=person, name=name, team_id=None, config=None)

    frame = open_shell(page, "/shell/lightning")
    wait_for_state(frame, CONTENT, "mounted")
    assert frame.locator(f"{CONTENT} h1").inner_text() == "Livepeer AI Video"
    provider = '.naap-shell__headless[data-plugin="dashboard-data-provider"]'
    frame.wait_for_selector(
        f'{provider}:is([data-naap-state="mounted"], [data-naap-state="error"])', state="attached"
    )
    page.wait_for_timeout(300)
    assert frame.locator(f"{CONTENT} h1").inner_text() == "Livepeer AI Video"

    frame.click("text=My Dashboard")
    wait_for_state(frame, CONTENT, "mounted")
    heading = frame.locator(f"{CONTENT} h1", has_text="My Dashboard")
    heading.wait_for()
    # Tailwind's text-2xl from the stylesheet the build made with the plugin's config.
    assert heading.evaluate("h => getComputedStyle(h).fontSize") == "24px"

    frame.click("text=My Wallet")
    wait_for_state(frame, CONTENT, "mounted")
    # my-wallet keeps its settings in localStorage, which the sandbox blocks: the runtime's
    # in-page stand-in lets it run as written.
    title = frame.locator(f"{CONTENT} h1", has_text="Connect Your Wallet")
    title.wait_for()
    assert title.evaluate("h => getComputedStyle(h).fontWeight") == "700"  # font-bold
    assert title.evaluate("h => getComputedStyle(h).fontSize") == "24px"  # text-2xl

    # Opened directly, my-dashboard mounts first and the provider after it: it still renders.
    frame = open_shell(page, "/shell/plugins/my-dashboard")
    wait_for_state(frame, CONTENT, "mounted")
    frame.wait_for_selector(
        f'{provider}:is([data-naap-state="mounted"], [data-naap-state="error"])', state="attached"
    )
    page.wait_for_timeout(300)
    assert frame.locator(f"{CONTENT} h1", has_text="My Dashboard").is_visible()
