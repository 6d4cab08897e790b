"""The audit log is the outbox: a new audit row of a subscribed action writes one delivery row
per matching endpoint, and its queued task, in the same transaction; nothing runs before that
transaction commits. A rolled-back change leaves no audit row, no delivery, no task and sends
nothing.
"""

from __future__ import annotations

from django.db import transaction

from registry.models import AuditEvent
from webhooks.events import EVENTS, endpoints_for, payload_for
from webhooks.models import WebhookDelivery


def on_audit_event(sender, instance: AuditEvent, created: bool, **kwargs) -> None:
    """post_save of AuditEvent: fan a subscribed action out to the package's endpoints."""
    name = EVENTS.get(instance.action)
    if not created or name is None or kwargs.get("raw"):
        return
    endpoints = endpoints_for(instance, name)
    if not endpoints:
        return
    deliveries = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoint,
            audit_event=instance,
            event=name,
            payload=payload_for(instance, name, endpoint),
        )
        for endpoint in endpoints
    )
    queue_on_commit([delivery.pk for delivery in deliveries])


def queue_on_commit(delivery_ids: list[int]) -> None:
    """Queue the first attempt of each delivery so that it runs only once the current
    transaction commits.

    With the database backend the task rows are written in the transaction itself: they
    commit (or roll back) with the audit and delivery rows, so a crash right after the commit
    loses nothing, and no worker sees them before the commit. Any other backend is handed the
    tasks after the commit.
    """
    from django_tasks_db import DatabaseBackend

    from webhooks.tasks import deliver_webhook

    def enqueue() -> None:
        for delivery_id in delivery_ids:
            deliver_webhook.enqueue(delivery_id)

    if isinstance(deliver_webhook.get_backend(), DatabaseBackend):
        enqueue()
    else:
        transaction.on_commit(enqueue)
