"""Field reports' rows (registry/field_reports.py flushes them): how a version loads in people's
shells, per minute; registry.models re-exports them."""

from __future__ import annotations

from django.db import models

from registry.models import PluginVersion


class PluginVersionMinute(models.Model):
    """One version's field reports over one minute, flushed from the cache's counters:
    upstream's PluginMetrics shape (loads, successes, failures, load time) per minute."""

    version = models.ForeignKey(PluginVersion, on_delete=models.CASCADE, related_name="minutes")
    minute = models.DateTimeField()  # the minute's start, UTC
    loads = models.PositiveIntegerField(default=0)
    mounted = models.PositiveIntegerField(default=0)
    failed_network = models.PositiveIntegerField(default=0)
    failed_integrity = models.PositiveIntegerField(default=0)
    failed_evaluation = models.PositiveIntegerField(default=0)
    failed_mount = models.PositiveIntegerField(default=0)
    failed_runtime = models.PositiveIntegerField(default=0)
    load_ms_sum = models.BigIntegerField(default=0)  # of the mounted loads
    # Mounted loads per load-time bucket (registry.field_reports.LOAD_MS_BUCKETS).
    load_ms_buckets = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["version", "minute"], name="version_minute_unique")
        ]
        indexes = [models.Index(fields=["minute"], name="version_minute_minute_idx")]

    def __str__(self) -> str:
        return f"{self.version_id} @ {self.minute:%Y-%m-%d %H:%M}: {self.loads} loads"
