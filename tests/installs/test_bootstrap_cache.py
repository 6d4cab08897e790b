"""The cached shell bootstrap (installs/cache.py): served without SQL, retired by every change.

Each test runs against the local-memory cache and against the real Redis server.
"""

import pytest
from django.core.cache import cache

from installs import cache as bootstrap_cache
from installs.models import TeamMembership, UserPluginPreference
from installs.services import install_plugin
from publishing import services as publishing
from registry.cache import invalidate_package
from registry.models import PluginPackage, PluginVersion
from tests.factories import make_team, make_user
from tests.installs.helpers import TeamAdmin, install, publish_plugin, send, uninstall

pytestmark = pytest.mark.django_db

BOOTSTRAP = "/api/v1/plugins/installed"
# A signed-in request reads its user before the view runs (its session is in the cache).
AUTH_QUERIES = 1


@pytest.fixture(autouse=True)
def both_caches(cache_backend):
    """Every test here runs against the local-memory cache and against Redis."""
    return cache_backend


def plugins(client, **query) -> dict[str, dict]:
    response = client.get(BOOTSTRAP, query)
    assert response.status_code == 200, response.content
    return {item["name"]: item for item in response.json()["data"]["plugins"]}


def warm(client, **query) -> dict[str, dict]:
    """Ask until the entry is stored with every generation known (at most twice)."""
    plugins(client, **query)
    return plugins(client, **query)


def test_a_repeated_bootstrap_runs_no_query_of_its_own(api, wallet, django_assert_num_queries):
    install(api)
    warm(api)
    with django_assert_num_queries(AUTH_QUERIES):
        assert set(plugins(api)) == {"my-wallet"}


def test_a_plugin_the_entry_did_not_know_is_read_again_once(
    api, wallet, django_assert_max_num_queries
):
    plugins(api)  # nothing installed: the entry watches no package
    install(api)
    # Built with my-wallet's generation unread before the database: kept, but not trusted.
    assert set(plugins(api)) == {"my-wallet"}
    with django_assert_max_num_queries(AUTH_QUERIES + 5):
        assert set(plugins(api)) == {"my-wallet"}
    with django_assert_max_num_queries(AUTH_QUERIES):
        assert set(plugins(api)) == {"my-wallet"}


def test_the_cached_answer_has_a_stable_etag_a_304_and_a_fresh_generated_at(api, wallet):
    install(api)
    first = api.get(BOOTSTRAP)
    second = api.get(BOOTSTRAP)
    assert first["ETag"] == second["ETag"]
    assert second.json()["success"] is True
    assert second.json()["data"]["generatedAt"].endswith("Z")
    assert api.get(BOOTSTRAP, HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    send(api, "put", "/api/v1/plugins/my-wallet/preferences", {"pinned": True})
    changed = api.get(BOOTSTRAP, HTTP_IF_NONE_MATCH=first["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] != first["ETag"]


def test_install_uninstall_preferences_and_config_show_at_once(api, wallet):
    warm(api)
    install(api)
    assert set(plugins(api)) == {"my-wallet"}
    send(api, "put", "/api/v1/plugins/my-wallet/preferences", {"enabled": False, "order": 3})
    item = plugins(api)["my-wallet"]
    assert (item["enabled"], item["order"]) == (False, 3)
    send(api, "put", "/api/v1/plugins/my-wallet/config", {"config": {"label": "Savings"}})
    assert plugins(api)["my-wallet"]["config"]["label"] == "Savings"
    uninstall(api)
    assert plugins(api) == {}


def test_publish_rollback_and_yank_show_at_once(api, wallet):
    install(api)
    assert warm(api)["my-wallet"]["manifest"]["version"] == "1.0.0"
    first = PluginVersion.objects.get(version="1.0.0")
    owner, publisher = first.published_by, wallet.publisher
    publish_plugin("my-wallet", "1.1.0", actor=owner, publisher=publisher, marker="2")
    assert plugins(api)["my-wallet"]["manifest"]["version"] == "1.1.0"
    publishing.rollback_deployment(actor=owner, package=wallet, to_version="1.0.0")
    assert plugins(api)["my-wallet"]["manifest"]["version"] == "1.0.0"
    publishing.deprecate_version(actor=owner, version=first, message="Move on")
    assert plugins(api)["my-wallet"]["manifest"]["deprecated"] is True


def test_a_package_taken_down_and_listed_again_leaves_and_comes_back(api, wallet):
    install(api)
    warm(api)
    # A package change of any kind bumps its generation (registry.cache), as services do.
    wallet.status = PluginPackage.Status.REJECTED
    wallet.save()
    invalidate_package(wallet.name)
    assert plugins(api) == {}
    assert plugins(api) == {}
    wallet.status = PluginPackage.Status.PUBLISHED
    wallet.save()
    invalidate_package(wallet.name)
    assert set(plugins(api)) == {"my-wallet"}


def test_team_changes_show_for_every_member_at_once(api, person, wallet):
    admin = make_user()
    team = make_team("finance", admin=admin, members=[person])
    assert warm(api) == {}
    install_plugin(actor=admin, name=wallet.name, team_id=team.pk)
    assert plugins(api)["my-wallet"]["source"] == "team"
    staff = TeamAdmin()
    staff.remove_member(team, person)
    assert plugins(api) == {}
    staff.add_member(team, person)
    assert set(plugins(api)) == {"my-wallet"}


def test_a_team_rename_changes_which_team_install_wins(api, person, wallet):
    admin = make_user()
    alpha = make_team("alpha", admin=admin, members=[person])
    beta = make_team("beta", admin=admin, members=[person])
    install_plugin(actor=admin, name=wallet.name, team_id=alpha.pk)
    install_plugin(actor=admin, name=wallet.name, team_id=beta.pk)
    assert warm(api)["my-wallet"]["teamId"] == alpha.pk  # "alpha" sorts first
    TeamAdmin().rename(alpha, "zulu")
    assert plugins(api)["my-wallet"]["teamId"] == beta.pk


def test_a_team_bootstrap_is_cached_apart_from_the_personal_one(api, person, wallet):
    admin = make_user()
    team = make_team("finance", admin=admin, members=[person])
    install_plugin(actor=admin, name=wallet.name, team_id=team.pk)
    install(api)
    assert warm(api)["my-wallet"]["source"] == "user"
    assert warm(api, teamId=team.pk)["my-wallet"]["source"] == "team"
    TeamAdmin().remove_member(team, person)
    assert api.get(BOOTSTRAP, {"teamId": team.pk}).status_code == 404


def test_deleting_selected_memberships_in_the_admin_shows_at_once(api, person, wallet):
    admin = make_user()
    team = make_team("finance", admin=admin, members=[person])
    install_plugin(actor=admin, name=wallet.name, team_id=team.pk)
    assert set(warm(api)) == {"my-wallet"}
    membership = TeamMembership.objects.get(team=team, user=person)
    staff = TeamAdmin()
    response = staff.client.post(
        "/admin/installs/teammembership/",
        {"action": "delete_selected", "_selected_action": [membership.pk], "post": "yes"},
    )
    assert response.status_code == 302
    assert not TeamMembership.objects.filter(pk=membership.pk).exists()
    assert plugins(api) == {}


def test_other_people_are_not_affected_and_not_served_each_others_entries(client, wallet):
    alice, bob = make_user("alice"), make_user("bob")
    client.force_login(alice)
    install(client)
    assert set(warm(client)) == {"my-wallet"}
    client.force_login(bob)
    assert plugins(client) == {}


def test_admin_writes_bump_the_generations(person, wallet):
    staff = TeamAdmin()
    key = bootstrap_cache.user_generation_key(person.pk)
    preference = UserPluginPreference.objects.create(user=person, package=wallet)
    seen = [cache.get(key, 0)]
    staff.client.post(
        f"/admin/installs/userpluginpreference/{preference.pk}/delete/", {"post": "yes"}
    )
    seen.append(cache.get(key, 0))
    assert not UserPluginPreference.objects.exists()
    assert seen[0] < seen[1]
    team = make_team("ops")
    team_key = bootstrap_cache.team_generation_key(team.pk)
    before = cache.get(team_key, 0)
    staff.rename(team, "operations")
    assert cache.get(team_key, 0) > before
    before = (cache.get(team_key, 0), cache.get(key, 0))
    staff.add_member(team, person)
    after = (cache.get(team_key, 0), cache.get(key, 0))
    assert after[0] > before[0]
    assert after[1] > before[1]


def test_the_entry_stamps_unknown_generations_so_they_never_match(wallet):
    built = bootstrap_cache.BuiltBootstrap(
        {"plugins": []}, team_ids=(), package_names=(wallet.name,)
    )
    first = bootstrap_cache.cached_bootstrap(
        user_id=1, team_id=None, shell_version="", build=lambda: built
    )
    calls = []

    def build():
        calls.append(1)
        return built

    bootstrap_cache.cached_bootstrap(user_id=1, team_id=None, shell_version="", build=build)
    bootstrap_cache.cached_bootstrap(user_id=1, team_id=None, shell_version="", build=build)
    assert calls == [1]  # rebuilt once with the package's generation read first, then kept
    assert first.body == b'{"plugins":[]}'
