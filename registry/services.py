"""State changes of the catalog that every app shares: the audit log and derived data."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.db import connection

from registry.models import AuditEvent, PluginPackage


def record_audit_event(
    *,
    actor,
    action: str,
    target: object,
    ip: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one row to the audit log."""
    target_type = target._meta.model_name if hasattr(target, "_meta") else ""
    return AuditEvent.objects.create(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        target=str(target)[:255],
        target_type=target_type,
        target_id=str(getattr(target, "pk", "") or ""),
        ip=ip or None,
        details=details or {},
    )


def refresh_search_data(*, package_ids: list[int]) -> None:
    """Recompute the full-text search vector of the given packages (PostgreSQL only)."""
    if connection.vendor != "postgresql" or not package_ids:
        return
    PluginPackage.objects.filter(pk__in=package_ids).update(
        search_vector=SearchVector("name", weight="A", config="simple")
        + SearchVector("display_name", weight="A", config="simple")
        + SearchVector("keywords", weight="B", config="simple")
        + SearchVector("description", weight="C", config=settings.SEARCH_CONFIG)
    )
