"""Publishers' webhook endpoints and the log of every delivery to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from naap.models import TimestampedModel
from registry.models import Publisher


class WebhookEndpoint(TimestampedModel):
    publisher = models.ForeignKey(Publisher, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    # Event names (webhooks.events.EVENT_NAMES); empty means every event.
    events = models.JSONField(default=list, blank=True)
    # The signing secret, Fernet-encrypted (webhooks.signing); shown once when created.
    secret_encrypted = models.TextField()
    secret_prefix = models.CharField(max_length=16)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["publisher__name", "created_at"]

    def __str__(self) -> str:
        return f"{self.url} for {self.publisher}"

    def wants(self, event: str) -> bool:
        """Whether this endpoint subscribed to `event` (no list: every event)."""
        return not self.events or event in self.events


class WebhookDelivery(TimestampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        RETRYING = "retrying", "Retrying"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    # The audit row this delivery announces (none for a test event).
    audit_event = models.ForeignKey(
        "registry.AuditEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    event = models.CharField(max_length=64)
    payload = models.JSONField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    response_status = models.PositiveIntegerField(null=True, blank=True)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=255, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "webhook deliveries"

    def __str__(self) -> str:
        return f"{self.event} to {self.endpoint.url} ({self.status})"
