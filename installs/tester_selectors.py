"""Read queries of preview testers (installs.models.PreviewTester): who tests a package, and
whether a tester's first boot has installed it yet (installs.services
.install_previews_on_first_boot)."""

from __future__ import annotations

from django.db.models import Q

from installs.models import PreviewTester, TeamMembership
from registry.models import PluginPackage


def is_preview_tester(user, package: PluginPackage) -> bool:
    """Whether the person was named a tester of the package, or is in a team that was (the
    check registry.visibility asks; installs.apps registers it)."""
    teams = TeamMembership.objects.filter(user=user).values("team_id")
    return (
        PreviewTester.objects.filter(package=package)
        .filter(Q(user=user) | Q(team_id__in=teams))
        .exists()
    )


def awaits_first_boot(user, package: PluginPackage) -> bool:
    """Whether the person tests the package (themselves or through a team) and no boot has
    installed it for that tester yet: it is theirs until then, as if installed."""
    teams = TeamMembership.objects.filter(user=user).values("team_id")
    return (
        PreviewTester.objects.filter(package=package, installed_at__isnull=True)
        .filter(Q(user=user) | Q(team_id__in=teams))
        .exists()
    )


def preview_testers_of(package: PluginPackage) -> list[PreviewTester]:
    """A package's testers, people first, then teams, each by name."""
    return list(
        PreviewTester.objects.filter(package=package)
        .select_related("user", "team")
        .order_by("team__name", "user__username")
    )
