"""Plugin grants: the short-lived token a plugin's own API calls carry in the shell.

Plugin code runs in a sandboxed frame with an opaque origin (docs/shell-runtime.md,
"Isolation"), where the marketplace's session cookie is never sent. What a plugin may do for
the person it runs for is carried by a grant instead: one per plugin and person, naming the
plugin, valid only on that plugin's own routes (storage, config), for
NAAP_PLUGIN_TOKEN_LIFETIME seconds and only while the person's session lives. The shell renews
it through the marketplace's page (renew_grant: the session, the CSRF token and the plugin's
previous grant). The grant is encrypted (Fernet, a key derived from SECRET_KEY and its
fallbacks), so the session key it carries is never readable by the plugin that holds it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import import_module

from cryptography.fernet import InvalidToken, MultiFernet
from django.conf import settings
from django.contrib import auth
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare

from naap.crypto import derived_fernet_key, multi_fernet
from naap.errors import Forbidden, Unauthorized

KEYWORD = "NaapPlugin"
MAX_GRANT_LENGTH = 1000
_KEY_PURPOSE = b"naap.plugin-grant:"


@dataclass(frozen=True)
class PluginGrant:
    """What a valid grant allows: `plugin`'s own routes (its storage and its config), for
    the grant's person."""

    plugin: str


def _fernet() -> MultiFernet:
    # The first key encrypts; the fallbacks still decrypt, so rotating SECRET_KEY the usual
    # way (old key into SECRET_KEY_FALLBACKS) keeps open shells working until their grants end.
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return multi_fernet(tuple(derived_fernet_key(_KEY_PURPOSE, str(s)) for s in secrets))


def issue_grant(request: HttpRequest, plugin: str) -> str:
    """A grant for `plugin` acting for the request's signed-in person, in this session."""
    user = request.user
    if not user.is_authenticated or not request.session.session_key:
        raise Unauthorized("Sign in to run plugins with your storage.")
    payload = {"u": user.pk, "p": plugin, "s": request.session.session_key}
    return _fernet().encrypt(json.dumps(payload, separators=(",", ":")).encode()).decode()


def grants_for(request: HttpRequest, plugins: list[str]) -> dict[str, str]:
    """One grant per plugin name, for the request's person."""
    return {name: issue_grant(request, name) for name in plugins}


def _read(secret: str, *, ttl: int, refusal: Exception) -> tuple[int, str, str]:
    """(person id, plugin, session key) of a grant younger than `ttl` seconds."""
    if not isinstance(secret, str) or not secret or len(secret) > MAX_GRANT_LENGTH:
        raise refusal
    try:
        payload = json.loads(_fernet().decrypt(secret.encode("ascii"), ttl=ttl))
        return payload["u"], payload["p"], payload["s"]
    except (InvalidToken, UnicodeEncodeError, ValueError, KeyError, TypeError) as error:
        raise refusal from error


def redeem_grant(secret: str):
    """The person and PluginGrant a grant stands for; Unauthorized when it is malformed,
    expired, or its session has ended (signed out, password changed, person deactivated)."""
    expired = Unauthorized(
        "This plugin's credential has expired or its session ended: reload the shell."
    )
    user_id, plugin, session_key = _read(
        secret, ttl=settings.NAAP_PLUGIN_TOKEN_LIFETIME, refusal=expired
    )
    user = _session_user(session_key)
    if user is None or user.pk != user_id:
        raise expired
    return user, PluginGrant(plugin=plugin)


def renew_grant(request: HttpRequest, plugin: str, previous: str) -> str:
    """A fresh grant for `plugin`, in exchange for its previous one (expired or not, issued at
    most NAAP_PLUGIN_GRANT_MAX_AGE seconds ago) in the same signed-in session: a plugin renews
    only its own grant, and only through the marketplace's page, which holds the session."""
    user_id, granted_plugin, session_key = _read(
        previous,
        ttl=settings.NAAP_PLUGIN_GRANT_MAX_AGE,
        refusal=Unauthorized("This plugin's credential is too old or not valid: reload the shell."),
    )
    if granted_plugin != plugin:
        raise Forbidden(
            f"This credential belongs to the plugin '{granted_plugin}'; it cannot renew '{plugin}'."
        )
    current = request.session.session_key or ""
    if user_id != request.user.pk or not constant_time_compare(session_key, current):
        # Not a permission this person lacks: the credential is not theirs now (401).
        raise Unauthorized("This credential was given in another session: reload the shell.")
    return issue_grant(request, plugin)


def _session_user(session_key: str):
    """The active person signed in with this session, or None: the checks Django makes of a
    session cookie (the auth hash included, so a password change ends the grant), without
    changing the session."""
    engine = import_module(settings.SESSION_ENGINE)
    session = engine.SessionStore(session_key=session_key)
    try:
        user_id = session[auth.SESSION_KEY]
        backend_path = session[auth.BACKEND_SESSION_KEY]
        session_hash = session.get(auth.HASH_SESSION_KEY, "")
    except KeyError:
        return None
    if backend_path not in settings.AUTHENTICATION_BACKENDS:
        return None
    user = auth.load_backend(backend_path).get_user(user_id)
    if user is None or not user.is_active:
        return None
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    hashes = [user._get_session_auth_hash(secret=secret) for secret in secrets]
    if not any(constant_time_compare(session_hash, known) for known in hashes):
        return None
    return user
