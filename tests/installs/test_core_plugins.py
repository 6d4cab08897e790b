"""Core plugins (PluginPackage.is_core, set by staff) are installed for everyone.

Nobody needs an installation row: every signed-in person's bootstrap (personal and team)
shows each published, non-deprecated core package; their preferences still apply; a core
plugin cannot be uninstalled; and every change to the core set reaches cached bootstraps.
"""

import pytest
from django.test import Client

from installs import selectors
from installs.bootstrap_fastpath import BootstrapFastPath
from installs.models import TenantPluginInstall, UserPluginPreference
from publishing import services as publishing
from registry.models import AuditEvent, PluginVersion
from tests.factories import make_team, make_user
from tests.installs.helpers import (
    BOOTSTRAP,
    bootstrap,
    error_of,
    install,
    plugins_of,
    publish_plugin,
    send,
    uninstall,
)
from tests.wsgi import call

pytestmark = pytest.mark.django_db


def mark_core(package, value: bool = True):
    return publishing.set_package_flag(
        actor=make_user(staff=True), package=package, flag="is_core", value=value
    )


@pytest.fixture
def core(db):
    """team-directory 1.0.0, published and marked core by staff."""
    package = publish_plugin("team-directory", "1.0.0").package
    return mark_core(package)


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_brand_new_person_gets_every_core_plugin_without_installing_it(core):
    newcomer = signed_in(make_user("newcomer"))
    item = plugins_of(newcomer)["team-directory"]
    assert (item["enabled"], item["isCore"], item["source"]) == (True, True, "user")
    assert item["manifest"]["version"] == "1.0.0"
    assert item["config"] == {"refreshSeconds": 30, "currency": "EUR"}  # the schema's defaults
    assert not TenantPluginInstall.objects.exists()  # nothing written by reading


def test_core_plugins_are_in_every_teams_bootstrap_too(core, person, api):
    team = make_team("finance", admin=make_user(), members=[person])
    assert plugins_of(api, teamId=team.pk)["team-directory"]["isCore"] is True


def test_a_core_plugin_someone_installed_keeps_their_installation_and_config(core, api):
    install(api, "team-directory", config={"label": "Mine"})
    [item] = bootstrap(api)["plugins"]
    assert (item["isCore"], item["config"]["label"]) == (True, "Mine")


def test_a_persons_preference_to_disable_a_core_plugin_is_respected(core, api, person):
    response = send(api, "put", "/api/v1/plugins/team-directory/preferences", {"enabled": False})
    assert response.status_code == 200, response.content
    item = plugins_of(api)["team-directory"]
    assert (item["enabled"], item["isCore"]) == (False, True)
    # Only the preference was written; other people still have it enabled.
    assert UserPluginPreference.objects.filter(user=person, enabled=False).count() == 1
    assert plugins_of(signed_in(make_user()))["team-directory"]["enabled"] is True


def test_a_core_plugin_cannot_be_uninstalled_until_it_is_no_longer_core(core, api):
    response = uninstall(api, "team-directory")
    assert response.status_code == 409
    assert "core plugin" in error_of(response)["message"]
    install(api, "team-directory")
    assert uninstall(api, "team-directory").status_code == 409
    assert TenantPluginInstall.objects.count() == 1  # left as it was
    mark_core(core, False)
    assert uninstall(api, "team-directory").status_code == 200
    assert "team-directory" not in plugins_of(api)


def test_marking_and_unmarking_core_reaches_cached_bootstraps(api):
    package = publish_plugin("team-directory").package
    assert bootstrap(api)["plugins"] == []
    assert bootstrap(api)["plugins"] == []  # served from the cache
    mark_core(package)
    assert list(plugins_of(api)) == ["team-directory"]
    mark_core(package, False)
    assert bootstrap(api)["plugins"] == []


def test_a_new_version_of_a_core_plugin_reaches_cached_bootstraps(core, api):
    assert plugins_of(api)["team-directory"]["manifest"]["version"] == "1.0.0"
    owner = PluginVersion.objects.get(version="1.0.0").published_by
    publish_plugin("team-directory", "1.1.0", actor=owner, publisher=core.publisher, marker="2")
    assert plugins_of(api)["team-directory"]["manifest"]["version"] == "1.1.0"


def test_a_deprecated_or_unlisted_core_plugin_stays_only_where_it_is_installed(core, api):
    other = signed_in(make_user())
    install(api, "team-directory")
    staff = make_user(staff=True)
    publishing.set_package_listing(actor=staff, package=core, listed=False)
    assert "team-directory" not in plugins_of(other)
    assert plugins_of(api)["team-directory"]["isCore"] is False
    publishing.set_package_listing(actor=staff, package=core, listed=True)
    assert plugins_of(other)["team-directory"]["isCore"] is True
    publishing.deprecate_package(actor=staff, package=core, message="Use people-finder")
    assert "team-directory" not in plugins_of(other)
    assert plugins_of(api)["team-directory"]["manifest"]["deprecated"] is True


def test_an_approval_that_makes_a_package_core_reaches_cached_bootstraps(api):
    first = publish_plugin("team-directory", "1.0.0")
    assert bootstrap(api)["plugins"] == []
    # A version asking for core status waits for review, even from a verified publisher.
    pending = publish_plugin(
        "team-directory",
        "1.1.0",
        actor=first.version.published_by,
        publisher=first.package.publisher,
        isCore=True,
        marker="2",
    ).version
    assert pending.status == PluginVersion.Status.PENDING_REVIEW
    publishing.approve_version(actor=make_user(staff=True), version=pending)
    assert plugins_of(api)["team-directory"]["manifest"]["version"] == "1.1.0"


def test_a_headless_core_plugin_is_in_everyones_bootstrap(api):
    package = publish_plugin("data-provider", frontend={"entry": "bundle.js", "routes": []}).package
    mark_core(package)
    assert plugins_of(api)["data-provider"]["manifest"]["routes"] == []


def test_an_installed_headless_plugin_is_in_the_bootstrap_for_any_shell_version(api):
    publish_plugin("data-provider", frontend={"entry": "bundle.js", "routes": []})
    install(api, "data-provider")
    for query in ({}, {"shellVersion": "1.0.0"}):
        item = plugins_of(api, **query)["data-provider"]
        assert (item["enabled"], item["manifest"]["routes"]) == (True, [])


def test_core_plugins_take_no_query_per_plugin(api, person, django_assert_num_queries):
    mark_core(publish_plugin("core-00").package)
    bootstrap(api)  # the session and the manifests cached, as for every later request
    # user, team ids, installs, core packages, preferences: built, not from the cache
    with django_assert_num_queries(5):
        api.get(BOOTSTRAP, {"shellVersion": "1.0.0"})
    for index in range(1, 10):
        mark_core(publish_plugin(f"core-{index:02d}").package)
    assert len(plugins_of(api)) == 10
    with django_assert_num_queries(5):
        api.get(BOOTSTRAP, {"shellVersion": "1.1.0"})


def test_the_hot_path_sees_a_package_marked_core_at_once(django_app, api):
    layer = BootstrapFastPath(django_app)
    package = publish_plugin("team-directory").package
    cookie = f"sessionid={api.cookies['sessionid'].value}"

    def names() -> list[str]:
        answer = call(layer, BOOTSTRAP, HTTP_COOKIE=cookie)
        assert answer.status_code == 200, answer.body
        return [item["name"] for item in answer.json()["data"]["plugins"]]

    for _ in range(3):
        assert names() == []
    calls = len(django_app.calls)
    assert names() == []
    assert len(django_app.calls) == calls  # served by the layer
    mark_core(package)
    assert names() == ["team-directory"]


def test_configuring_a_core_plugin_installs_it_for_you_with_that_config(core, api, person):
    response = send(
        api, "put", "/api/v1/plugins/team-directory/config", {"config": {"label": "Desk"}}
    )
    assert response.status_code == 200, response.content
    assert response.json()["data"]["config"]["label"] == "Desk"
    assert TenantPluginInstall.objects.get().user == person
    assert plugins_of(api)["team-directory"]["config"]["label"] == "Desk"
    other = signed_in(make_user())
    assert "label" not in plugins_of(other)["team-directory"]["config"]


def test_configuring_a_core_plugin_is_audited_as_a_configuration_and_counted_once(core, api):
    response = send(
        api, "put", "/api/v1/plugins/team-directory/config", {"config": {"label": "Desk"}}
    )
    assert response.status_code == 200, response.content
    actions = list(AuditEvent.objects.values_list("action", flat=True))
    assert "plugin.configure" in actions and "plugin.install" not in actions
    core.refresh_from_db()
    assert core.install_count == 1


def test_a_refused_config_for_a_core_plugin_leaves_no_row_behind(core, api):
    response = send(
        api, "put", "/api/v1/plugins/team-directory/config", {"config": {"refreshSeconds": "x"}}
    )
    assert response.status_code == 400, response.content
    assert not TenantPluginInstall.objects.exists()
    core.refresh_from_db()
    assert core.install_count == 0


def test_a_core_plugin_installed_by_a_concurrent_request_is_still_configured(
    core, api, person, monkeypatch
):
    # The row appears between this request's read and its insert (another tab won the race).
    TenantPluginInstall.objects.create(package=core, user=person, config={}, installed_by=person)
    real = selectors.tenant_install
    reads = []

    def first_read_misses(**kwargs):
        reads.append(kwargs)
        return None if len(reads) == 1 else real(**kwargs)

    monkeypatch.setattr(selectors, "tenant_install", first_read_misses)
    response = send(
        api, "put", "/api/v1/plugins/team-directory/config", {"config": {"label": "Desk"}}
    )
    assert response.status_code == 200, response.content
    assert response.json()["data"]["config"]["label"] == "Desk"
    assert TenantPluginInstall.objects.get().config["label"] == "Desk"
    assert AuditEvent.objects.filter(action="plugin.configure").count() == 1


def test_reading_the_config_of_a_core_plugin_you_never_configured_answers_its_defaults(
    core, api, person
):
    got = api.get("/api/v1/plugins/team-directory/config")
    assert got.status_code == 200, got.content
    data = got.json()["data"]
    assert data["config"] == {"refreshSeconds": 30, "currency": "EUR"}  # the schema's defaults
    assert (data["id"], data["plugin"], data["source"], data["teamId"]) == (
        None,
        "team-directory",
        "user",
        None,
    )
    assert (data["installedAt"], data["pinnedVersion"], data["enabled"]) == (None, None, True)
    assert not TenantPluginInstall.objects.exists()  # nothing written by reading
    # After PUT, GET answers the row PUT made.
    send(api, "put", "/api/v1/plugins/team-directory/config", {"config": {"label": "Desk"}})
    data = api.get("/api/v1/plugins/team-directory/config").json()["data"]
    assert data["config"]["label"] == "Desk"
    assert data["id"] == TenantPluginInstall.objects.get().pk
    # A team's config of it is still the team's row, which it has none of.
    team = make_team("finance", admin=person)
    response = api.get("/api/v1/plugins/team-directory/config", {"teamId": team.pk})
    assert response.status_code == 404


def test_my_plugins_shows_core_plugins_as_everyones_without_uninstall(core, api):
    page = api.get("/me/plugins/").content.decode()
    row = page[page.index('id="plugin-team-directory"') :].split("</tr>")[0]
    assert "everyone (core)" in row
    assert "Uninstall" not in row and "Disable" in row
    install(api, "team-directory")
    page = api.get("/me/plugins/").content.decode()
    row = page[page.index('id="plugin-team-directory"') :].split("</tr>")[0]
    assert "Settings" in row and "Uninstall" not in row


def test_team_admins_are_offered_no_uninstall_of_a_core_plugin_for_the_team(core, api, person):
    team = make_team("finance", admin=person)
    publish_plugin("my-wallet")
    for name in ("team-directory", "my-wallet"):
        assert install(api, name, teamId=team.pk).status_code == 201
    page = api.get("/me/plugins/").content.decode()
    teams = page[page.index("Teams you administer") :]
    assert teams.count("Uninstall for the team") == 1
    response = api.post("/me/plugins/team-directory/uninstall/", {"team": team.pk}, follow=True)
    assert "cannot be uninstalled" in response.content.decode()
    assert TenantPluginInstall.objects.filter(team=team).count() == 2


def test_a_core_plugin_keeps_its_storage_for_people_who_never_installed_it(core, api):
    url = "/api/v1/plugins/team-directory/storage/last-search"
    assert send(api, "put", url, {"value": {"q": "ada"}}).status_code in {200, 201}
    assert api.get(url).json()["data"]["value"] == {"q": "ada"}
    assert send(api, "put", "/api/v1/plugins/not-core/storage/x", {"value": 1}).status_code == 404
