"""Reading staged rollouts for staff: the open ones for the admin's dashboard, and what one
rollout's admin page shows (the split, both versions' field reports per minute as SVG
charts and over the window, the event timeline)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Case, IntegerField, Value, When
from django.utils import timezone
from django.utils.safestring import SafeString

from registry.charts import line_chart_svg
from registry.field_health import minute_health, version_health
from registry.models import DeploymentEvent, PluginPackage, Rollout

__all__ = [
    "CHART_MINUTES",
    "RolloutCharts",
    "next_step",
    "open_rollouts",
    "package_rollout",
    "rollout_charts",
    "rollout_timeline",
]

# The charts show the rollout's last hour (or its whole life when shorter), one point a minute.
CHART_MINUTES = 60


def next_step(rollout: Rollout) -> str:
    """What happens next to a rollout, in words: the gate's next step and when it is due."""
    if rollout.status == Rollout.Status.PAUSED:
        return "paused: no step until it is resumed"
    if not rollout.is_open:
        return f"{rollout.get_status_display().lower()}: none"
    target = min(100, rollout.percent + rollout.increment_percent)
    step = "promote to 100 %" if target >= 100 else f"advance to {target} %"
    if rollout.next_step_at is None:
        return f"{step}, if healthy"
    return f"{step} at {rollout.next_step_at:%Y-%m-%d %H:%M} UTC, if healthy"


def open_rollouts() -> list[Rollout]:
    """Every running or paused rollout, by package name, with its package and both versions
    (one query)."""
    return list(
        Rollout.objects.filter(status__in=Rollout.OPEN_STATUSES)
        .select_related("package", "candidate", "stable")
        .order_by("package__name")
    )


def package_rollout(package: PluginPackage) -> Rollout | None:
    """The package's open rollout, else its latest one, else None."""
    is_open = Case(
        When(status__in=Rollout.OPEN_STATUSES, then=Value(0)),
        default=Value(1),
        output_field=IntegerField(),
    )
    return (
        Rollout.objects.filter(package=package)
        .select_related("package", "candidate", "stable", "started_by")
        .order_by(is_open, "-created_at", "-id")
        .first()
    )


def rollout_timeline(rollout: Rollout) -> list[DeploymentEvent]:
    """The rollout's events, oldest first, with who acted and both versions."""
    return list(
        rollout.events.select_related("actor", "from_version", "to_version").order_by(
            "created_at", "id"
        )
    )


@dataclass(frozen=True)
class RolloutCharts:
    since: dt.datetime
    until: dt.datetime
    # (role, version, health over the window) for the stable version (when there is one),
    # then the candidate.
    totals: list[tuple[str, str, dict]]
    charts: list[tuple[str, SafeString]]  # (caption, SVG)


def _minute(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.UTC).replace(second=0, microsecond=0)


def rollout_charts(rollout: Rollout, *, now: dt.datetime | None = None) -> RolloutCharts:
    """Loads, success rate and p95 load time per minute of the rollout's stable and
    candidate versions over its last CHART_MINUTES minutes (up to its end when it has
    ended), as SVG charts, and each version's totals over the same window.

    p95 is the upper bound of the load-time bucket holding the 95th percentile of that
    minute's mounted loads (PluginVersionMinute keeps a histogram, not each load time)."""
    until = _minute(rollout.ended_at or now or timezone.now())
    since = max(_minute(rollout.created_at), until - dt.timedelta(minutes=CHART_MINUTES - 1))
    minutes = [since + dt.timedelta(minutes=offset) for offset in range(CHART_MINUTES)]
    minutes = [minute for minute in minutes if minute <= until]
    versions = []
    if rollout.stable is not None:
        versions.append(("stable", rollout.stable))
    versions.append(("candidate", rollout.candidate))
    ids = [version.pk for _, version in versions]
    per_minute = minute_health(ids, since=since, until=until)
    window = version_health(ids, since=since, until=until)
    totals = [(role, version.version, window[version.pk]) for role, version in versions]

    def series(metric, scale: float = 1) -> list[tuple[str, list]]:
        lines = []
        for role, version in versions:
            healths = per_minute[version.pk]
            values = []
            for minute in minutes:
                value = healths.get(minute, {}).get(metric)
                if metric == "loads":
                    value = value or 0
                values.append(None if value is None else round(value * scale, 1))
            lines.append((f"{role} {version.version}", values))
        return lines

    package = rollout.package
    name = f"{package.display_name} ({package.name})"
    ident = f"rollout-{rollout.pk}"
    charts = [
        (
            caption,
            line_chart_svg(
                minutes,
                series(metric, scale),
                title=f"{caption}: {name}",
                ident=f"{ident}-{key}",
                unit=unit,
                peak=peak,
            ),
        )
        for key, caption, metric, scale, unit, peak in (
            ("loads", "Loads per minute", "loads", 1, "", None),
            ("success", "Success rate per minute", "success_rate", 100, "%", 100),
            ("p95", "p95 load time per minute", "p95_ms", 1, " ms", None),
        )
    ]
    return RolloutCharts(since=since, until=until, totals=totals, charts=charts)
