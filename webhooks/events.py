"""Which audit actions publishers can subscribe to, under which event names, and the body
each delivery carries.

Adding an event is one line in EVENTS: the audit action it follows and the name publishers
see. Event names never change once released.
"""

from __future__ import annotations

from typing import Any

from registry.audit import AuditAction
from registry.models import AuditEvent, PluginDeployment, PluginPackage, PluginVersion

EVENTS: dict[str, str] = {
    AuditAction.VERSION_PUBLISH: "version.published",
    AuditAction.VERSION_APPROVE: "version.approved",
    AuditAction.VERSION_REJECT: "version.rejected",
    AuditAction.VERSION_YANK: "version.yanked",
    AuditAction.DEPLOYMENT_ROLLBACK: "deployment.rolled_back",
}
TEST_EVENT = "webhook.test"
EVENT_NAMES: tuple[str, ...] = (*EVENTS.values(), TEST_EVENT)


def package_of(event: AuditEvent) -> PluginPackage | None:
    """The package an audit row is about, when it is about one (version, deployment, package)."""
    lookups = {
        "pluginversion": lambda pk: PluginVersion.objects.select_related("package").get(pk=pk),
        "plugindeployment": lambda pk: PluginDeployment.objects.select_related("package").get(
            pk=pk
        ),
    }
    try:
        if event.target_type == "pluginpackage":
            return PluginPackage.objects.get(pk=event.target_id)
        if event.target_type in lookups:
            return lookups[event.target_type](event.target_id).package
    except (PluginVersion.DoesNotExist, PluginDeployment.DoesNotExist, PluginPackage.DoesNotExist):
        return None
    return None


def payload_for(event: AuditEvent, name: str, package: PluginPackage) -> dict[str, Any]:
    """The JSON body publishers receive: what happened, to which package, when, by whom."""
    return {
        "event": name,
        "occurredAt": event.created_at.isoformat(),
        "package": package.name,
        "publisher": package.publisher.name,
        "target": event.target,
        "actor": event.actor.get_username() if event.actor_id else None,
        "details": event.details,
    }
