"""A tester's first boot installs the preview for real, once (installs.services
.install_previews_on_first_boot, called by installs.bootstrap): a row, its audit entry and the
counters, as an install; an uninstall sticks; a team tester gets one team installation."""

from __future__ import annotations

import pytest
from django.test import Client

from installs import selectors
from installs.bootstrap import person_bootstrap
from installs.models import PreviewTester, TenantPluginInstall
from installs.services import install_previews_on_first_boot
from installs.testers import set_preview_testers
from registry.models import AuditEvent
from tests.factories import make_team, make_user
from tests.installs.helpers import counters, publish_plugin, send
from tests.installs.test_install_concurrency import run_together

PREVIEW = "secret-tool"
BOOTSTRAPS = ["/api/v1/plugins/installed", "/api/v1/base/plugins/personalized"]


def make_preview(*, users=(), teams=()):
    owner = make_user("owner")
    publish_plugin(PREVIEW, "1.0.0", actor=owner)
    set_preview_testers(
        actor=owner, name=PREVIEW, preview=True, users=list(users), teams=list(teams)
    )
    return owner


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def names(client: Client, path: str = BOOTSTRAPS[0], **query) -> list[str]:
    response = client.get(path, query)
    assert response.status_code == 200, response.content[:300]
    return [plugin["name"] for plugin in response.json()["data"]["plugins"]]


def installs_audited() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="plugin.install").order_by("pk"))


@pytest.mark.django_db
@pytest.mark.parametrize("path", BOOTSTRAPS)
def test_a_testers_first_boot_installs_it_once(path):
    tess = make_user("tess")
    make_preview(users=["tess"])
    client = signed_in(tess)
    assert PREVIEW in names(client, path)
    (install,) = TenantPluginInstall.objects.filter(package__name=PREVIEW)
    assert (install.user, install.team, install.installed_by) == (tess, None, tess)
    assert counters(PREVIEW) == (1, 1)
    (event,) = installs_audited()
    assert event.details["firstBoot"] is True
    assert event.details["installationId"] == install.pk
    assert PreviewTester.objects.get(user=tess).installed_at is not None
    # Later boots (the entry built first is stamped before the write: built once more) and
    # the other route write nothing more.
    for again in [*BOOTSTRAPS, *BOOTSTRAPS]:
        assert PREVIEW in names(client, again)
    assert TenantPluginInstall.objects.filter(package__name=PREVIEW).count() == 1
    assert counters(PREVIEW) == (1, 1)
    assert len(installs_audited()) == 1
    personalized = client.get(BOOTSTRAPS[1]).json()["data"]["plugins"]
    assert [p["installed"] for p in personalized if p["name"] == PREVIEW] == [True]


@pytest.mark.django_db
def test_an_uninstall_sticks_on_the_next_boots():
    client = signed_in(make_user("tess"))
    make_preview(users=["tess"])
    assert PREVIEW in names(client)
    response = send(client, "delete", f"/api/v1/plugins/{PREVIEW}/uninstall")
    assert response.status_code == 200, response.content
    for path in [*BOOTSTRAPS, *BOOTSTRAPS]:
        assert PREVIEW not in names(client, path)
    assert not TenantPluginInstall.objects.filter(package__name=PREVIEW).exists()
    assert counters(PREVIEW) == (0, 0)
    # Not installed any more: what needs an installation says so, and "My plugins" agrees.
    response = send(client, "put", f"/api/v1/plugins/{PREVIEW}/preferences", {"enabled": True})
    assert response.status_code == 404
    assert f"/plugins/{PREVIEW}/".encode() not in client.get("/me/plugins/").content
    # It is still theirs to see, and to install again by hand.
    assert client.get(f"/plugins/{PREVIEW}/").status_code == 200
    assert send(client, "post", f"/api/v1/plugins/{PREVIEW}/install").status_code == 201
    assert PREVIEW in names(client)


def assert_gone_for_good(client: Client, **query) -> None:
    """No boot (either route) brings the preview back: no row, no count, every row claimed."""
    for path in [*BOOTSTRAPS, *BOOTSTRAPS]:
        assert PREVIEW not in names(client, path, **query)
    assert not TenantPluginInstall.objects.filter(package__name=PREVIEW).exists()
    assert counters(PREVIEW) == (0, 0)
    assert not PreviewTester.objects.filter(installed_at__isnull=True).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("first", ["install", "configure"])
def test_an_uninstall_before_the_first_boot_sticks_too(first):
    client = signed_in(make_user("tess"))
    make_preview(users=["tess"])
    if first == "install":
        response = send(client, "post", f"/api/v1/plugins/{PREVIEW}/install")
        assert response.status_code == 201, response.content
    else:
        body = {"config": {"currency": "USD"}}
        response = send(client, "put", f"/api/v1/plugins/{PREVIEW}/config", body)
        assert response.status_code == 200, response.content
    assert PreviewTester.objects.get().installed_at is not None
    assert counters(PREVIEW) == (1, 1)
    response = send(client, "delete", f"/api/v1/plugins/{PREVIEW}/uninstall")
    assert response.status_code == 200, response.content
    assert_gone_for_good(client)
    assert not [event for event in installs_audited() if event.details.get("firstBoot")]


@pytest.mark.django_db
def test_a_refused_config_leaves_the_tester_row_unclaimed():
    client = signed_in(make_user("tess"))
    make_preview(users=["tess"])
    body = {"config": {"currency": "GBP"}}
    response = send(client, "put", f"/api/v1/plugins/{PREVIEW}/config", body)
    assert response.status_code == 400, response.content
    assert PreviewTester.objects.get().installed_at is None
    assert PREVIEW in names(client)
    assert TenantPluginInstall.objects.filter(package__name=PREVIEW).count() == 1


@pytest.mark.django_db
def test_an_installation_made_before_the_preview_is_removed_for_good():
    tess = make_user("tess")
    client = signed_in(tess)
    owner = make_user("owner")
    publish_plugin(PREVIEW, "1.0.0", actor=owner)
    assert send(client, "post", f"/api/v1/plugins/{PREVIEW}/install").status_code == 201
    # Made a preview she tests: her row is unclaimed, her installation is older.
    set_preview_testers(actor=owner, name=PREVIEW, preview=True, users=["tess"], teams=[])
    assert PreviewTester.objects.get().installed_at is None
    assert send(client, "delete", f"/api/v1/plugins/{PREVIEW}/uninstall").status_code == 200
    assert_gone_for_good(client)


@pytest.mark.django_db
def test_a_team_admins_uninstall_before_any_member_boots_sticks():
    admin, member = make_user("ada"), make_user("mo")
    team = make_team("testers", admin=admin, members=[member])
    make_preview(users=["mo"], teams=["testers"])
    admin_client = signed_in(admin)
    url = f"/api/v1/plugins/{PREVIEW}"
    assert send(admin_client, "post", f"{url}/install", {"teamId": team.pk}).status_code == 201
    # The team's row is claimed, not the member's own: a personal boot still installs that.
    assert PreviewTester.objects.get(team=team).installed_at is not None
    assert PreviewTester.objects.get(user=member).installed_at is None
    assert send(admin_client, "delete", f"{url}/uninstall", {"teamId": team.pk}).status_code == 200
    assert PREVIEW not in names(admin_client, teamId=team.pk)
    assert PREVIEW in names(signed_in(member))
    (install,) = TenantPluginInstall.objects.filter(package__name=PREVIEW)
    assert (install.user, install.team) == (member, None)
    assert counters(PREVIEW) == (1, 1)
    assert PREVIEW not in names(signed_in(member), teamId=team.pk)


@pytest.mark.django_db
def test_a_person_who_tests_nothing_gets_nothing_written():
    make_user("tess")
    make_preview(users=["tess"], teams=[make_team("testers").name])
    stranger = signed_in(make_user("stranger"))
    for path in BOOTSTRAPS:
        assert PREVIEW not in names(stranger, path)
    assert not TenantPluginInstall.objects.exists()
    assert not PreviewTester.objects.filter(installed_at__isnull=False).exists()
    assert installs_audited() == []


@pytest.mark.django_db
def test_a_tester_team_gets_one_team_installation_its_admin_may_remove_for_good():
    admin, member, other = make_user("ada"), make_user("mo"), make_user("otto")
    team = make_team("testers", admin=admin, members=[member, other])
    make_preview(teams=["testers"])
    # The first member to boot installs it for the team (personal or team context alike).
    assert PREVIEW in names(signed_in(member))
    (install,) = TenantPluginInstall.objects.filter(package__name=PREVIEW)
    assert (install.user, install.team, install.installed_by) == (None, team, member)
    assert installs_audited()[0].details["tenant"] == "team"
    # Everyone in the team has it through that installation, in both contexts.
    for person in (admin, other):
        assert PREVIEW in names(signed_in(person))
        assert PREVIEW in names(signed_in(person), teamId=team.pk)
    assert TenantPluginInstall.objects.filter(package__name=PREVIEW).count() == 1
    assert counters(PREVIEW) == (1, 1)
    # Its admin removes it for the team: no member's boot brings it back.
    response = send(
        signed_in(admin), "delete", f"/api/v1/plugins/{PREVIEW}/uninstall", {"teamId": team.pk}
    )
    assert response.status_code == 200, response.content
    for person in (admin, member, other):
        assert PREVIEW not in names(signed_in(person))
        assert PREVIEW not in names(signed_in(person), teamId=team.pk)
    assert not TenantPluginInstall.objects.exists()
    assert counters(PREVIEW) == (0, 0)


@pytest.mark.django_db
def test_a_team_context_boot_installs_only_what_that_team_tests():
    tess = make_user("tess")
    team = make_team("other-team", admin=tess)
    make_preview(users=["tess"])
    # The team does not test it: its bootstrap neither shows nor installs it.
    assert PREVIEW not in names(signed_in(tess), teamId=team.pk)
    assert not TenantPluginInstall.objects.exists()
    assert PREVIEW in names(signed_in(tess))
    assert TenantPluginInstall.objects.get().user == tess


@pytest.mark.django_db
def test_a_preview_without_a_deployed_version_waits_for_one():
    from publishing.services import approve_version

    owner = make_user("owner")
    pending = publish_plugin(PREVIEW, "1.0.0", actor=owner, verified=False).version
    client = signed_in(make_user("tess"))
    set_preview_testers(actor=owner, name=PREVIEW, preview=True, users=["tess"], teams=[])
    assert PREVIEW not in names(client)
    assert PreviewTester.objects.get().installed_at is None
    approve_version(actor=make_user("moderator", staff=True), version=pending)
    assert PREVIEW in names(client)
    assert TenantPluginInstall.objects.filter(package__name=PREVIEW).count() == 1


@pytest.mark.django_db
def test_removed_testers_keep_their_row_hidden_and_a_public_package_stays_installed():
    tess, tim = make_user("tess"), make_user("tim")
    owner = make_preview(users=["tess", "tim"])
    assert PREVIEW in names(signed_in(tess))
    assert PREVIEW in names(signed_in(tim))
    # tim is no tester any more: his installation stays, hidden while he may not see it.
    set_preview_testers(actor=owner, name=PREVIEW, preview=True, users=["tess"], teams=[])
    assert PREVIEW not in names(signed_in(tim))
    assert TenantPluginInstall.objects.filter(user=tim).exists()
    # Made public: both keep the installation the first boot made.
    set_preview_testers(actor=owner, name=PREVIEW, preview=False, users=[], teams=[])
    assert PREVIEW in names(signed_in(tess))
    assert PREVIEW in names(signed_in(tim))
    assert counters(PREVIEW) == (2, 2)


@pytest.mark.django_db
def test_the_check_costs_a_person_who_tests_nothing_no_query(django_assert_num_queries):
    tess = make_user("tess")
    make_preview(users=["tess"], teams=[make_team("testers").name])
    publish_plugin("public-tool", "1.0.0")
    person = make_user("person")
    make_team("their-team", admin=person)
    signed_in(person).post(
        "/api/v1/plugins/public-tool/install", {}, content_type="application/json"
    )
    # Team memberships, installs, core packages with tested previews, preferences (the
    # manifest comes from its cache): as many as before previews were installed on first boot.
    with django_assert_num_queries(4):
        selectors.effective_plugins(user=person)
    # A tester pays one more, for their tester rows; nothing is written once installed.
    person_bootstrap(user=tess)
    with django_assert_num_queries(5):
        bootstrap = selectors.effective_plugins(user=tess)
    assert bootstrap.first_boot == ()


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_boots_install_once():
    member_names = [f"member{index}" for index in range(4)]
    members = [make_user(name) for name in member_names]
    make_team("testers", members=members)
    tess = make_user("tess")
    make_preview(users=["tess"], teams=["testers"])

    def boot(user):
        return lambda: person_bootstrap(user=user)

    outcomes = run_together([boot(tess) for _ in range(4)] + [boot(user) for user in members])
    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], outcomes
    rows = TenantPluginInstall.objects.filter(package__name=PREVIEW)
    assert sorted((row.user_id or 0, row.team_id is not None) for row in rows) == [
        (0, True),
        (tess.pk, False),
    ]
    assert counters(PREVIEW) == (2, 2)
    assert len(installs_audited()) == 2
    assert PreviewTester.objects.filter(installed_at__isnull=True).count() == 0


@pytest.mark.django_db
def test_a_teammates_first_boot_landing_between_the_reads_still_shows_the_preview(monkeypatch):
    # Another member's boot installs the team's preview and claims the team's row just as
    # this boot reads; whichever of its reads come after that commit must show the preview.
    # (With the installations read before the tester rows, neither read showed it.)
    tess, mate = make_user("tess"), make_user("mate")
    team = make_team("testers-team", admin=tess, members=[mate])
    make_preview(teams=[team.name])
    read_rows = selectors._awaiting_first_boot
    landed = []

    def teammate_boots_first(**kwargs):
        if not landed:
            landed.append(True)
            (row,) = PreviewTester.objects.filter(team=team, installed_at__isnull=True)
            assert install_previews_on_first_boot(actor=mate, testers=[row])
        return read_rows(**kwargs)

    monkeypatch.setattr(selectors, "_awaiting_first_boot", teammate_boots_first)
    assert names(signed_in(tess)) == [PREVIEW]
    assert landed
    assert TenantPluginInstall.objects.filter(package__name=PREVIEW).count() == 1
