"""Staged rollouts' rows (registry.rollouts writes them); registry.models re-exports them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from naap.models import TimestampedModel
from registry.models import PluginPackage, PluginVersion


class RolloutStatus(models.TextChoices):
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    PROMOTED = "promoted", "Promoted"
    ABORTED = "aborted", "Aborted"
    SUPERSEDED = "superseded", "Superseded"


class Rollout(TimestampedModel):
    """A staged rollout of a candidate version to a growing share of people (registry.rollouts).

    While it runs or is paused, the package's deployment carries its candidate and share as
    canary_version and canary_percent, which is what bootstraps read. Its policy (threshold,
    limits, minimum sample) is kept for the health gates that judge it.
    """

    Status = RolloutStatus
    OPEN_STATUSES = (RolloutStatus.RUNNING, RolloutStatus.PAUSED)

    package = models.ForeignKey(PluginPackage, on_delete=models.CASCADE, related_name="rollouts")
    candidate = models.ForeignKey(PluginVersion, on_delete=models.PROTECT, related_name="+")
    stable = models.ForeignKey(
        PluginVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.RUNNING)
    percent = models.PositiveSmallIntegerField()
    initial_percent = models.PositiveSmallIntegerField()
    increment_percent = models.PositiveSmallIntegerField()
    interval_seconds = models.PositiveIntegerField()
    success_threshold = models.FloatField(default=0.95)  # share of loads that succeed, 0-1
    error_rate_limit = models.FloatField(default=0.05)  # share of loads that fail, 0-1
    latency_p99_limit_ms = models.PositiveIntegerField(default=5000)
    min_sample = models.PositiveIntegerField(default=20)
    next_step_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ended_at = models.DateTimeField(null=True, blank=True)
    end_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["package"],
                condition=Q(status__in=["running", "paused"]),
                name="rollout_one_open_per_package",
            ),
            models.CheckConstraint(
                condition=Q(status__in=RolloutStatus.values), name="rollout_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(percent__lte=100)
                & Q(initial_percent__gte=1)
                & Q(initial_percent__lte=99)
                & Q(increment_percent__gte=1)
                & Q(increment_percent__lte=100),
                name="rollout_percents_in_range",
            ),
            models.CheckConstraint(
                condition=Q(success_threshold__gte=0)
                & Q(success_threshold__lte=1)
                & Q(error_rate_limit__gte=0)
                & Q(error_rate_limit__lte=1),
                name="rollout_rates_in_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.candidate} at {self.percent}% ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES
