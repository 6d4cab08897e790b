"""Field reports kept and read: the flush of the cache's per-minute counters into
PluginVersionMinute rows, each version's health over a window for the rollout gates, and per
minute for the admin's rollout chart."""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.db.models import F

from registry.field_reports import (
    LOAD_MS_BUCKETS,
    PHASES,
    loads_and_mounts,
    peek_pending,
    take_pending,
)
from registry.models import PluginVersion, PluginVersionMinute

logger = logging.getLogger(__name__)
COLUMNS = ("loads", "mounted", *(f"failed_{phase}" for phase in PHASES), "load_ms_sum")
BUCKET_COUNT = len(LOAD_MS_BUCKETS) + 1


def _split_key(key: str) -> tuple[int, dt.datetime]:
    _, version_id, minute = key.split(":")
    return int(version_id), dt.datetime.fromtimestamp(int(minute) * 60, tz=dt.UTC)


def _columns(fields: dict[str, int]) -> dict[str, int]:
    loads, mounted = loads_and_mounts(fields)
    values = {"loads": loads, "mounted": mounted}
    for phase in PHASES:
        values[f"failed_{phase}"] = fields.get(f"f_{phase}", 0)
    values["load_ms_sum"] = fields.get("ms_sum", 0)
    return values


def _buckets(fields: dict[str, int]) -> list[int]:
    return [fields.get(f"b{index}", 0) for index in range(BUCKET_COUNT)]


def flush_field_reports() -> int:
    """Move every counter not flushed yet into PluginVersionMinute rows (added to a row the
    minute already has); the number of events moved. The counters are taken and reset in one
    atomic step, so two flushes at once never count the same reports twice."""
    taken = take_pending()
    existing = set(
        PluginVersion.objects.filter(pk__in={_split_key(key)[0] for key in taken}).values_list(
            "pk", flat=True
        )
    )
    moved = 0
    for key, fields in sorted(taken.items()):
        version_id, minute = _split_key(key)
        if version_id not in existing:
            continue  # deleted since: its counts go with it
        columns = _columns(fields)
        buckets = _buckets(fields)
        moved += columns["loads"] + columns["failed_runtime"]
        with transaction.atomic():
            row, created = PluginVersionMinute.objects.select_for_update().get_or_create(
                version_id=version_id,
                minute=minute,
                defaults={**columns, "load_ms_buckets": buckets},
            )
            if created:
                continue
            row.load_ms_buckets = [
                a + b for a, b in zip(_padded(row.load_ms_buckets), buckets, strict=True)
            ]
            PluginVersionMinute.objects.filter(pk=row.pk).update(
                load_ms_buckets=row.load_ms_buckets,
                **{column: F(column) + value for column, value in columns.items()},
            )
    return moved


def _padded(buckets: list[int]) -> list[int]:
    return (list(buckets) + [0] * BUCKET_COUNT)[:BUCKET_COUNT]


def _percentile(buckets: list[int], share: float) -> int | None:
    """The upper bound (ms) of the bucket holding the given share of loads; the last bucket
    answers twice the largest bound. None without loads."""
    total = sum(buckets)
    if not total:
        return None
    needed = share * total
    running = 0
    for index, amount in enumerate(buckets):
        running += amount
        if running >= needed:
            return (
                LOAD_MS_BUCKETS[index] if index < len(LOAD_MS_BUCKETS) else 2 * LOAD_MS_BUCKETS[-1]
            )
    return 2 * LOAD_MS_BUCKETS[-1]


def version_health(
    version_ids, *, since: dt.datetime, until: dt.datetime | None = None
) -> dict[int, dict]:
    """Each version's field reports from `since` (a minute counts when it starts at or after
    it; and at or before `until`, when given), flushed rows and counters not flushed yet
    together:
    `{id: {loads, mounted, failures_by_phase, success_rate, p50_ms, p95_ms, p99_ms}}`.

    A load is one attempt to load and mount; `runtime` failures are later errors of loads that
    mounted. `success_rate` is the share of loads that mounted and did not fail later (None
    without loads); p50/p95/p99 are the upper bounds of the load-time buckets (None without
    mounts).
    """
    version_ids = [int(version_id) for version_id in version_ids]
    totals = {version_id: _empty() for version_id in version_ids}
    rows = PluginVersionMinute.objects.filter(version_id__in=version_ids, minute__gte=since)
    if until is not None:
        rows = rows.filter(minute__lte=until)
    for row in rows:
        _add(
            totals[row.version_id],
            {column: getattr(row, column) for column in COLUMNS},
            _padded(row.load_ms_buckets),
        )
    for key, fields in peek_pending(version_ids).items():
        version_id, minute = _split_key(key)
        if minute >= since and (until is None or minute <= until) and version_id in totals:
            _add(totals[version_id], _columns(fields), _buckets(fields))
    return {version_id: _health(total) for version_id, total in totals.items()}


def minute_health(version_ids, *, since: dt.datetime, until: dt.datetime) -> dict[int, dict]:
    """Each version's field reports per minute, for the minutes starting from `since` to
    `until` (both included), flushed rows and counters not flushed yet together:
    `{id: {minute: health}}` with version_health's shape; a minute without reports is absent.
    The admin's rollout chart reads it."""
    version_ids = [int(version_id) for version_id in version_ids]
    totals: dict[int, dict[dt.datetime, dict]] = {version_id: {} for version_id in version_ids}
    rows = PluginVersionMinute.objects.filter(
        version_id__in=version_ids, minute__gte=since, minute__lte=until
    )
    for row in rows:
        _add(
            totals[row.version_id].setdefault(row.minute, _empty()),
            {column: getattr(row, column) for column in COLUMNS},
            _padded(row.load_ms_buckets),
        )
    for key, fields in peek_pending(version_ids).items():
        version_id, minute = _split_key(key)
        if since <= minute <= until and version_id in totals:
            _add(
                totals[version_id].setdefault(minute, _empty()), _columns(fields), _buckets(fields)
            )
    return {
        version_id: {minute: _health(total) for minute, total in minutes.items()}
        for version_id, minutes in totals.items()
    }


def _empty() -> dict:
    return {"columns": dict.fromkeys(COLUMNS, 0), "buckets": [0] * BUCKET_COUNT}


def _add(total: dict, columns: dict[str, int], buckets: list[int]) -> None:
    for column, value in columns.items():
        total["columns"][column] += value
    total["buckets"] = [a + b for a, b in zip(total["buckets"], buckets, strict=True)]


def success_rate(*, loads: int, mounted: int, failed_runtime: int) -> float | None:
    """The share of loads that mounted and did not fail later, to 4 places; None without
    loads. The one definition of a version's success rate (rollout gates, publisher analytics)."""
    if not loads:
        return None
    return round(max(0, mounted - failed_runtime) / loads, 4)


def _health(total: dict) -> dict:
    columns = total["columns"]
    loads = columns["loads"]
    failures = {phase: columns[f"failed_{phase}"] for phase in PHASES}
    return {
        "loads": loads,
        "mounted": columns["mounted"],
        "failures_by_phase": failures,
        "success_rate": success_rate(
            loads=loads, mounted=columns["mounted"], failed_runtime=failures["runtime"]
        ),
        "p50_ms": _percentile(total["buckets"], 0.5),
        "p95_ms": _percentile(total["buckets"], 0.95),
        "p99_ms": _percentile(total["buckets"], 0.99),
    }
