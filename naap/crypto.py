"""Fernet keys for what the marketplace encrypts (plugin grants, secret settings): derived from
a secret for one purpose, and the MultiFernet of a list of keys, built once per list."""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet


def derived_fernet_key(purpose: bytes, secret: str) -> str:
    """A Fernet key for one purpose, derived from a secret such as SECRET_KEY."""
    return base64.urlsafe_b64encode(hashlib.sha256(purpose + secret.encode()).digest()).decode()


@lru_cache(maxsize=16)
def multi_fernet(keys: tuple[str | bytes, ...]) -> MultiFernet:
    """The first key encrypts; every key decrypts (rotation)."""
    return MultiFernet([Fernet(key.encode() if isinstance(key, str) else key) for key in keys])
