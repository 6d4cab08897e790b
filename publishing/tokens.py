"""API tokens: creation (secret shown once), lookup by hash, revocation."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from naap.errors import Forbidden, NotFound, Unauthorized, ValidationFailed
from publishing.models import TOKEN_SCOPES, ApiToken
from registry.audit import AuditAction
from registry.membership import may_act_for_publisher
from registry.models import PluginPackage, Publisher
from registry.services import record_audit_event

TOKEN_PREFIX = "naap_"
PREFIX_LENGTH = 12
# Writing last_used_at on every request would turn each read into a write; once a minute is
# precise enough for "last used".
LAST_USED_RESOLUTION = timedelta(minutes=1)


def hash_secret(secret: str) -> str:
    """The sha256 of a token secret, the only form in which it is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    """naap_ followed by 43 base64url characters (32 random bytes)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


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
    record_audit_event(
        actor=actor,
        action=AuditAction.TOKEN_CREATE,
        target=token,
        ip=ip,
        details={"publisher": publisher.name, "scopes": token.scopes},
    )
    return token, secret


def revoke_api_token(*, actor, token_id: int, ip: str | None = None) -> ApiToken:
    """Revoke a token of one of the actor's publishers (staff may revoke any)."""
    token = ApiToken.objects.select_related("publisher").filter(pk=token_id).first()
    if token is None or not may_act_for_publisher(actor, token.publisher):
        raise NotFound(f"No token {token_id} among your publishers' tokens.")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        record_audit_event(actor=actor, action=AuditAction.TOKEN_REVOKE, target=token, ip=ip)
    return token


def authenticate_secret(secret: str) -> ApiToken:
    """The active token with this secret; Unauthorized saying why otherwise."""
    if not secret.startswith(TOKEN_PREFIX):
        raise Unauthorized("That is not a NaaP API token (tokens start with 'naap_').")
    token = (
        ApiToken.objects.select_related("publisher", "created_by")
        .filter(token_hash=hash_secret(secret))
        .first()
    )
    if token is None:
        raise Unauthorized("Unknown API token: check it was copied whole, or create a new one.")
    if token.revoked_at is not None:
        raise Unauthorized(f"The API token {token.prefix}… was revoked; create a new one.")
    if token.is_expired:
        raise Unauthorized(f"The API token {token.prefix}… expired; create a new one.")
    if token.created_by is None or not token.created_by.is_active:
        raise Unauthorized(f"The owner of API token {token.prefix}… is no longer active.")
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def require_scope(token: ApiToken | None, scope: str) -> None:
    """Refuse a token that lacks the scope ('admin' implies every scope)."""
    if token is None:
        return
    if scope not in token.scopes and "admin" not in token.scopes:
        raise Forbidden(
            f"The API token {token.prefix}… lacks the '{scope}' scope; "
            f"it has {', '.join(token.scopes) or 'none'}."
        )


def require_package_allowed(token: ApiToken | None, package_name: str) -> None:
    """Refuse a package-restricted token used for another package."""
    if token is None:
        return
    allowed = [package.name for package in token.packages.all()]
    if allowed and package_name not in allowed:
        raise Forbidden(
            f"The API token {token.prefix}… may act only on {', '.join(sorted(allowed))}, "
            f"not on '{package_name}'."
        )
