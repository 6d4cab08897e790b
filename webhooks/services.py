"""Registering, removing and testing publishers' webhook endpoints.

Members of a publisher manage its endpoints; staff need the MANAGE_WEBHOOKS permission.
"""

from __future__ import annotations

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from naap.errors import Forbidden, NotFound, ValidationFailed
from registry.audit import AuditAction
from registry.membership import may_act_for_publisher
from registry.models import Publisher
from registry.services import record_audit_event
from webhooks import signing
from webhooks.destinations import check_url
from webhooks.events import EVENT_NAMES, TEST_EVENT
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.outbox import queue_on_commit

MANAGE_WEBHOOKS = "webhooks.change_webhookendpoint"


def authorize(actor, publisher: Publisher) -> None:
    """Refuse anyone but the publisher's members and staff allowed to manage webhooks."""
    if not may_act_for_publisher(actor, publisher, staff_permission=MANAGE_WEBHOOKS):
        raise Forbidden(f"Only members of {publisher.name} manage its webhooks.")


def endpoint_for(actor, publisher: Publisher, endpoint_id: int) -> WebhookEndpoint:
    """One of the publisher's endpoints, for someone allowed to manage them."""
    authorize(actor, publisher)
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, publisher=publisher).first()
    if endpoint is None:
        raise NotFound(f"{publisher.name} has no webhook {endpoint_id}.")
    return endpoint


@transaction.atomic
def register_endpoint(
    *, actor, publisher: Publisher, url: str, events: list[str], ip: str | None = None
) -> tuple[WebhookEndpoint, str]:
    """Add an endpoint; returns it and its signing secret (shown once, stored encrypted)."""
    authorize(actor, publisher)
    url = (url or "").strip()
    if not url:
        raise ValidationFailed("Give the endpoint's URL.", field="url")
    check_url(url, resolve=True)
    unknown = sorted(set(events) - set(EVENT_NAMES))
    if unknown:
        raise ValidationFailed(
            f"Unknown events: {', '.join(unknown)}. Known: {', '.join(EVENT_NAMES)}.",
            field="events",
        )
    # Lock the publisher so two registrations cannot both pass the count.
    Publisher.objects.select_for_update().filter(pk=publisher.pk).first()
    limit = settings.WEBHOOK_MAX_ENDPOINTS
    if WebhookEndpoint.objects.filter(publisher=publisher).count() >= limit:
        raise ValidationFailed(
            f"{publisher.name} already has {limit} webhooks, the most allowed; remove one first.",
            field="url",
        )
    secret = signing.new_secret()
    endpoint = WebhookEndpoint.objects.create(
        publisher=publisher,
        url=url,
        events=sorted(set(events)),
        secret_encrypted=signing.encrypt_secret(secret),
        secret_prefix=secret[:12],
        created_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    record_audit_event(
        actor, AuditAction.WEBHOOK_CREATE, endpoint, ip=ip, details={"url": url, "events": events}
    )
    return endpoint, secret


@transaction.atomic
def delete_endpoint(
    *, actor, publisher: Publisher, endpoint_id: int, ip: str | None = None
) -> WebhookEndpoint:
    """Remove an endpoint and its delivery log; returns it as it was."""
    endpoint = endpoint_for(actor, publisher, endpoint_id)
    record_audit_event(
        actor, AuditAction.WEBHOOK_DELETE, endpoint, ip=ip, details={"url": endpoint.url}
    )
    endpoint.delete()
    endpoint.pk = endpoint_id
    return endpoint


@transaction.atomic
def send_test_event(*, actor, publisher: Publisher, endpoint_id: int) -> WebhookDelivery:
    """Queue a `webhook.test` delivery to one endpoint (sent like any other)."""
    endpoint = endpoint_for(actor, publisher, endpoint_id)
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=TEST_EVENT,
        payload={
            "event": TEST_EVENT,
            "occurredAt": timezone.now().isoformat(),
            "publisher": publisher.name,
            "actor": actor.get_username(),
        },
    )
    queue_on_commit([delivery.pk])
    return delivery
