"""What happened in the catalog: downloads per version per day and the audit log;
registry.models re-exports them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from naap.models import TimestampedModel
from registry.models import PluginPackage, PluginVersion


class DownloadStat(TimestampedModel):
    package = models.ForeignKey(
        PluginPackage, on_delete=models.CASCADE, related_name="download_stats"
    )
    version = models.ForeignKey(
        PluginVersion, on_delete=models.CASCADE, related_name="download_stats"
    )
    day = models.DateField()
    count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day", "package__name"]
        indexes = [models.Index(fields=["package", "day"], name="download_package_day_idx")]
        constraints = [
            models.UniqueConstraint(fields=["version", "day"], name="download_version_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.version} on {self.day}: {self.count}"


class AuditEvent(TimestampedModel):
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_events",
    )
    action = models.CharField(max_length=64, db_index=True)  # an AuditAction value
    target = models.CharField(max_length=255, blank=True, help_text="e.g. my-wallet@1.2.0")
    target_type = models.CharField(max_length=64, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["target_type", "target_id"], name="audit_target_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.target} by {self.actor or 'system'}"
