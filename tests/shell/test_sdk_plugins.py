"""Plugins written with `@naap/plugin-sdk`, built from the NaaP monorepo's sources by
`naap-plugin build`, published and installed: the headless dashboard-data-provider answers
`dashboard:query` for my-dashboard through the context's event bus."""

from __future__ import annotations

import json

import pytest

from installs.services import install_plugin
from registry.models import PluginVersion
from registry.selectors import production_manifest
from tests.factories import make_publisher, make_user
from tests.publishing.test_cli_build_monorepo import SAMPLE_PLUGINS, checkout
from tests.shell.helpers import SHELL_MODULE, open_shell, sign_in, wait_for_state
from tests.upstream import publish_from_source

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTENT = "#naap-shell-content"
PLUGINS = ("dashboard-data-provider", "my-dashboard")
# What upstream's Next.js app answers at /api/v1/dashboard/protocol (the provider's backend,
# which is NaaP's own app, not this marketplace): the browser answers it here as that app would.
PROTOCOL = {"currentRound": 4127, "blockProgress": 3, "totalBlocks": 5760, "totalStakedLPT": 31.5}


@pytest.fixture(scope="module")
def checkout_root(tmp_path_factory):
    return checkout(tmp_path_factory.mktemp("naap-sdk"), *PLUGINS)


def test_the_sdk_provider_answers_dashboard_queries_for_my_dashboard(
    page, browser_context, live_server, checkout_root, react_files
):
    person = make_user("grace")
    sign_in(browser_context, live_server, person)
    owner = make_user("naap-team")
    publisher = make_publisher("naap", owner=owner)
    versions = {}
    for name in PLUGINS:
        versions[name] = publish_from_source(
            checkout_root / SAMPLE_PLUGINS[name], actor=owner, publisher=publisher
        )
        assert versions[name].status == PluginVersion.Status.PUBLISHED
        install_plugin(actor=person, name=name, team_id=None, config=None)
    asked: list[str] = []

    def bff(route):
        asked.append(route.request.url)
        route.fulfill(
            status=200,
            headers={"Access-Control-Allow-Origin": "*"},
            content_type="application/json",
            body=json.dumps(PROTOCOL),
        )

    page.route("**/api/v1/dashboard/protocol", bff)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    frame = open_shell(page, "/shell/plugins/my-dashboard")
    wait_for_state(frame, CONTENT, "mounted")
    frame.wait_for_selector('.naap-shell__headless[data-naap-state="mounted"]', state="attached")
    frame.locator(f"{CONTENT} h1", has_text="My Dashboard").wait_for()

    # my-dashboard's own context (the SDK's createPlugin keeps it: getContext), asking as
    # my-dashboard does through the SDK: eventBus.request("dashboard:query", {query}).
    result = frame.evaluate(
        f"""async (manifest) => {{
          const shell = await import({json.dumps(SHELL_MODULE)});
          const plugin = await shell.loadPlugin(manifest);  // the loaded exports, from memory
          const context = plugin.getContext();
          const answer = await context.eventBus.request(
            'dashboard:query',
            {{query: '{{ protocol {{ currentRound totalStakedLPT }} }}'}},
            {{timeout: 5000}},
          );
          const missing = await context.eventBus
            .request('dashboard:nobody', {{}}, {{timeout: 200}})
            .catch((error) => error.code);
          return {{plugin: context.pluginName, answer, missing}};
        }}""",
        production_manifest(versions["my-dashboard"]),
    )

    assert result["plugin"] == "my-dashboard"
    assert result["answer"]["data"] == {"protocol": {"currentRound": 4127, "totalStakedLPT": 31.5}}
    assert result["answer"]["errors"] is None  # GraphQL's own answer, as the SDK shapes it
    assert result["missing"] == "NO_HANDLER"
    assert len(asked) == 1  # the provider fetched it, in its resolver
    assert errors == []  # the provider's effect (eventBus.handleRequest) no longer throws
