"""Publisher analytics of one package over a window of days: active installs per version, loads
and success rate per version per day (the flushed field reports), downloads per day.

A reader of three apps and the owner of no table: installs (installations), registry (field
reports, download stats, deployments) and publishing (API tokens, for who may read). Every
number is an aggregate computed by the database in a constant number of queries, whatever the
number of installs, minutes or days (docs/decisions.md, "Publisher analytics").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDate
from django.utils import timezone

from installs.models import TenantPluginInstall
from installs.versions import PINNABLE_VERSION_STATUSES
from naap.errors import NotFound
from publishing.models import ApiToken
from publishing.tokens import require_package_allowed, require_scope
from registry.field_health import success_rate
from registry.membership import may_act_for_publisher
from registry.models import (
    DownloadStat,
    PluginDeployment,
    PluginPackage,
    PluginVersion,
    PluginVersionMinute,
)

DEFAULT_DAYS = 30
MAX_DAYS = 90


@dataclass(frozen=True)
class InstallCount:
    """Installations running a version: a person's own, and teams' (one per team)."""

    personal: int = 0
    team: int = 0
    # True when part of the count is the rollout's share of the unpinned installs rather than
    # each install's own bucket (see `_split_unpinned`).
    estimated: bool = False

    @property
    def total(self) -> int:
        return self.personal + self.team


@dataclass(frozen=True)
class DayLoads:
    day: dt.date
    loads: int
    mounted: int
    failed_runtime: int
    downloads: int

    @property
    def success_rate(self) -> float | None:
        return success_rate(
            loads=self.loads, mounted=self.mounted, failed_runtime=self.failed_runtime
        )


@dataclass(frozen=True)
class VersionAnalytics:
    version: str
    status: str
    role: str  # "deployed", "candidate" (of the open rollout) or ""
    installs: InstallCount
    daily: list[DayLoads]

    @property
    def loads(self) -> int:
        return sum(day.loads for day in self.daily)

    @property
    def success_rate(self) -> float | None:
        return success_rate(
            loads=self.loads,
            mounted=sum(day.mounted for day in self.daily),
            failed_runtime=sum(day.failed_runtime for day in self.daily),
        )

    @property
    def downloads(self) -> int:
        return sum(day.downloads for day in self.daily)


@dataclass(frozen=True)
class PackageAnalytics:
    package: PluginPackage
    days: int
    first_day: dt.date
    last_day: dt.date
    deployed_version: str | None
    candidate_version: str | None
    candidate_percent: int
    # Newest first: every version with installs, loads or downloads in the window, and the
    # deployed and candidate versions.
    versions: list[VersionAnalytics]
    # Installs that run no version now (nothing published is deployed for them).
    unresolved_installs: InstallCount
    downloads_daily: list[tuple[dt.date, int]] = field(default_factory=list)

    @property
    def downloads(self) -> int:
        return sum(count for _, count in self.downloads_daily)

    @property
    def installs(self) -> InstallCount:
        counts = [version.installs for version in self.versions] + [self.unresolved_installs]
        return InstallCount(
            personal=sum(count.personal for count in counts),
            team=sum(count.team for count in counts),
            estimated=any(count.estimated for count in counts),
        )


def package_for_analytics(*, name: str, actor, token: ApiToken | None) -> PluginPackage:
    """The package whose analytics the actor may read: members of its publisher and staff with
    a session, or a token of its publisher with the read scope (admin implies it) that is not
    limited to other packages. Anyone else gets the NotFound of a package that does not exist,
    so analytics tell nobody which unlisted or draft packages there are."""
    package = PluginPackage.objects.select_related("publisher").filter(name=name).first()
    hidden = NotFound(f"No plugin named '{name}' whose analytics you may read.")
    if package is None:
        raise hidden
    if token is not None:
        if token.publisher_id != package.publisher_id:
            raise hidden
        # The package's own publisher's token: the refusal may say what it lacks.
        require_scope(token, "read")
        require_package_allowed(token, package.name)
        return package
    if not may_act_for_publisher(actor, package.publisher):
        raise hidden
    return package


def package_analytics(
    package: PluginPackage, *, days: int = DEFAULT_DAYS, today: dt.date | None = None
) -> PackageAnalytics:
    """A package's analytics over the last `days` days (1 to MAX_DAYS, today included, UTC):
    five queries, whatever the number of installs, versions or reports."""
    if not 1 <= days <= MAX_DAYS:
        raise ValueError(f"days must be 1 to {MAX_DAYS}, not {days}")
    last_day = today or timezone.now().date()
    first_day = last_day - dt.timedelta(days=days - 1)
    deployment = (
        PluginDeployment.objects.select_related("version", "canary_version")
        .filter(package=package)
        .first()
    )
    installs, unresolved = _installs_per_version(package, deployment)
    loads = _loads_per_version_and_day(package, first_day, last_day)
    downloads = _downloads_per_version_and_day(package, first_day, last_day)
    deployed, candidate, percent = _roles(deployment)
    wanted = set(installs) | {key[0] for key in loads} | {key[0] for key in downloads}
    wanted |= {version.pk for version in (deployed, candidate) if version is not None}
    rows = PluginVersion.objects.filter(pk__in=wanted).order_by("-sort_key")
    days_list = [first_day + dt.timedelta(days=offset) for offset in range(days)]
    versions = []
    for row in rows.only("pk", "version", "status"):
        daily = []
        for day in days_list:
            loaded = loads.get((row.pk, day), (0, 0, 0))
            daily.append(DayLoads(day, *loaded, downloads=downloads.get((row.pk, day), 0)))
        role = (
            "deployed"
            if deployed is not None and row.pk == deployed.pk
            else "candidate"
            if candidate is not None and row.pk == candidate.pk
            else ""
        )
        versions.append(
            VersionAnalytics(
                version=row.version,
                status=row.status,
                role=role,
                installs=installs.get(row.pk, InstallCount()),
                daily=daily,
            )
        )
    per_day: dict[dt.date, int] = {}
    for (_, day), count in downloads.items():
        per_day[day] = per_day.get(day, 0) + count
    return PackageAnalytics(
        package=package,
        days=days,
        first_day=first_day,
        last_day=last_day,
        deployed_version=deployed.version if deployed is not None else None,
        candidate_version=candidate.version if candidate is not None else None,
        candidate_percent=percent,
        versions=versions,
        unresolved_installs=unresolved,
        downloads_daily=[(day, per_day.get(day, 0)) for day in days_list],
    )


def _roles(
    deployment: PluginDeployment | None,
) -> tuple[PluginVersion | None, PluginVersion | None, int]:
    """The deployed version people fall back on, and the open rollout's candidate and share,
    each only when people may run it (published), as installs.versions resolves them."""
    if deployment is None:
        return None, None, 0
    deployed = deployment.version
    if deployed is not None and deployed.status != PluginVersion.Status.PUBLISHED:
        deployed = None
    candidate = deployment.canary_version
    percent = deployment.canary_percent
    if candidate is None or candidate.status != PluginVersion.Status.PUBLISHED or percent <= 0:
        return deployed, None, 0
    return deployed, candidate, min(percent, 100)


def _installs_per_version(
    package: PluginPackage, deployment: PluginDeployment | None
) -> tuple[dict[int, InstallCount], InstallCount]:
    """Installs per version they run now ({version id: count}), and those that run none.

    Rows of one query grouped by pinned version. A pin to a version people may run is exact;
    the other installs follow the deployment (installs.versions.versions_to_try): during a
    rollout its share of them is counted on the candidate, the rest on the deployed version.
    """
    groups = (
        TenantPluginInstall.objects.filter(package=package)
        .values("pinned_version_id", "pinned_version__package_id", "pinned_version__status")
        .annotate(
            personal=Count("pk", filter=Q(user__isnull=False)),
            team=Count("pk", filter=Q(team__isnull=False)),
        )
        .order_by()
    )
    counts: dict[int, InstallCount] = {}
    unpinned = InstallCount()
    for group in groups:
        pinned = (
            group["pinned_version_id"] is not None
            and group["pinned_version__package_id"] == package.pk
            and group["pinned_version__status"] in PINNABLE_VERSION_STATUSES
        )
        count = InstallCount(personal=group["personal"], team=group["team"])
        if pinned:
            counts[group["pinned_version_id"]] = _plus(
                counts.get(group["pinned_version_id"]), count
            )
        else:
            unpinned = _plus(unpinned, count)
    deployed, candidate, percent = _roles(deployment)
    on_candidate, on_deployed = _split_unpinned(unpinned, percent)
    unresolved = InstallCount()
    if candidate is not None:
        counts[candidate.pk] = _plus(counts.get(candidate.pk), on_candidate)
    if deployed is not None:
        counts[deployed.pk] = _plus(counts.get(deployed.pk), on_deployed)
    else:
        unresolved = on_deployed
    return {pk: count for pk, count in counts.items() if count.total}, unresolved


def _split_unpinned(unpinned: InstallCount, percent: int) -> tuple[InstallCount, InstallCount]:
    """The unpinned installs on the candidate and on the deployed version at a rollout's share.

    Each install's bucket is a hash of its person or team (installs.versions.canary_bucket),
    uniform over 0-99, which no portable SQL computes: instead of reading every install to
    hash it, the share of the count is taken, marked estimated when the share is partial."""
    partial = 0 < percent < 100 and unpinned.total > 0
    on_candidate = InstallCount(
        personal=round(unpinned.personal * percent / 100),
        team=round(unpinned.team * percent / 100),
        estimated=partial,
    )
    on_deployed = InstallCount(
        personal=unpinned.personal - on_candidate.personal,
        team=unpinned.team - on_candidate.team,
        estimated=partial,
    )
    return on_candidate, on_deployed


def _plus(first: InstallCount | None, second: InstallCount) -> InstallCount:
    if first is None:
        return second
    return InstallCount(
        personal=first.personal + second.personal,
        team=first.team + second.team,
        estimated=first.estimated or second.estimated,
    )


def _loads_per_version_and_day(
    package: PluginPackage, first_day: dt.date, last_day: dt.date
) -> dict[tuple[int, dt.date], tuple[int, int, int]]:
    """{(version id, day): (loads, mounted, runtime failures)} of the flushed per-minute rows,
    added up per UTC day by the database."""
    start = dt.datetime.combine(first_day, dt.time.min, tzinfo=dt.UTC)
    end = dt.datetime.combine(last_day + dt.timedelta(days=1), dt.time.min, tzinfo=dt.UTC)
    rows = (
        PluginVersionMinute.objects.filter(
            version__package=package, minute__gte=start, minute__lt=end
        )
        .annotate(day=TruncDate("minute", tzinfo=dt.UTC))
        .values("version_id", "day")
        .annotate(
            total_loads=Sum("loads"),
            total_mounted=Sum("mounted"),
            total_runtime=Sum("failed_runtime"),
        )
        .order_by()
    )
    return {
        (row["version_id"], row["day"]): (
            row["total_loads"],
            row["total_mounted"],
            row["total_runtime"],
        )
        for row in rows
    }


def _downloads_per_version_and_day(
    package: PluginPackage, first_day: dt.date, last_day: dt.date
) -> dict[tuple[int, dt.date], int]:
    """{(version id, day): downloads} of the flushed download stats."""
    rows = (
        DownloadStat.objects.filter(package=package, day__gte=first_day, day__lte=last_day)
        .values("version_id", "day")
        .annotate(total=Sum("count"))
        .order_by()
    )
    return {(row["version_id"], row["day"]): row["total"] for row in rows}
