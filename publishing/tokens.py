"""API token secrets: how they are made and hashed, and how a request's token is checked
(authentication, scopes, package limits). Creating and revoking tokens are services
(publishing.services.publishers)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.utils import timezone

from naap.errors import Forbidden, Unauthorized
from publishing.models import IMPLIED_SCOPES, ApiToken
from registry.membership import may_act_for_publisher

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
    # Checked at every use, not only at creation: a token acts for its owner, so it dies when
    # the owner leaves the publisher (or, for staff, stops being staff).
    if not may_act_for_publisher(token.created_by, token.publisher):
        raise Unauthorized(
            f"The owner of API token {token.prefix}… no longer belongs to publisher "
            f"'{token.publisher.name}'; a member must create a new token."
        )
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
    return token


def require_scope(token: ApiToken | None, scope: str) -> None:
    """Refuse a token that lacks the scope ('admin' implies every scope, 'publish' implies
    'deploy')."""
    if token is None:
        return
    if not has_scope(token, scope):
        raise Forbidden(
            f"The API token {token.prefix}… lacks the '{scope}' scope; "
            f"it has {', '.join(token.scopes) or 'none'}."
        )


def has_scope(token: ApiToken, scope: str) -> bool:
    """Whether the token holds the scope, itself or through one that implies it."""
    return any(held == scope or scope in IMPLIED_SCOPES.get(held, ()) for held in token.scopes)


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
