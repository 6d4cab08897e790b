"""A package with three versions, a rollout, installs of every kind, field reports across days
and download stats, relative to today (UTC)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from installs.models import TenantPluginInstall
from registry.models import DownloadStat, PluginDeployment, PluginVersion, PluginVersionMinute
from tests.factories import make_package, make_publisher, make_team, make_user, make_version


@dataclass
class Catalog:
    owner: object
    publisher: object
    package: object
    v1: PluginVersion
    v2: PluginVersion
    v3: PluginVersion
    today: dt.date


def minute(day: dt.date, hour: int = 10, minute_of_hour: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute_of_hour), tzinfo=dt.UTC)


def reports(version, at: dt.datetime, *, loads: int, mounted: int, runtime: int = 0) -> None:
    PluginVersionMinute.objects.create(
        version=version,
        minute=at,
        loads=loads,
        mounted=mounted,
        failed_mount=loads - mounted,
        failed_runtime=runtime,
        load_ms_sum=mounted * 100,
        load_ms_buckets=[mounted],
    )


def installs(package, *, personal: int = 0, teams: int = 0, pinned=None) -> None:
    for _ in range(personal):
        TenantPluginInstall.objects.create(package=package, user=make_user(), pinned_version=pinned)
    for _ in range(teams):
        TenantPluginInstall.objects.create(package=package, team=make_team(), pinned_version=pinned)


@pytest.fixture
def catalog(db) -> Catalog:
    return build_catalog()


def build_catalog() -> Catalog:
    """wallet: 1.0.0 (pinned by some), 1.1.0 deployed, 2.0.0 rolling out to 25 %."""
    owner = make_user("owner")
    publisher = make_publisher("acme", owner=owner)
    package = make_package("wallet", publisher=publisher)
    v1, v2, v3 = (make_version(package, version) for version in ("1.0.0", "1.1.0", "2.0.0"))
    rejected = make_version(package, "1.5.0", status=PluginVersion.Status.REJECTED)
    PluginDeployment.objects.create(
        package=package,
        version=v2,
        status=PluginDeployment.Status.ACTIVE,
        canary_version=v3,
        canary_percent=25,
    )
    today = timezone.now().date()
    # Installs: pinned ones are exact; the 8 personal and 4 team unpinned ones (a pin to a
    # version nobody may run counts as none) follow the deployment at the rollout's share.
    installs(package, personal=2, teams=1, pinned=v1)
    installs(package, personal=7, teams=4)
    installs(package, personal=1, pinned=rejected)
    # Field reports: two minutes of 2.0.0 today; 1.1.0 yesterday, on the window's first day
    # (29 days ago) and on the day before it (30 days ago, outside a 30-day window).
    reports(v3, minute(today, 10, 0), loads=10, mounted=9, runtime=1)
    reports(v3, minute(today, 10, 1), loads=10, mounted=10)
    reports(v2, minute(today - dt.timedelta(days=1)), loads=40, mounted=40, runtime=2)
    reports(v2, minute(today - dt.timedelta(days=29), 0, 0), loads=5, mounted=5)
    reports(v2, minute(today - dt.timedelta(days=30), 23, 59), loads=100, mounted=0)
    for version, days_ago, count in [
        (v2, 0, 3),
        (v2, 29, 4),
        (v2, 30, 50),
        (v3, 0, 7),
        (v1, 1, 2),
    ]:
        DownloadStat.objects.create(
            package=package, version=version, day=today - dt.timedelta(days=days_ago), count=count
        )
    return Catalog(owner, publisher, package, v1, v2, v3, today)
