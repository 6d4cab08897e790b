"""State changes of the catalog that every app shares: the audit log and derived data."""

from __future__ import annotations

import contextlib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import F, JSONField, Max, Value
from django.utils import timezone

from registry.audit import AuditAction
from registry.cache import download_counter_key, invalidate_package
from registry.models import AuditEvent, DownloadStat, PluginPackage, PluginVersion
from registry.selectors import stored_bundle
from registry.umd import shell_globals_of_bundle


def record_audit_event(
    actor,
    action: AuditAction,
    target: object,
    *,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one row to the audit log: who did what to what, from where.

    Read as a sentence, so the first three are positional; `action` must be one of
    AuditAction's members.
    """
    target_type = target._meta.model_name if hasattr(target, "_meta") else ""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=AuditAction(action),
        target=str(target)[:255],
        target_type=target_type,
        target_id=str(getattr(target, "pk", "") or ""),
        ip=ip or None,
        details=details or {},
    )


def _search_vector(name, display_name, keywords, description):
    """The weighted search vector of a package's text (columns or values)."""
    return (
        SearchVector(name, weight="A", config="simple")
        + SearchVector(display_name, weight="A", config="simple")
        + SearchVector(keywords, weight="B", config="simple")
        + SearchVector(description, weight="C", config=settings.SEARCH_CONFIG)
    )


def refresh_search_data(*, package_ids: list[int]) -> None:
    """Recompute the full-text search vector of the given packages (PostgreSQL only)."""
    if connection.vendor != "postgresql" or not package_ids:
        return
    PluginPackage.objects.filter(pk__in=package_ids).update(
        search_vector=_search_vector("name", "display_name", "keywords", "description")
    )


def set_search_vector(package: PluginPackage) -> None:
    """Give an unsaved change of a package's text its search vector, for the same save() to
    write (PostgreSQL only): no UPDATE of its own.

    From the instance's values, not its columns: the expressions of an UPDATE see the row as
    it was before. Call it whenever the text changes before saving.
    """
    if connection.vendor != "postgresql":
        return
    package.search_vector = _search_vector(
        Value(package.name),
        Value(package.display_name),
        Value(package.keywords, output_field=JSONField()),
        Value(package.description),
    )


def refresh_latest_published(package: PluginPackage) -> None:
    """Keep `package.latest_published_at` in step with its versions, after one of them left
    the published ones (a yank). The caller holds the package row's lock, as every service
    changing a version's status does, so that two of them cannot each miss the other's change.
    """
    package.latest_published_at = package.versions.filter(
        status=PluginVersion.Status.PUBLISHED
    ).aggregate(latest=Max("published_at"))["latest"]
    package.save(update_fields=["latest_published_at"])


def flush_download_stats(*, days: int = 2) -> int:
    """Move cached download counters of the last `days` days into DownloadStat and totals."""
    today = timezone.now().date()
    day_list = [(today - timedelta(days=offset)).isoformat() for offset in range(days)]
    flushed = 0
    versions = PluginVersion.objects.values_list("pk", "package_id").order_by("pk")
    batch_size = max(1, 1000 // len(day_list))
    batch: list[tuple[int, int]] = []
    for row in versions.iterator(chunk_size=2000):
        batch.append(row)
        if len(batch) >= batch_size:
            flushed += _flush_batch(batch, day_list)
            batch = []
    if batch:
        flushed += _flush_batch(batch, day_list)
    return flushed


def _flush_batch(rows: list[tuple[int, int]], day_list: list[str]) -> int:
    keys = {
        download_counter_key(day, version_id): (day, version_id, package_id)
        for version_id, package_id in rows
        for day in day_list
    }
    counts = {key: value for key, value in cache.get_many(list(keys)).items() if value}
    if not counts:
        return 0
    with transaction.atomic():
        for key, count in counts.items():
            day, version_id, package_id = keys[key]
            stat, created = DownloadStat.objects.get_or_create(
                version_id=version_id, day=day, defaults={"package_id": package_id, "count": count}
            )
            if not created:
                DownloadStat.objects.filter(pk=stat.pk).update(count=F("count") + count)
            PluginVersion.objects.filter(pk=version_id).update(downloads=F("downloads") + count)
            PluginPackage.objects.filter(pk=package_id).update(downloads=F("downloads") + count)
    # Subtract what was moved rather than deleting, so downloads counted meanwhile survive.
    for key, count in counts.items():
        with contextlib.suppress(ValueError):
            cache.decr(key, count)
    return sum(counts.values())


def record_shell_globals(*, version: PluginVersion) -> list[str] | None:
    """Record the shell globals of a version published before they were recorded at publish
    time, read from its stored bundle; None when the bundle cannot be read.

    A published bundle never changes, so a recorded value stays: calling again changes nothing.
    """
    if version.shell_globals is not None:
        return version.shell_globals
    data = stored_bundle(version)
    if data is None:
        return None
    shell_globals = shell_globals_of_bundle(data)
    with transaction.atomic():
        updated = PluginVersion.objects.filter(pk=version.pk, shell_globals__isnull=True).update(
            shell_globals=shell_globals
        )
        if updated:
            # The production manifest gains shellGlobals: cached copies without it must go.
            invalidate_package(version.package.name)
    version.shell_globals = shell_globals
    return shell_globals
