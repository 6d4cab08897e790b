"""Concurrent first boots whose tester rows overlap (installs.services
.install_previews_on_first_boot): each row is installed and claimed in a transaction of its
own, so boots that reach the same packages in opposite orders, or the same team row through
different routes, or race a publisher removing testers, wait for each other instead of
deadlocking (a 500 on PostgreSQL)."""

from __future__ import annotations

import pytest

from installs.bootstrap import person_bootstrap
from installs.models import PreviewTester, TenantPluginInstall
from installs.testers import set_preview_testers
from registry.models import AuditEvent
from tests.factories import make_team, make_user
from tests.installs.helpers import counters, publish_plugin
from tests.installs.test_install_concurrency import run_together

# Races are timing-dependent: several rounds make an unlucky interleaving likely.
ROUNDS = 6


def boot(user):
    return lambda: person_bootstrap(user=user)


def tenants(name: str) -> list[tuple[str, str]]:
    """(person, team) of each installation of the package, sorted."""
    rows = TenantPluginInstall.objects.filter(package__name=name).select_related("user", "team")
    return sorted(
        (row.user.username if row.user else "", row.team.name if row.team else "") for row in rows
    )


def first_boot_audits(name: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            action="plugin.install", target_type="pluginpackage", target=name
        ).filter(details__firstBoot=True)
    )


@pytest.mark.django_db(transaction=True)
def test_boots_reaching_two_previews_in_opposite_orders_both_install():
    owner = make_user("owner")
    for round_ in range(ROUNDS):
        first, second = f"preview-one-{round_}", f"preview-two-{round_}"
        publish_plugin(first, "1.0.0", actor=owner)
        publish_plugin(second, "1.0.0", actor=owner)
        ann, ben = make_user(f"ann{round_}"), make_user(f"ben{round_}")

        def name_testers(package: str, users: list[str]) -> None:
            set_preview_testers(actor=owner, name=package, preview=True, users=users, teams=[])

        # Tester rows in this pk order: ann's reach `first` then `second`, ben's the reverse.
        name_testers(first, [ann.username])
        name_testers(second, [ben.username])
        name_testers(second, [ben.username, ann.username])
        name_testers(first, [ann.username, ben.username])
        rows = PreviewTester.objects.filter(user__in=[ann, ben]).order_by("pk")
        assert [(row.user.username, row.package.name) for row in rows] == [
            (ann.username, first),
            (ben.username, second),
            (ann.username, second),
            (ben.username, first),
        ]

        outcomes = run_together([boot(ann), boot(ben)])
        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
        for package in (first, second):
            assert tenants(package) == [(ann.username, ""), (ben.username, "")]
            assert counters(package) == (2, 2)
            audits = first_boot_audits(package)
            assert sorted(event.actor.username for event in audits) == [ann.username, ben.username]
        assert not PreviewTester.objects.filter(installed_at__isnull=True).exists()


@pytest.mark.django_db(transaction=True)
def test_a_named_tester_in_a_tester_team_boots_with_her_teammates():
    owner = make_user("owner")
    for round_ in range(ROUNDS):
        package = f"preview-{round_}"
        publish_plugin(package, "1.0.0", actor=owner)
        ann = make_user(f"ann{round_}")
        mates = [make_user(f"mate{round_}-{index}") for index in range(3)]
        team = make_team(f"team-{round_}", members=[ann, *mates])
        # Her own row first, then the team's: her boot reaches the package, then the team row
        # her teammates' boots reach first.
        set_preview_testers(actor=owner, name=package, preview=True, users=[ann.username], teams=[])
        set_preview_testers(
            actor=owner, name=package, preview=True, users=[ann.username], teams=[team.name]
        )
        rows = PreviewTester.objects.filter(package__name=package).order_by("pk")
        assert [(row.user_id, row.team_id) for row in rows] == [(ann.pk, None), (None, team.pk)]

        outcomes = run_together([boot(ann), *[boot(mate) for mate in mates]])
        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
        assert tenants(package) == [("", team.name), (ann.username, "")]
        assert counters(package) == (2, 2)
        audits = first_boot_audits(package)
        assert len(audits) == 2
        assert sorted(event.details["tenant"] for event in audits) == ["team", "user"]
        assert not PreviewTester.objects.filter(installed_at__isnull=True).exists()
        # Every boot answered with the preview.
        for outcome in outcomes:
            assert f'"name":"{package}"'.encode() in outcome.body.replace(b" ", b"")


@pytest.mark.django_db(transaction=True)
def test_boots_while_the_publisher_removes_testers():
    owner = make_user("owner")
    for round_ in range(ROUNDS):
        package = f"preview-{round_}"
        publish_plugin(package, "1.0.0", actor=owner)
        testers = [make_user(f"tester{round_}-{index}") for index in range(4)]
        usernames = [tester.username for tester in testers]
        set_preview_testers(actor=owner, name=package, preview=True, users=usernames, teams=[])

        def remove_all_but_the_first(package=package, keep=usernames[:1]):
            return lambda: set_preview_testers(
                actor=owner, name=package, preview=True, users=keep, teams=[]
            )

        outcomes = run_together([*[boot(tester) for tester in testers], remove_all_but_the_first()])
        assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
        # Whoever booted before the removal keeps the installation; nobody got one unclaimed.
        installed = TenantPluginInstall.objects.filter(package__name=package)
        assert testers[0].pk in {row.user_id for row in installed}
        assert counters(package) == (installed.count(), installed.count())
        assert len(first_boot_audits(package)) == installed.count()
        assert not PreviewTester.objects.filter(installed_at__isnull=True).exists()
