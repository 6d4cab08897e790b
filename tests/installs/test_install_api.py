"""POST plugins/{name}/install, DELETE plugins/{name}/uninstall, PUT plugins/{name}/config."""

import pytest

from installs.models import PluginStorageEntry, TenantPluginInstall, UserPluginPreference
from publishing import services as publishing
from registry.models import AuditEvent
from tests.factories import make_team, make_user, publish
from tests.installs.helpers import (
    counters,
    error_of,
    install,
    nothing_installed,
    publish_plugin,
    send,
    uninstall,
)
from tests.publishing.helpers import bearer, token_for

pytestmark = pytest.mark.django_db

DEFAULTS = {"refreshSeconds": 30, "currency": "EUR"}


# --- install ---------------------------------------------------------------------------------


def test_installing_for_yourself_is_201_with_the_installation_and_defaults(api, person, wallet):
    response = install(api, config={"label": "Main"})
    assert response.status_code == 201
    body = response.json()
    assert body["success"] is True
    installation = body["data"]["installation"]
    assert body["data"]["created"] is True
    assert installation["plugin"] == "my-wallet"
    assert installation["source"] == "user"
    assert installation["teamId"] is None
    assert installation["config"] == {"label": "Main", **DEFAULTS}
    assert installation["enabled"] is True
    assert installation["pinnedVersion"] is None
    row = TenantPluginInstall.objects.get()
    assert (row.user, row.team, row.installed_by) == (person, None, person)
    assert counters() == (1, 1)
    event = AuditEvent.objects.get(action="plugin.install")
    assert event.actor == person
    assert event.target == "my-wallet"
    assert event.details["tenant"] == "user"


def test_installing_without_a_body_applies_the_schema_defaults(api, wallet):
    response = install(api)
    assert response.status_code == 201
    assert response.json()["data"]["installation"]["config"] == DEFAULTS


def test_installing_again_is_200_with_the_existing_installation_unchanged(api, wallet):
    first = install(api, config={"label": "Main"}).json()["data"]["installation"]
    again = install(api, config={"label": "Other"})
    assert again.status_code == 200
    data = again.json()["data"]
    assert data["created"] is False
    assert data["installation"]["id"] == first["id"]
    assert data["installation"]["config"]["label"] == "Main"
    assert "already installed" in data["message"]
    assert TenantPluginInstall.objects.count() == 1
    assert counters() == (1, 1)
    assert AuditEvent.objects.filter(action="plugin.install").count() == 1


def test_anonymous_install_is_401_and_installs_nothing(client, wallet):
    response = install(client)
    assert response.status_code == 401
    assert error_of(response)["code"] == "UNAUTHORIZED"
    assert nothing_installed()


def test_install_with_an_api_token_is_403_because_installs_belong_to_people(client, wallet):
    secret = token_for()[3]
    response = send(client, "post", "/api/v1/plugins/my-wallet/install", {}, **bearer(secret))
    assert response.status_code == 403
    assert error_of(response) == {
        "code": "FORBIDDEN",
        "message": "Sign in to manage installs, preferences and plugin storage; API tokens are "
        "for publishing.",
    }
    assert nothing_installed()


def test_installing_an_unknown_plugin_is_404(api, wallet):
    response = install(api, "no-such-plugin")
    assert response.status_code == 404
    assert error_of(response)["code"] == "NOT_FOUND"
    assert "no-such-plugin" in error_of(response)["message"]
    assert not TenantPluginInstall.objects.exists()


def test_installing_a_plugin_still_under_review_is_404(api):
    publish_plugin("slow-review", verified=False)
    response = install(api, "slow-review")
    assert response.status_code == 404
    assert error_of(response)["code"] == "NOT_FOUND"
    assert not TenantPluginInstall.objects.exists()


def test_installing_a_plugin_without_a_deployed_version_is_409(api):
    publish_plugin("not-deployed", deploy=False)
    response = install(api, "not-deployed")
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "CONFLICT"
    assert "no deployed version" in error["message"]
    assert nothing_installed("not-deployed")


def test_an_unlisted_plugin_can_still_be_installed(api, wallet):
    publishing.set_package_listing(actor=make_user(staff=True), package=wallet, listed=False)
    assert install(api).status_code == 201


def test_a_team_admin_installs_for_the_team(api, person, wallet):
    team = make_team("finance", admin=person)
    response = install(api, teamId=team.pk)
    assert response.status_code == 201
    installation = response.json()["data"]["installation"]
    assert installation["source"] == "team"
    assert installation["teamId"] == team.pk
    row = TenantPluginInstall.objects.get()
    assert (row.user, row.team, row.installed_by) == (None, team, person)
    assert counters() == (1, 1)
    assert AuditEvent.objects.get(action="plugin.install").details["team"] == "finance"


def test_a_personal_and_a_team_install_of_one_plugin_are_two_installations(api, person, wallet):
    team = make_team("finance", admin=person)
    assert install(api).status_code == 201
    assert install(api, teamId=team.pk).status_code == 201
    assert counters() == (2, 2)


def test_a_team_member_who_is_not_admin_cannot_install_for_the_team_403(api, person, wallet):
    team = make_team("finance", admin=make_user(), members=[person])
    response = install(api, teamId=team.pk)
    assert response.status_code == 403
    error = error_of(response)
    assert error["code"] == "FORBIDDEN"
    assert "teamId" in error["details"]["fields"]
    assert nothing_installed()


def test_installing_for_a_team_you_do_not_belong_to_is_404(api, wallet):
    team = make_team("finance", admin=make_user())
    response = install(api, teamId=team.pk)
    assert response.status_code == 404
    error = error_of(response)
    assert error["code"] == "NOT_FOUND"
    assert "teamId" in error["details"]["fields"]
    assert nothing_installed()


def test_installing_for_an_unknown_team_is_404(api, wallet):
    response = install(api, teamId=999_999)
    assert response.status_code == 404
    assert "teamId" in error_of(response)["details"]["fields"]
    assert nothing_installed()


@pytest.mark.parametrize("team_id", ["7", "finance", 1.5, True, 0])
def test_a_team_id_that_is_not_a_positive_integer_is_400(api, wallet, team_id):
    response = install(api, teamId=team_id)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "VALIDATION_ERROR"
    assert "teamId" in error["details"]["fields"]
    assert nothing_installed()


def test_an_unknown_field_in_the_install_body_is_400_naming_it(api, wallet):
    response = install(api, configuration={"label": "x"})
    assert response.status_code == 400
    assert "configuration" in error_of(response)["details"]["fields"]
    assert nothing_installed()


def test_a_body_that_is_not_an_object_is_400(api, wallet):
    response = send(api, "post", "/api/v1/plugins/my-wallet/install", ["config"])
    assert response.status_code == 400
    assert error_of(response)["code"] == "VALIDATION_ERROR"
    assert nothing_installed()


# --- config validation (each rule of the schema) ---------------------------------------------

BAD_CONFIGS = [
    ({"refreshSeconds": 2}, "config.refreshSeconds", "must be at least 5"),
    ({"refreshSeconds": 5000}, "config.refreshSeconds", "must be at most 3600"),
    ({"refreshSeconds": "30"}, "config.refreshSeconds", "must be an integer"),
    ({"refreshSeconds": 7.5}, "config.refreshSeconds", "must be an integer"),
    ({"refreshSeconds": True}, "config.refreshSeconds", "must be an integer"),
    ({"currency": "GBP"}, "config.currency", "must be one of: 'EUR', 'USD'"),
    ({"label": "x"}, "config.label", "must have at least 2 characters"),
    ({"label": "x" * 21}, "config.label", "must have at most 20 characters"),
    ({"label": 12}, "config.label", "must be a string"),
    ({"ratio": "half"}, "config.ratio", "must be a number"),
    ({"ratio": 1.5}, "config.ratio", "must be at most 1"),
    ({"ratio": -0.1}, "config.ratio", "must be at least 0"),
    ({"compact": "yes"}, "config.compact", "must be true or false"),
    ({"compact": 1}, "config.compact", "must be true or false"),
    ({"accounts": "main"}, "config.accounts", "must be a list"),
    ({"accounts": ["a", "b", "c", "d"]}, "config.accounts", "must have at most 3 items"),
    ({"accounts": ["a", 2]}, "config.accounts[1]", "must be a string"),
    ({"theme": "dark"}, "config.theme", "must be an object"),
    ({"theme": {"accent": 3}}, "config.theme.accent", "must be a string"),
    ({"theme": {"font": "serif"}}, "config.theme.font", "is not a setting of this plugin"),
    ({"colour": "red"}, "config.colour", "is not a setting of this plugin"),
]


@pytest.mark.parametrize(("config", "field", "message"), BAD_CONFIGS)
def test_a_config_breaking_a_schema_rule_is_400_naming_the_field(
    api, wallet, config, field, message
):
    response = install(api, config=config)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["fields"] == {field: message}
    assert nothing_installed()


def test_a_config_that_is_not_an_object_is_400_naming_config(api, wallet):
    response = install(api, config=["refreshSeconds", 5])
    assert response.status_code == 400
    assert error_of(response)["details"]["fields"] == {"config": "must be an object"}
    assert nothing_installed()


def test_every_bad_config_field_is_named_at_once(api, wallet):
    response = install(api, config={"refreshSeconds": 1, "currency": "GBP", "extra": 1})
    assert response.status_code == 400
    assert set(error_of(response)["details"]["fields"]) == {
        "config.refreshSeconds",
        "config.currency",
        "config.extra",
    }
    assert nothing_installed()


def test_a_required_setting_without_a_default_must_be_given(api):
    schema = {
        "type": "object",
        "properties": {"apiKey": {"type": "string"}},
        "required": ["apiKey"],
    }
    publish("keyed-plugin", config={"schema": schema})
    response = install(api, "keyed-plugin")
    assert response.status_code == 400
    assert error_of(response)["details"]["fields"] == {"config.apiKey": "is required"}
    assert nothing_installed("keyed-plugin")
    assert install(api, "keyed-plugin", config={"apiKey": "k-1"}).status_code == 201


def test_a_plugin_without_a_config_schema_takes_no_settings(api):
    publish("plain-plugin")
    response = install(api, "plain-plugin", config={"anything": 1})
    assert response.status_code == 400
    assert error_of(response)["details"]["fields"] == {
        "config.anything": "is not a setting of this plugin"
    }
    assert nothing_installed("plain-plugin")
    assert install(api, "plain-plugin", config={}).status_code == 201


# --- uninstall -------------------------------------------------------------------------------


def test_uninstalling_removes_the_installation_and_keeps_preferences_and_storage(
    api, person, wallet
):
    install(api)
    send(api, "put", "/api/v1/plugins/my-wallet/preferences", {"pinned": True})
    send(api, "put", "/api/v1/plugins/my-wallet/storage/draft", {"value": [1, 2]})
    response = uninstall(api)
    assert response.status_code == 200
    assert response.json()["data"] == {
        "uninstalled": True,
        "plugin": "my-wallet",
        "source": "user",
        "teamId": None,
        "preferencesKept": True,
        "storageKept": True,
    }
    assert not TenantPluginInstall.objects.exists()
    assert counters() == (0, 0)
    assert UserPluginPreference.objects.filter(user=person, pinned=True).exists()
    assert PluginStorageEntry.objects.filter(user=person, key="draft").exists()
    assert AuditEvent.objects.get(action="plugin.uninstall").actor == person


def test_a_team_admin_uninstalls_for_the_team_with_team_id_in_the_query(api, person, wallet):
    team = make_team("finance", admin=person)
    install(api, teamId=team.pk)
    response = send(api, "delete", f"/api/v1/plugins/my-wallet/uninstall?teamId={team.pk}")
    assert response.status_code == 200
    assert response.json()["data"]["teamId"] == team.pk
    assert not TenantPluginInstall.objects.exists()
    assert counters() == (0, 0)


def test_uninstalling_a_plugin_that_is_not_installed_is_404(api, wallet):
    response = uninstall(api)
    assert response.status_code == 404
    assert error_of(response)["code"] == "NOT_FOUND"
    assert counters() == (0, 0)
    assert not AuditEvent.objects.filter(action="plugin.uninstall").exists()


def test_uninstalling_an_unknown_plugin_is_404(api):
    response = uninstall(api, "no-such-plugin")
    assert response.status_code == 404
    assert error_of(response)["code"] == "NOT_FOUND"


def test_anonymous_uninstall_is_401_and_removes_nothing(client, api, wallet):
    install(api)
    client.logout()
    response = uninstall(client)
    assert response.status_code == 401
    assert error_of(response)["code"] == "UNAUTHORIZED"
    assert TenantPluginInstall.objects.count() == 1
    assert counters() == (1, 1)


def test_another_user_cannot_uninstall_your_installation(client, api, wallet):
    install(api)
    client.force_login(make_user("mallory"))
    response = uninstall(client)
    assert response.status_code == 404
    assert TenantPluginInstall.objects.count() == 1
    assert counters() == (1, 1)


def test_a_team_member_who_is_not_admin_cannot_uninstall_for_the_team_403(client, person, wallet):
    member = make_user("bob")
    team = make_team("finance", admin=person, members=[member])
    client.force_login(person)
    install(client, teamId=team.pk)
    client.force_login(member)
    response = uninstall(client, teamId=team.pk)
    assert response.status_code == 403
    assert "teamId" in error_of(response)["details"]["fields"]
    assert TenantPluginInstall.objects.count() == 1
    assert counters() == (1, 1)


def test_different_team_ids_in_body_and_query_are_400(api, person, wallet):
    team = make_team("finance", admin=person)
    install(api, teamId=team.pk)
    response = send(
        api,
        "delete",
        f"/api/v1/plugins/my-wallet/uninstall?teamId={team.pk + 1}",
        {"teamId": team.pk},
    )
    assert response.status_code == 400
    assert "teamId" in error_of(response)["details"]["fields"]
    assert TenantPluginInstall.objects.count() == 1


def test_a_plugin_taken_down_since_can_still_be_uninstalled(api, wallet):
    install(api)
    wallet.status = wallet.Status.REJECTED
    wallet.save(update_fields=["status"])
    assert uninstall(api).status_code == 200
    assert not TenantPluginInstall.objects.exists()


# --- config ----------------------------------------------------------------------------------


def config_put(client, body, name="my-wallet"):
    return send(client, "put", f"/api/v1/plugins/{name}/config", body)


def test_putting_a_config_replaces_it_with_defaults_applied(api, person, wallet):
    install(api, config={"label": "Main", "refreshSeconds": 60})
    response = config_put(api, {"config": {"currency": "USD"}})
    assert response.status_code == 200
    assert response.json()["data"]["config"] == {"currency": "USD", "refreshSeconds": 30}
    assert TenantPluginInstall.objects.get().config == {"currency": "USD", "refreshSeconds": 30}
    event = AuditEvent.objects.get(action="plugin.configure")
    assert event.actor == person
    assert event.details["keys"] == ["currency", "refreshSeconds"]


def test_a_team_admin_configures_the_team_installation(api, person, wallet):
    team = make_team("finance", admin=person)
    install(api, teamId=team.pk)
    response = config_put(api, {"teamId": team.pk, "config": {"label": "Team"}})
    assert response.status_code == 200
    assert TenantPluginInstall.objects.get(team=team).config["label"] == "Team"


def test_a_bad_config_put_is_400_naming_the_field_and_changes_nothing(api, wallet):
    install(api, config={"label": "Main"})
    response = config_put(api, {"config": {"refreshSeconds": 1}})
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "VALIDATION_ERROR"
    assert error["details"]["fields"] == {"config.refreshSeconds": "must be at least 5"}
    assert TenantPluginInstall.objects.get().config == {"label": "Main", **DEFAULTS}
    assert not AuditEvent.objects.filter(action="plugin.configure").exists()


def test_a_config_put_without_config_is_400_naming_it(api, wallet):
    install(api)
    response = config_put(api, {})
    assert response.status_code == 400
    assert "config" in error_of(response)["details"]["fields"]


def test_configuring_a_plugin_that_is_not_installed_is_404(api, wallet):
    response = config_put(api, {"config": {}})
    assert response.status_code == 404
    assert error_of(response)["code"] == "NOT_FOUND"
    assert not AuditEvent.objects.filter(action="plugin.configure").exists()


def test_a_team_member_who_is_not_admin_cannot_configure_the_team_installation_403(
    client, person, wallet
):
    member = make_user("bob")
    team = make_team("finance", admin=person, members=[member])
    client.force_login(person)
    install(client, teamId=team.pk)
    client.force_login(member)
    response = config_put(client, {"teamId": team.pk, "config": {"label": "Mine"}})
    assert response.status_code == 403
    assert "teamId" in error_of(response)["details"]["fields"]
    assert "label" not in TenantPluginInstall.objects.get().config


def test_anonymous_config_put_is_401(client, wallet):
    response = config_put(client, {"config": {}})
    assert response.status_code == 401
    assert error_of(response)["code"] == "UNAUTHORIZED"


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/plugins/installed"),
        ("delete", "/api/v1/plugins/my-wallet/uninstall"),
        ("put", "/api/v1/plugins/my-wallet/preferences"),
        ("put", "/api/v1/plugins/my-wallet/config"),
        ("get", "/api/v1/plugins/my-wallet/storage/draft"),
    ],
)
def test_api_tokens_are_refused_on_every_installs_route(client, wallet, method, url):
    secret = token_for()[3]
    response = (
        client.get(url, **bearer(secret))
        if method == "get"
        else send(client, method, url, {}, **bearer(secret))
    )
    assert response.status_code == 403
    assert error_of(response)["code"] == "FORBIDDEN"
    assert not TenantPluginInstall.objects.exists()
