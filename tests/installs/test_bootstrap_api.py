"""GET plugins/installed: the shell bootstrap (own + team plugins, versions, preferences)."""

import hashlib

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from installs.models import TenantPluginInstall, UserPluginPreference
from installs.versions import canary_bucket
from publishing import services as publishing
from registry.models import PluginDeployment, PluginPackage
from tests.factories import make_team, make_user
from tests.installs.helpers import (
    BOOTSTRAP,
    bootstrap,
    error_of,
    install,
    plugins_of,
    publish_plugin,
    send,
)

pytestmark = pytest.mark.django_db


def manifest_of(client, name, version):
    return client.get(f"/api/v1/plugins/registry/{name}/{version}/manifest").json()


def publish_release(name, version, previous, **kwargs):
    """Publish a further version of a plugin as its own publisher."""
    return publish_plugin(
        name,
        version,
        actor=previous.version.published_by,
        publisher=previous.package.publisher,
        marker=version,
        **kwargs,
    )


def team_with_plugin(name, *, members, admin=None, team_name="finance"):
    """A team whose admin installed the plugin for it."""
    admin = admin or make_user()
    team = make_team(team_name, admin=admin, members=members)
    TenantPluginInstall.objects.create(
        package=PluginPackage.objects.get(name=name), team=team, installed_by=admin
    )
    return team


# --- shape -----------------------------------------------------------------------------------


def test_the_bootstrap_lists_your_plugins_with_their_production_manifests(api, wallet):
    install(api, config={"label": "Main"})
    response = api.get(BOOTSTRAP)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    assert body["data"]["generatedAt"].endswith("Z")
    [item] = body["data"]["plugins"]
    assert item == {
        "name": "my-wallet",
        "displayName": "My Wallet",
        "source": "user",
        "enabled": True,
        "pinned": False,
        "order": 0,
        "isCore": False,
        "config": {"label": "Main", "refreshSeconds": 30, "currency": "EUR"},
        "manifest": manifest_of(api, "my-wallet", "1.0.0"),
    }
    assert response["Cache-Control"] == "private, no-cache"


def test_the_bootstrap_of_someone_with_nothing_installed_is_empty(api, wallet):
    assert bootstrap(api)["plugins"] == []


def test_anonymous_bootstrap_is_401(client, wallet):
    response = client.get(BOOTSTRAP)
    assert response.status_code == 401
    assert error_of(response)["code"] == "UNAUTHORIZED"


def test_team_plugins_are_listed_for_every_member_with_the_team_id(api, person, wallet):
    team = team_with_plugin("my-wallet", members=[person])
    item = plugins_of(api)["my-wallet"]
    assert (item["source"], item["teamId"]) == ("team", team.pk)


def test_with_team_id_only_that_teams_plugins_are_listed(api, person, wallet):
    publish_plugin("my-notes")
    install(api, "my-notes")
    team = team_with_plugin("my-wallet", members=[person])
    assert set(plugins_of(api)) == {"my-wallet", "my-notes"}
    assert set(plugins_of(api, teamId=team.pk)) == {"my-wallet"}


def test_the_bootstrap_of_a_team_you_are_not_in_is_404(api, wallet):
    team = team_with_plugin("my-wallet", members=[])
    response = api.get(BOOTSTRAP, {"teamId": team.pk})
    assert response.status_code == 404
    error = error_of(response)
    assert error["code"] == "NOT_FOUND"
    assert "teamId" in error["details"]["fields"]


def test_a_team_id_that_is_not_a_number_is_400(api, wallet):
    response = api.get(BOOTSTRAP, {"teamId": "finance"})
    assert response.status_code == 400
    assert "teamId" in error_of(response)["details"]["fields"]


def test_another_users_plugins_are_not_in_your_bootstrap(client, api, wallet):
    install(api)
    client.force_login(make_user("mallory"))
    assert bootstrap(client)["plugins"] == []


# --- which installation wins -----------------------------------------------------------------


def test_your_own_installation_wins_over_a_teams(api, person, wallet):
    team_with_plugin("my-wallet", members=[person])
    TenantPluginInstall.objects.filter(team__isnull=False).update(config={"label": "Team"})
    install(api, config={"label": "Mine"})
    [item] = bootstrap(api)["plugins"]
    assert item["source"] == "user"
    assert "teamId" not in item
    assert item["config"]["label"] == "Mine"


def test_between_two_teams_the_team_whose_name_sorts_first_wins(api, person, wallet):
    zulu = team_with_plugin("my-wallet", members=[person], team_name="zulu-team")
    alpha = team_with_plugin("my-wallet", members=[person], team_name="alpha-team")
    TenantPluginInstall.objects.filter(team=zulu).update(config={"label": "Zulu"})
    TenantPluginInstall.objects.filter(team=alpha).update(config={"label": "Alpha"})
    for _ in range(3):
        [item] = bootstrap(api)["plugins"]
        assert (item["teamId"], item["config"]["label"]) == (alpha.pk, "Alpha")


# --- which version ---------------------------------------------------------------------------


@pytest.fixture
def two_versions():
    """my-wallet 1.0.0 and 1.1.0, 1.1.0 deployed; returns the 1.0.0 publish result."""
    first = publish_plugin("my-wallet", "1.0.0", marker="1.0.0")
    publish_release("my-wallet", "1.1.0", first)
    return first


def test_the_deployed_version_is_served_by_default(api, two_versions):
    install(api)
    assert plugins_of(api)["my-wallet"]["manifest"]["version"] == "1.1.0"


def test_a_teams_pinned_version_wins_over_the_deployed_one(api, person, two_versions):
    team = team_with_plugin("my-wallet", members=[person])
    TenantPluginInstall.objects.filter(team=team).update(pinned_version=two_versions.version)
    item = plugins_of(api)["my-wallet"]
    assert item["manifest"] == manifest_of(api, "my-wallet", "1.0.0")


def test_a_pinned_version_wins_over_the_canary(api, person, two_versions):
    team = team_with_plugin("my-wallet", members=[person])
    TenantPluginInstall.objects.filter(team=team).update(pinned_version=two_versions.version)
    canary = publish_release("my-wallet", "1.2.0", two_versions, deploy=False).version
    PluginDeployment.objects.update(canary_version=canary, canary_percent=100)
    assert plugins_of(api)["my-wallet"]["manifest"]["version"] == "1.0.0"


def test_a_pinned_version_that_was_yanked_still_resolves_marked_yanked(api, person, two_versions):
    team = team_with_plugin("my-wallet", members=[person])
    TenantPluginInstall.objects.filter(team=team).update(pinned_version=two_versions.version)
    publishing.yank_version(
        actor=make_user(staff=True), version=two_versions.version, reason="Rounding bug"
    )
    manifest = plugins_of(api)["my-wallet"]["manifest"]
    assert manifest["version"] == "1.0.0"
    assert manifest["yanked"] is True
    assert manifest["yankReason"] == "Rounding bug"


@pytest.fixture
def canary(two_versions):
    """my-wallet 1.2.0 published but not deployed, to be used as the canary."""
    return publish_release("my-wallet", "1.2.0", two_versions, deploy=False).version


def set_canary(version, percent):
    PluginDeployment.objects.filter(package=version.package).update(
        canary_version=version, canary_percent=percent
    )


def test_with_canary_at_100_percent_everyone_gets_the_canary(client, canary):
    set_canary(canary, 100)
    users = [make_user() for _ in range(10)]
    team_with_plugin("my-wallet", members=users)
    for user in users:
        client.force_login(user)
        assert plugins_of(client)["my-wallet"]["manifest"]["version"] == "1.2.0"


def test_with_canary_at_0_percent_nobody_gets_the_canary(client, canary):
    set_canary(canary, 0)
    users = [make_user() for _ in range(10)]
    team_with_plugin("my-wallet", members=users)
    for user in users:
        client.force_login(user)
        assert plugins_of(client)["my-wallet"]["manifest"]["version"] == "1.1.0"


def test_the_canary_bucket_is_a_stable_hash_of_user_and_plugin(client, canary):
    set_canary(canary, 50)
    users = [make_user() for _ in range(20)]
    served = {}
    for user in users:
        client.force_login(user)
        assert install(client).status_code == 201
        bucket = canary_bucket(user_id=user.pk, name="my-wallet")
        expected = "1.2.0" if bucket < 50 else "1.1.0"
        for _ in range(2):  # the same user lands in the same bucket every time
            assert plugins_of(client)["my-wallet"]["manifest"]["version"] == expected
        served[user.pk] = expected
    assert canary_bucket(user_id=42, name="my-wallet") == (
        int(hashlib.sha256(b"42:my-wallet").hexdigest()[:8], 16) % 100
    )
    assert len(set(served.values())) == 2  # 20 users split between both versions


def test_a_team_install_buckets_the_whole_team_together(client, canary):
    set_canary(canary, 50)
    served = {}
    for number in range(12):
        members = [make_user() for _ in range(3)]
        team = team_with_plugin("my-wallet", members=members, team_name=f"team-{number}")
        bucket = canary_bucket(user_id=members[0].pk, name="my-wallet", team_id=team.pk)
        expected = "1.2.0" if bucket < 50 else "1.1.0"
        for member in members:  # every member runs the team's version, whatever their own bucket
            client.force_login(member)
            assert plugins_of(client)["my-wallet"]["manifest"]["version"] == expected
        served[team.pk] = expected
    assert canary_bucket(user_id=1, name="my-wallet", team_id=7) == (
        int(hashlib.sha256(b"team:7:my-wallet").hexdigest()[:8], 16) % 100
    )
    assert len(set(served.values())) == 2  # 12 teams split between both versions


def test_a_yanked_canary_is_not_served(api, canary):
    set_canary(canary, 100)
    install(api)
    PluginDeployment.objects.update(canary_percent=100)
    canary.status = canary.Status.YANKED
    canary.save(update_fields=["status"])
    assert plugins_of(api)["my-wallet"]["manifest"]["version"] == "1.1.0"


def test_a_newer_versions_new_config_defaults_are_applied(api, two_versions):
    install(api, config={"label": "Main"})
    schema = {
        "type": "object",
        "properties": {"label": {"type": "string"}, "theme": {"type": "string", "default": "dark"}},
    }
    publish_release("my-wallet", "2.0.0", two_versions, config={"schema": schema})
    # The stored config keeps what it was given (with 1.0.0's defaults); 2.0.0 adds its own.
    assert plugins_of(api)["my-wallet"]["config"] == {
        "label": "Main",
        "refreshSeconds": 30,
        "currency": "EUR",
        "theme": "dark",
    }


# --- what is left out ------------------------------------------------------------------------


def test_a_package_taken_down_is_left_out(api, wallet):
    install(api)
    PluginPackage.objects.filter(pk=wallet.pk).update(status=PluginPackage.Status.REJECTED)
    assert bootstrap(api)["plugins"] == []


def test_an_unlisted_package_stays(api, wallet):
    install(api)
    publishing.set_package_listing(actor=make_user(staff=True), package=wallet, listed=False)
    assert set(plugins_of(api)) == {"my-wallet"}


def test_a_package_whose_only_version_was_yanked_is_left_out(api, wallet):
    install(api)
    publishing.yank_version(
        actor=make_user(staff=True), version=wallet.versions.get(), reason="Broken"
    )
    assert bootstrap(api)["plugins"] == []


def test_plugins_the_shell_version_cannot_run_are_named_incompatible(api, wallet):
    publish_plugin("future-tool", shell={"minVersion": "3.0.0"})
    install(api)
    install(api, "future-tool")
    data = bootstrap(api, shellVersion="2.1.0")
    assert [item["name"] for item in data["plugins"]] == ["my-wallet"]
    assert data["shellVersion"] == "2.1.0"
    assert data["incompatible"] == ["future-tool"]
    assert {item["name"] for item in bootstrap(api)["plugins"]} == {"my-wallet", "future-tool"}


def test_a_shell_version_that_is_not_semver_is_400(api, wallet):
    response = api.get(BOOTSTRAP, {"shellVersion": "two"})
    assert response.status_code == 400
    assert "shellVersion" in error_of(response)["details"]["fields"]


# --- preferences and order -------------------------------------------------------------------


def test_preferences_set_enabled_pinned_and_order(api, wallet):
    install(api)
    send(
        api,
        "put",
        "/api/v1/plugins/my-wallet/preferences",
        {"enabled": False, "pinned": True, "order": 4},
    )
    item = plugins_of(api)["my-wallet"]
    assert (item["enabled"], item["pinned"], item["order"]) == (False, True, 4)


def test_a_disabled_installation_is_not_enabled_whatever_the_preference(api, person, wallet):
    install(api)
    UserPluginPreference.objects.create(user=person, package=wallet, enabled=True)
    TenantPluginInstall.objects.update(enabled=False)
    assert plugins_of(api)["my-wallet"]["enabled"] is False


def test_plugins_are_sorted_pinned_first_then_by_order_then_by_name(api, person):
    for name in ("alpha-tool", "beta-tool", "gamma-tool", "delta-tool"):
        publish_plugin(name)
        install(api, name)
    for name, order, pinned in [
        ("gamma-tool", 5, True),
        ("delta-tool", -1, False),
        ("beta-tool", 9, True),
    ]:
        UserPluginPreference.objects.create(
            user=person, package=PluginPackage.objects.get(name=name), order=order, pinned=pinned
        )
    names = [item["name"] for item in bootstrap(api)["plugins"]]
    assert names == ["gamma-tool", "beta-tool", "delta-tool", "alpha-tool"]


# --- conditional GET -------------------------------------------------------------------------


def test_the_bootstrap_has_a_strong_etag_and_answers_304_when_unchanged(api, wallet):
    install(api)
    first = api.get(BOOTSTRAP)
    etag = first["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = api.get(BOOTSTRAP, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert again["Cache-Control"] == "private, no-cache"
    assert api.get(BOOTSTRAP, HTTP_IF_NONE_MATCH='"other", ' + etag).status_code == 304


def test_the_etag_changes_when_the_bootstrap_changes(api, wallet):
    install(api)
    etag = api.get(BOOTSTRAP)["ETag"]
    send(api, "put", "/api/v1/plugins/my-wallet/preferences", {"pinned": True})
    changed = api.get(BOOTSTRAP, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_the_etag_ignores_generated_at(api, wallet):
    install(api)
    assert api.get(BOOTSTRAP)["ETag"] == api.get(BOOTSTRAP)["ETag"]


# --- queries ---------------------------------------------------------------------------------


def bootstrap_query_count(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(BOOTSTRAP)
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_the_bootstrap_takes_as_many_queries_for_30_plugins_as_for_1(
    api, person, django_assert_max_num_queries
):
    team = make_team("finance", admin=make_user(), members=[person])
    first = publish_plugin("tool-00")
    install(api, "tool-00")
    one = bootstrap_query_count(api)
    # user, the user's team ids, installs (with everything joined), the core packages,
    # preferences; the session is read from the cache, and this first answer is built, not
    # served from the cache
    assert one == 5
    for index in range(1, 30):
        name = f"tool-{index:02d}"
        result = publish_plugin(name)
        if index % 2:
            install(api, name)
        else:
            TenantPluginInstall.objects.create(package=result.package, team=team)
        if index % 3 == 0:
            UserPluginPreference.objects.create(user=person, package=result.package, pinned=True)
        if index % 5 == 0:
            TenantPluginInstall.objects.filter(package=result.package).update(
                pinned_version=result.version
            )
        if index % 7 == 0:
            canary = publish_release(name, "1.1.0", result, deploy=False).version
            set_canary(canary, 50)
    assert first.package.name in plugins_of(api)
    assert len(bootstrap(api)["plugins"]) == 30
    # Cold manifest and bootstrap cache and warm one alike (a cold cache reads the session
    # from the database: one query more).
    cache.clear()
    with django_assert_max_num_queries(one + 1):
        api.get(BOOTSTRAP)
    assert bootstrap_query_count(api) == one
