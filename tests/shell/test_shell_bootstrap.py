"""The demo shell boots from what the server chose: core plugins nobody installed, and the
newest version of a plugin whose `shell` range admits the shell's version."""

from __future__ import annotations

import pytest

from installs.services import install_plugin
from publishing.services import set_package_flag
from tests.factories import make_user
from tests.shell.helpers import open_shell, publish_probe, sign_in, wait_for_state

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTENT = "#naap-shell-content"


def test_a_core_plugin_and_the_version_the_shell_can_run_are_mounted(
    page, browser_context, live_server, settings
):
    settings.NAAP_SHELL_VERSION = "1.4.0"
    core = publish_probe("core-probe").package
    set_package_flag(actor=make_user(staff=True), package=core, flag="is_core", value=True)
    publish_probe("new-probe", "1.0.0", shell={"maxVersion": "1.x"})
    publish_probe("new-probe", "2.0.0", shell={"minVersion": "2"})  # deployed
    person = make_user("newcomer")
    install_plugin(actor=person, name="new-probe", team_id=None, config=None)
    sign_in(browser_context, live_server, person)

    frame = open_shell(page, "/shell/plugins/core-probe")
    wait_for_state(frame, CONTENT, "mounted")
    assert frame.locator(f"{CONTENT} .probe").inner_text() == "Probe core-probe@1.0.0"

    frame = open_shell(page, "/shell/plugins/new-probe")
    wait_for_state(frame, CONTENT, "mounted")
    assert frame.locator(f"{CONTENT} .probe").inner_text() == "Probe new-probe@1.0.0"
    assert page.page_errors == []
