"""The bootstrap for a shell version: versions whose `shell` range leaves it out are skipped.

For the canary and the deployed version, the newest compatible published release no newer than
the deployed one is picked instead (in two queries for all such packages); a pinned version is
kept or the plugin is named incompatible; `incompatible` lists only plugins none of whose
versions may run.
"""

import json
import re
from urllib.parse import parse_qsl

import pytest

from installs.models import TenantPluginInstall
from registry.deployments import roll_back
from registry.models import PluginDeployment, PluginPackage
from tests.factories import make_user
from tests.installs.helpers import BOOTSTRAP, bootstrap, install, publish_plugin

pytestmark = pytest.mark.django_db


def versions_of(client, **query) -> dict[str, str]:
    return {
        item["name"]: item["manifest"]["version"] for item in bootstrap(client, **query)["plugins"]
    }


def release(name, version, first, *, shell, **kwargs):
    """A further version of a plugin, by its own publisher, with a shell range."""
    return publish_plugin(
        name,
        version,
        actor=first.version.published_by,
        publisher=first.package.publisher,
        marker=version,
        shell=shell,
        **kwargs,
    )


@pytest.fixture
def shell_2_only(api):
    """my-wallet: 1.0.0 and 1.1.0 for shells 1.x, 2.0.0 (deployed) for shells 2.x; installed."""
    first = publish_plugin("my-wallet", "1.0.0", shell={"minVersion": "1.0.0", "maxVersion": "1.x"})
    release("my-wallet", "1.1.0", first, shell={"minVersion": "1.0.0", "maxVersion": "1.x"})
    release("my-wallet", "2.0.0", first, shell={"minVersion": "2.0.0", "maxVersion": "2.x"})
    install(api)
    return first


def test_the_newest_compatible_version_is_picked_over_an_incompatible_deployed_one(
    api, shell_2_only
):
    data = bootstrap(api, shellVersion="1.4.0")
    assert {item["name"]: item["manifest"]["version"] for item in data["plugins"]} == {
        "my-wallet": "1.1.0"
    }
    assert data["incompatible"] == []
    assert versions_of(api, shellVersion="2.3.1") == {"my-wallet": "2.0.0"}
    assert versions_of(api) == {"my-wallet": "2.0.0"}  # no shell version: the deployed one


def test_a_plugin_with_no_compatible_version_is_named_incompatible(api, shell_2_only):
    data = bootstrap(api, shellVersion="3.0.0")
    assert (data["plugins"], data["incompatible"]) == ([], ["my-wallet"])


def test_pre_releases_are_never_picked(api):
    first = publish_plugin("my-wallet", "2.0.0", shell={"minVersion": "2.0.0"})
    release("my-wallet", "1.9.0-beta.1", first, shell={"maxVersion": "1.x"}, deploy=False)
    install(api)
    assert bootstrap(api, shellVersion="1.0.0")["incompatible"] == ["my-wallet"]


def test_an_incompatible_canary_falls_back_to_the_deployed_version(api):
    first = publish_plugin("my-wallet", "1.0.0", shell={"maxVersion": "1.x"})
    canary = release("my-wallet", "2.0.0", first, shell={"minVersion": "2.0.0"}, deploy=False)
    PluginDeployment.objects.update(canary_version=canary.version, canary_percent=100)
    install(api)
    assert versions_of(api) == {"my-wallet": "2.0.0"}
    assert versions_of(api, shellVersion="1.2.0") == {"my-wallet": "1.0.0"}


def test_a_pinned_version_the_shell_cannot_run_is_incompatible_not_replaced(api, shell_2_only):
    TenantPluginInstall.objects.update(pinned_version=shell_2_only.version)  # 1.0.0, 1.x only
    data = bootstrap(api, shellVersion="2.0.0")
    assert (data["plugins"], data["incompatible"]) == ([], ["my-wallet"])
    assert versions_of(api, shellVersion="1.5.0") == {"my-wallet": "1.0.0"}


def test_one_query_finds_the_compatible_versions_of_every_package(api, django_assert_num_queries):
    for index in range(6):
        name = f"tool-{index}"
        first = publish_plugin(name, "1.0.0", shell={"maxVersion": "1.x"})
        release(name, "2.0.0", first, shell={"minVersion": "2.0.0"})
        install(api, name)
        if index == 0:
            bootstrap(api)  # the session and manifests cached, as for every later request
            # user, team ids, installs, core packages, preferences, the candidates' ranges
            # and the chosen versions
            with django_assert_num_queries(7):
                assert versions_of(api, shellVersion="1.0.0") == {name: "1.0.0"}
    with django_assert_num_queries(7):
        data = bootstrap(api, shellVersion="1.1.0")
    assert {item["manifest"]["version"] for item in data["plugins"]} == {"1.0.0"}
    assert len(data["plugins"]) == 6


def test_a_newer_version_published_without_deploying_is_never_the_fallback(api):
    first = publish_plugin("my-wallet", "1.0.0", shell={"maxVersion": "1.x"})
    release("my-wallet", "2.0.0", first, shell={"minVersion": "2.0.0"})  # deployed
    release("my-wallet", "2.1.0", first, shell={"maxVersion": "1.x"}, deploy=False)
    install(api)
    assert versions_of(api, shellVersion="1.2.0") == {"my-wallet": "1.0.0"}
    assert versions_of(api, shellVersion="2.0.0") == {"my-wallet": "2.0.0"}


def test_after_a_rollback_the_version_rolled_back_from_is_never_the_fallback(api):
    first = publish_plugin("my-wallet", "1.0.0", shell={"maxVersion": "1.x"})
    release("my-wallet", "1.1.0", first, shell={"minVersion": "2.0.0"})
    release("my-wallet", "1.2.0", first, shell={"maxVersion": "1.x"})  # deployed, then withdrawn
    install(api)
    assert versions_of(api, shellVersion="1.5.0") == {"my-wallet": "1.2.0"}
    package = PluginPackage.objects.get(name="my-wallet")
    staff = make_user("staff", staff=True)
    roll_back(actor=staff, package=package, to_version="1.1.0", reason="broke checkout")
    assert versions_of(api, shellVersion="1.5.0") == {"my-wallet": "1.0.0"}
    assert versions_of(api, shellVersion="2.0.0") == {"my-wallet": "1.1.0"}


def test_the_demo_shells_frame_asks_for_the_shells_version(api, settings):
    settings.NAAP_SHELL_VERSION = "1.3.0"
    first = publish_plugin("my-wallet", "1.0.0", shell={"maxVersion": "1.x"})
    release("my-wallet", "2.0.0", first, shell={"minVersion": "2.0.0"})
    publish_plugin("future-tool", shell={"minVersion": "2.0.0"})
    install(api)
    install(api, "future-tool")
    config = embedded_json(api.get("/sandbox/shell/"), "naap-shell-config")
    assert config["bootstrap"]["shellVersion"] == "1.3.0"
    assert [p["manifest"]["version"] for p in config["bootstrap"]["plugins"]] == ["1.0.0"]
    assert config["bootstrap"]["incompatible"] == ["future-tool"]
    # The page around it fetches fresh manifests (on Retry) for the same shell version.
    host = embedded_json(api.get("/shell/"), "naap-shell-host-config")
    assert versions_of(api, **query_of(host["bootstrapUrl"])) == {"my-wallet": "1.0.0"}


def embedded_json(response, element_id: str):
    """The JSON a page embeds with json_script."""
    assert response.status_code == 200
    pattern = rb'<script id="' + element_id.encode() + rb'" type="application/json">(.*?)</script>'
    return json.loads(re.search(pattern, response.content, re.S).group(1).decode())


def query_of(url: str) -> dict[str, str]:
    path, _, query = url.partition("?")
    assert path == BOOTSTRAP
    return dict(parse_qsl(query))
