"""The analytics pages: one per plugin (/plugins/<name>/analytics/) for its publisher's members
and staff, and the list of the signed-in person's plugins (/me/analytics/)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render

from analytics import selectors
from naap.errors import NotFound
from registry.charts import bar_chart_svg, line_chart_svg
from registry.models import PluginPackage

# The versions drawn in the charts: the most loaded ones (the table lists every version).
CHART_VERSIONS = 6
DAY_CHOICES = (7, 30, 90)


@login_required
def package_page(request, name: str):
    """A plugin's analytics: charts of loads, success rate and downloads per day, and a table
    of active installs per version. 404 for anyone but members and staff, as for a plugin that
    does not exist."""
    try:
        package = selectors.package_for_analytics(name=name, actor=request.user, token=None)
    except NotFound as error:
        raise Http404(error.message) from error
    days, error = _days(request.GET.get("days"))
    analytics = selectors.package_analytics(package, days=days)
    loaded = sorted(
        (version for version in analytics.versions if version.loads),
        key=lambda version: -version.loads,
    )
    charted = loaded[:CHART_VERSIONS]
    label = f"{package.display_name}, last {days} day{'s' if days != 1 else ''}"
    days_shown = [d.day for d in charted[0].daily] if charted else []
    charts = {
        "loads": line_chart_svg(
            days_shown,
            [(v.version, [d.loads for d in v.daily]) for v in charted],
            title=f"Loads per version per day: {label}",
            ident="loads",
            per="day",
            tick_format="%Y-%m-%d",
        ),
        "success": line_chart_svg(
            days_shown,
            [(v.version, [_chart_percent(d.success_rate) for d in v.daily]) for v in charted],
            title=f"Success rate per version per day: {label}",
            ident="success",
            peak=100,
            unit="%",
            per="day",
            tick_format="%Y-%m-%d",
        ),
        "downloads": bar_chart_svg(
            analytics.downloads_daily,
            title=f"Downloads per day: {label}",
            ident="downloads",
        ),
    }
    response = render(
        request,
        "analytics/package.html",
        {
            "package": package,
            "analytics": analytics,
            "rows": [(version, _percent(version.success_rate)) for version in analytics.versions],
            "charts": charts,
            "charted": len(charted),
            "left_out": len(loaded) - len(charted),
            "day_choices": DAY_CHOICES,
            "days_error": error,
        },
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _percent(rate: float | None) -> str:
    return "—" if rate is None else f"{rate * 100:.1f} %"


def _chart_percent(rate: float | None) -> float | None:
    return None if rate is None else round(rate * 100, 1)


def _days(raw: str | None) -> tuple[int, str]:
    """The window the address asks for, or the default with a message saying why."""
    if raw in (None, ""):
        return selectors.DEFAULT_DAYS, ""
    try:
        days = int(raw)
    except ValueError:
        days = 0
    if not 1 <= days <= selectors.MAX_DAYS:
        return selectors.DEFAULT_DAYS, (
            f"Days must be a whole number from 1 to {selectors.MAX_DAYS}; "
            f"showing the last {selectors.DEFAULT_DAYS}."
        )
    return days, ""


@login_required
def index_page(request):
    """The plugins of the signed-in person's publishers, each with a link to its analytics."""
    packages = (
        PluginPackage.objects.filter(publisher__memberships__user=request.user)
        .select_related("publisher")
        .order_by("publisher__name", "name")
    )
    return render(request, "analytics/index.html", {"packages": packages})
