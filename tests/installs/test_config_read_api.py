"""GET plugins/{name}/config: an installation's config, as upstream's SDK reads it.

Upstream's SDK (packages/plugin-sdk/src/hooks/usePluginConfig.unified.ts) reads
`GET /api/v1/plugins/{name}/config` as `response.data.config` and writes it back with
`PUT ... {config}`: the same `config` key in both answers, inside the envelope.
"""

import re

import pytest
from django.test import Client

from installs.models import TenantPluginInstall
from tests.factories import make_team, make_user, publish
from tests.installs.helpers import error_of, install, send
from tests.installs.test_config_secrets import SECRET, dashboard_schema

pytestmark = pytest.mark.django_db

# The installation's shape, as PUT answers it.
INSTALLATION_KEYS = {
    "id",
    "plugin",
    "source",
    "teamId",
    "config",
    "enabled",
    "pinnedVersion",
    "installedAt",
    "updatedAt",
}


def config_url(name="my-wallet") -> str:
    return f"/api/v1/plugins/{name}/config"


def read(client, name="my-wallet", **query):
    return client.get(config_url(name), query)


def test_get_answers_what_put_answers_with_the_config_key_the_sdk_reads(api, wallet):
    install(api, config={"label": "Main"})
    put = send(api, "put", config_url(), {"config": {"label": "Home", "currency": "USD"}})
    got = read(api)
    assert got.status_code == 200
    body = got.json()
    assert body["success"] is True
    assert set(body["data"]) == INSTALLATION_KEYS
    assert body["data"] == put.json()["data"]
    assert body["data"]["config"] == {"label": "Home", "currency": "USD", "refreshSeconds": 30}
    assert (body["data"]["source"], body["data"]["teamId"]) == ("user", None)


def test_a_secret_is_masked_for_people_and_sending_it_back_keeps_it(api):
    publish("my-dashboard", config={"schema": dashboard_schema()})
    install(api, "my-dashboard", config={"metabaseSecretKey": SECRET})
    got = read(api, "my-dashboard")
    assert SECRET not in got.content.decode()
    config = got.json()["data"]["config"]
    assert config["metabaseSecretKey"] == "********"
    # The SDK's updateConfig sends the whole config back: the secret stays.
    config["tokenExpiry"] = 900
    assert send(api, "put", config_url("my-dashboard"), {"config": config}).status_code == 200
    runtime = api.get("/api/v1/plugins/installed").json()["data"]["plugins"][0]["config"]
    assert (runtime["metabaseSecretKey"], runtime["tokenExpiry"]) == (SECRET, 900)


def test_a_team_member_reads_the_teams_config_but_only_an_admin_changes_it(client, person, wallet):
    admin = make_user()
    team = make_team("finance", admin=admin, members=[person])
    client.force_login(admin)
    assert install(client, teamId=team.pk, config={"label": "Team"}).status_code == 201
    client.force_login(person)
    got = read(client, teamId=team.pk)
    assert got.status_code == 200
    assert (got.json()["data"]["source"], got.json()["data"]["teamId"]) == ("team", team.pk)
    assert got.json()["data"]["config"]["label"] == "Team"
    refused = send(client, "put", config_url(), {"teamId": team.pk, "config": {"label": "Me"}})
    assert refused.status_code == 403


def test_a_team_you_are_not_in_is_404_naming_team_id(api, wallet):
    team = make_team("finance", admin=make_user())
    TenantPluginInstall.objects.create(package=wallet, team=team)
    response = read(api, teamId=team.pk)
    assert response.status_code == 404
    assert "teamId" in error_of(response)["details"]["fields"]


def test_a_plugin_installed_only_through_a_team_is_404_pointing_at_team_id(api, person, wallet):
    team = make_team("finance", admin=make_user(), members=[person])
    TenantPluginInstall.objects.create(package=wallet, team=team)
    response = read(api)
    assert response.status_code == 404
    assert "teamId" in error_of(response)["message"]
    assert read(api, teamId=team.pk).status_code == 200


@pytest.mark.parametrize("query", [{"teamId": "finance"}, {"teamId": "-1"}, {"teamId": "0"}])
def test_a_bad_team_id_is_400_in_the_envelope(api, wallet, query):
    install(api)
    response = read(api, **query)
    assert response.status_code == 400
    assert set(error_of(response)["details"]["fields"]) == {"teamId"}


def test_unknown_and_uninstalled_plugins_are_404(api, wallet):
    assert read(api, "no-such-plugin").status_code == 404
    assert read(api).status_code == 404


def test_signed_out_is_401_and_an_api_token_is_refused(client, wallet):
    assert read(client).status_code == 401
    tokened = client.get(config_url(), HTTP_AUTHORIZATION="Bearer naap_not_a_real_token")
    assert tokened.status_code == 401


def test_a_plugins_grant_is_no_credential_here(api, wallet):
    install(api)
    page = api.get("/sandbox/shell/").content.decode()
    grant = re.search(r'"my-wallet": "(gAAAA[^"]+)"', page).group(1)
    # The plugin has its config in its runtime context: its grant does not read it here (it
    # may replace it, tenant.updateConfig; test_plugin_tokens.py).
    response = Client().get(config_url(), HTTP_AUTHORIZATION=f"NaapPlugin {grant}")
    assert response.status_code == 401
