"""Publishers and their API tokens: creation by a signed-in person, verification by staff,
tokens created (the secret shown once) and revoked by members."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from naap.errors import Conflict, Forbidden, NotFound, ValidationFailed
from publishing.models import TOKEN_SCOPES, ApiToken
from publishing.services.authorization import require_staff
from publishing.tokens import PREFIX_LENGTH, hash_secret, new_secret
from registry.audit import AuditAction
from registry.membership import REVOKE_TOKENS, VERIFY_PUBLISHERS, may_act_for_publisher
from registry.models import PluginPackage, Publisher, PublisherMembership
from registry.names import hidden_characters_problem, package_name_problem
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
    elif hidden := hidden_characters_problem(display_name, what="A display name"):
        fields["displayName"] = hidden + "."
    if fields:
        raise ValidationFailed("The publisher is invalid.", fields=fields)
    publisher = Publisher.objects.create(
        name=name, display_name=display_name.strip(), email=email, website=website
    )
    PublisherMembership.objects.create(
        publisher=publisher, user=actor, role=PublisherMembership.Role.OWNER
    )
    record_audit_event(actor, AuditAction.PUBLISHER_CREATE, publisher, ip=ip)
    return publisher


def verify_publisher(*, actor, publisher: Publisher, ip: str | None = None) -> Publisher:
    """Staff mark a publisher verified: its next versions publish without review."""
    require_staff(actor, "verify publishers", permission=VERIFY_PUBLISHERS)
    if not publisher.verified:
        publisher.verified = True
        publisher.save(update_fields=["verified", "updated_at"])
        record_audit_event(actor, AuditAction.PUBLISHER_VERIFY, publisher, ip=ip)
    return publisher


@transaction.atomic
def create_api_token(
    *,
    actor,
    publisher: Publisher,
    name: str,
    scopes: list[str],
    package_names: list[str] | None = None,
    expires_at: datetime | None = None,
    ip: str | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for a publisher; returns the row and the secret, which is never stored."""
    if not may_act_for_publisher(actor, publisher):
        raise Forbidden(f"Only members of publisher '{publisher.name}' may create its tokens.")
    fields: dict[str, str] = {}
    if not name or not name.strip():
        fields["name"] = "Give the token a name, e.g. 'ci'."
    unknown = sorted(set(scopes) - set(TOKEN_SCOPES))
    if not scopes:
        fields["scopes"] = f"Choose at least one scope of {', '.join(TOKEN_SCOPES)}."
    elif unknown:
        fields["scopes"] = (
            f"Unknown scope(s) {', '.join(unknown)}; choose from {', '.join(TOKEN_SCOPES)}."
        )
    if expires_at is not None and expires_at <= timezone.now():
        fields["expiresAt"] = "The expiry must be in the future."
    packages = []
    if package_names:
        packages = list(PluginPackage.objects.filter(name__in=package_names, publisher=publisher))
        missing = sorted(set(package_names) - {package.name for package in packages})
        if missing:
            fields["packages"] = f"Not packages of '{publisher.name}': {', '.join(missing)}."
    if fields:
        raise ValidationFailed("The token request is invalid.", fields=fields)
    secret = new_secret()
    token = ApiToken.objects.create(
        name=name.strip(),
        publisher=publisher,
        created_by=actor,
        prefix=secret[:PREFIX_LENGTH],
        token_hash=hash_secret(secret),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
    )
    if packages:
        token.packages.set(packages)
    details = {"publisher": publisher.name, "scopes": token.scopes}
    record_audit_event(actor, AuditAction.TOKEN_CREATE, token, ip=ip, details=details)
    return token, secret


def revoke_api_token(*, actor, token_id: int, ip: str | None = None) -> ApiToken:
    """Revoke a token of one of the actor's publishers (staff may revoke any)."""
    token = ApiToken.objects.select_related("publisher").filter(pk=token_id).first()
    if token is None or not may_act_for_publisher(
        actor, token.publisher, staff_permission=REVOKE_TOKENS
    ):
        raise NotFound(f"No token {token_id} among your publishers' tokens.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        record_audit_event(actor, AuditAction.TOKEN_REVOKE, token, ip=ip)
    return token
