"""package_analytics: installs per version they run, loads and success rate per version per
day, downloads per day; the window's bounds; a constant number of queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from analytics.selectors import InstallCount, package_analytics
from registry.models import PluginDeployment, PluginVersion
from tests.analytics.conftest import installs, minute, reports

pytestmark = pytest.mark.django_db


def by_version(analytics) -> dict:
    return {version.version: version for version in analytics.versions}


def test_installs_per_version_pinned_exact_and_the_rest_at_the_rollouts_share(catalog):
    analytics = package_analytics(catalog.package, days=30)
    versions = by_version(analytics)
    # Newest first; the rejected version runs nowhere and has no data, so it is not listed.
    assert list(versions) == ["2.0.0", "1.1.0", "1.0.0"]
    assert versions["1.0.0"].installs == InstallCount(personal=2, team=1, estimated=False)
    # 8 personal and 4 team installs follow the deployment: 25 % on the candidate.
    assert versions["2.0.0"].installs == InstallCount(personal=2, team=1, estimated=True)
    assert versions["1.1.0"].installs == InstallCount(personal=6, team=3, estimated=True)
    assert (versions["2.0.0"].role, versions["1.1.0"].role, versions["1.0.0"].role) == (
        "candidate",
        "deployed",
        "",
    )
    assert analytics.installs.total == 15 and analytics.unresolved_installs.total == 0
    assert (analytics.deployed_version, analytics.candidate_version) == ("1.1.0", "2.0.0")
    assert analytics.candidate_percent == 25


def test_without_a_rollout_unpinned_installs_run_the_deployed_version_exactly(catalog):
    PluginDeployment.objects.filter(package=catalog.package).update(canary_percent=0)
    versions = by_version(package_analytics(catalog.package, days=30))
    assert versions["1.1.0"].installs == InstallCount(personal=8, team=4, estimated=False)
    assert versions["2.0.0"].installs.total == 0 and versions["2.0.0"].role == ""


def test_installs_with_nothing_deployed_they_may_run_are_unresolved(catalog):
    PluginDeployment.objects.filter(package=catalog.package).update(canary_percent=0)
    PluginVersion.objects.filter(pk=catalog.v2.pk).update(status=PluginVersion.Status.YANKED)
    analytics = package_analytics(catalog.package, days=30)
    assert analytics.unresolved_installs == InstallCount(personal=8, team=4)
    assert analytics.deployed_version is None
    assert by_version(analytics)["1.1.0"].installs.total == 0
    # A yanked pinned version still runs for those who pinned it.
    PluginVersion.objects.filter(pk=catalog.v1.pk).update(status=PluginVersion.Status.YANKED)
    assert by_version(package_analytics(catalog.package, days=30))["1.0.0"].installs.total == 3


def test_loads_and_success_rate_per_version_per_day(catalog):
    analytics = package_analytics(catalog.package, days=30)
    versions = by_version(analytics)
    assert analytics.first_day == catalog.today - dt.timedelta(days=29)
    assert analytics.last_day == catalog.today
    candidate, deployed = versions["2.0.0"], versions["1.1.0"]
    assert len(candidate.daily) == 30
    assert [day.day for day in candidate.daily] == [
        analytics.first_day + dt.timedelta(days=offset) for offset in range(30)
    ]
    # Two minutes of today added up: (19 mounted - 1 later error) / 20 loads.
    assert (candidate.daily[-1].loads, candidate.daily[-1].success_rate) == (20, 0.9)
    assert candidate.daily[0].success_rate is None  # no loads: no rate
    assert (candidate.loads, candidate.success_rate) == (20, 0.9)
    assert (deployed.daily[-2].loads, deployed.daily[-2].success_rate) == (40, 0.95)
    assert (deployed.daily[0].loads, deployed.daily[0].success_rate) == (5, 1.0)
    # 30 days ago is outside the window.
    assert (deployed.loads, deployed.success_rate) == (45, round(43 / 45, 4))
    assert versions["1.0.0"].loads == 0 and versions["1.0.0"].success_rate is None


def test_downloads_per_day_and_per_version(catalog):
    analytics = package_analytics(catalog.package, days=30)
    versions = by_version(analytics)
    assert analytics.downloads == 16
    assert analytics.downloads_daily[-1] == (catalog.today, 10)
    assert analytics.downloads_daily[0] == (catalog.today - dt.timedelta(days=29), 4)
    assert analytics.downloads_daily[-2] == (catalog.today - dt.timedelta(days=1), 2)
    assert (versions["2.0.0"].downloads, versions["1.1.0"].downloads) == (7, 7)
    assert versions["1.0.0"].downloads == 2


@pytest.mark.parametrize(
    ("days", "deployed_loads", "downloads"),
    [(1, 0, 10), (2, 40, 12), (30, 45, 16), (31, 145, 66), (90, 145, 66)],
)
def test_the_window_takes_whole_utc_days_ending_today(catalog, days, deployed_loads, downloads):
    analytics = package_analytics(catalog.package, days=days)
    assert len(analytics.downloads_daily) == days
    assert by_version(analytics)["1.1.0"].loads == deployed_loads
    assert analytics.downloads == downloads


def test_a_report_of_tomorrow_or_another_package_is_not_counted(catalog):
    from tests.factories import make_package, make_version

    reports(catalog.v3, minute(catalog.today + dt.timedelta(days=1), 0, 0), loads=9, mounted=9)
    other = make_version(make_package("other-wallet", publisher=catalog.publisher), "2.0.0")
    reports(other, minute(catalog.today), loads=50, mounted=50)
    assert by_version(package_analytics(catalog.package, days=30))["2.0.0"].loads == 20


@pytest.mark.parametrize("days", [0, -1, 91])
def test_the_window_is_bounded(catalog, days):
    with pytest.raises(ValueError, match="days must be 1 to 90"):
        package_analytics(catalog.package, days=days)


def test_the_number_of_queries_does_not_grow_with_installs_versions_or_reports(catalog):
    with CaptureQueriesContext(connection) as before:
        package_analytics(catalog.package, days=90)
    assert len(before) <= 5
    from tests.factories import make_version

    for index in range(5):
        version = make_version(catalog.package, f"3.{index}.0")
        installs(catalog.package, personal=3, teams=1, pinned=version)
        for offset in range(20):
            day = catalog.today - dt.timedelta(days=offset * 4)
            reports(version, minute(day, 1 + index, offset), loads=5, mounted=4)
    with CaptureQueriesContext(connection) as after:
        analytics = package_analytics(catalog.package, days=90)
    assert len(after) == len(before)
    assert len(analytics.versions) == 8
    assert analytics.installs.total == 15 + 5 * 4
