"""Endpoint secrets (made once, stored encrypted) and the signature every delivery carries.

The receiver recomputes `HMAC-SHA256(secret, f"{timestamp}.{body}")` in hex and compares it
with the `v1=` value of the X-Naap-Signature header; X-Naap-Timestamp is the Unix time the
attempt was signed, so a receiver can refuse replays older than a few minutes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from cryptography.fernet import MultiFernet
from django.conf import settings

from naap.crypto import derived_fernet_key, multi_fernet

_KEY_PURPOSE = b"naap.webhook-secret:"
SECRET_PREFIX = "whsec_"


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return multi_fernet(tuple(derived_fernet_key(_KEY_PURPOSE, str(k)) for k in keys))


def new_secret() -> str:
    """A fresh signing secret: shown to the publisher once."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def encrypt_secret(secret: str) -> str:
    """The secret as stored."""
    return _fernet().encrypt(secret.encode()).decode()


def decrypt_secret(stored: str) -> str:
    """The secret back from its stored form (for signing only)."""
    return _fernet().decrypt(stored.encode()).decode()


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Naap-Signature value of `body` signed at `timestamp`."""
    message = str(timestamp).encode() + b"." + body
    return "v1=" + hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
