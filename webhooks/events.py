"""Which audit actions publishers can subscribe to, under which event names, and the body
each delivery carries.

Adding an event is one line in EVENTS: the audit action it follows and the name publishers
see. Event names never change once released.
"""

from __future__ import annotations

from typing import Any

from django.db.models import F

from registry.audit import AuditAction
from registry.models import AuditEvent
from webhooks.models import WebhookEndpoint

EVENTS: dict[str, str] = {
    AuditAction.VERSION_PUBLISH: "version.published",
    AuditAction.VERSION_APPROVE: "version.approved",
    AuditAction.VERSION_REJECT: "version.rejected",
    AuditAction.VERSION_YANK: "version.yanked",
    AuditAction.DEPLOYMENT_ROLLBACK: "deployment.rolled_back",
    AuditAction.ROLLOUT_START: "rollout.started",
    AuditAction.ROLLOUT_ADVANCE: "rollout.advanced",
    AuditAction.ROLLOUT_PROMOTE: "rollout.promoted",
    AuditAction.ROLLOUT_ABORT: "rollout.aborted",
}
TEST_EVENT = "webhook.test"
EVENT_NAMES: tuple[str, ...] = (*EVENTS.values(), TEST_EVENT)


# How an audit row's target leads to its package, as a lookup from WebhookEndpoint.
PACKAGE_PATHS: dict[str, str] = {
    "pluginversion": "publisher__packages__versions__pk",
    "plugindeployment": "publisher__packages__deployment__pk",
    "pluginpackage": "publisher__packages__pk",
}


def endpoints_for(event: AuditEvent, name: str) -> list[WebhookEndpoint]:
    """The active endpoints subscribed to `name` of the publisher owning the package the audit
    row is about, each with `package_name`: one query."""
    path = PACKAGE_PATHS.get(event.target_type)
    if path is None or not event.target_id.isdigit():
        return []
    rows = (
        WebhookEndpoint.objects.filter(is_active=True, **{path: int(event.target_id)})
        .annotate(package_name=F("publisher__packages__name"))
        .select_related("publisher")
    )
    return [endpoint for endpoint in rows if endpoint.wants(name)]


def payload_for(event: AuditEvent, name: str, endpoint: WebhookEndpoint) -> dict[str, Any]:
    """The JSON body publishers receive: what happened, to which package, when, by whom."""
    return {
        "event": name,
        "occurredAt": event.created_at.isoformat(),
        "package": endpoint.package_name,
        "publisher": endpoint.publisher.name,
        "target": event.target,
        "actor": event.actor.get_username() if event.actor else None,
        "details": event.details,
    }
