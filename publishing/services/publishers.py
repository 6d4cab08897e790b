"""Publishers: creation by a signed-in person, verification by staff."""

from __future__ import annotations

from django.db import transaction

from naap.errors import Conflict, Forbidden, ValidationFailed
from registry.audit import AuditAction
from registry.models import Publisher, PublisherMembership
from registry.names import package_name_problem
from registry.services import record_audit_event


@transaction.atomic
def create_publisher(
    *,
    actor,
    name: str,
    display_name: str,
    email: str = "",
    website: str = "",
    ip: str | None = None,
) -> Publisher:
    """Create an unverified publisher whose owner is the actor."""
    problem = package_name_problem(name)
    fields = {}
    if problem:
        fields["name"] = problem.replace("a package name", "a publisher name")
    elif Publisher.objects.filter(name=name).exists():
        raise Conflict(f"The publisher name '{name}' is taken.", field="name")
    if not display_name or not display_name.strip():
        fields["displayName"] = "A display name is required."
    if fields:
        raise ValidationFailed("The publisher is invalid.", fields=fields)
    publisher = Publisher.objects.create(
        name=name, display_name=display_name.strip(), email=email, website=website
    )
    PublisherMembership.objects.create(
        publisher=publisher, user=actor, role=PublisherMembership.Role.OWNER
    )
    record_audit_event(actor=actor, action=AuditAction.PUBLISHER_CREATE, target=publisher, ip=ip)
    return publisher


def verify_publisher(*, actor, publisher: Publisher, ip: str | None = None) -> Publisher:
    """Staff mark a publisher verified: its next versions publish without review."""
    if not actor.is_staff:
        raise Forbidden("Only staff may verify publishers.")
    if not publisher.verified:
        publisher.verified = True
        publisher.save(update_fields=["verified", "updated_at"])
        record_audit_event(
            actor=actor, action=AuditAction.PUBLISHER_VERIFY, target=publisher, ip=ip
        )
    return publisher
