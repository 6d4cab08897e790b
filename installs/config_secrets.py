"""Secret settings of an installation's config (`secret: true` in a config.schema): encrypted at
rest, masked wherever a config is shown, and decrypted only into the config the plugin itself
receives at runtime (the bootstrap's `config` of that plugin).

A stored secret is `{"$encrypted": "<Fernet token>"}` in place of its value. The keys come from
NAAP_CONFIG_KEY (settings.CONFIG_ENCRYPTION_KEYS): comma-separated Fernet keys, the first
encrypts and every one decrypts, so a key is rotated by putting a new one first, running
`manage.py rotate_config_key`, then dropping the old one. Without NAAP_CONFIG_KEY a development
key is derived from SECRET_KEY.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from cryptography.fernet import InvalidToken, MultiFernet
from django.conf import settings

from naap.crypto import derived_fernet_key, multi_fernet
from registry.config_schema import secret_settings

logger = logging.getLogger(__name__)

ENCRYPTED = "$encrypted"
# What a page or the API shows for a secret that is set; sent back unchanged, it keeps it.
MASK = "********"


def derived_key(secret_key: str) -> str:
    """A Fernet key derived from Django's SECRET_KEY (development default)."""
    return derived_fernet_key(b"naap-config-secrets:", secret_key)


def _fernet() -> MultiFernet:
    keys = list(getattr(settings, "CONFIG_ENCRYPTION_KEYS", None) or [])
    if not keys:
        keys = [derived_key(settings.SECRET_KEY)]
    return multi_fernet(tuple(keys))


def is_sealed(value: Any) -> bool:
    return (
        isinstance(value, dict) and set(value) == {ENCRYPTED} and isinstance(value[ENCRYPTED], str)
    )


def seal(config: dict[str, Any], schema: dict | None) -> dict[str, Any]:
    """The config as stored: each secret setting's value encrypted."""
    secrets = secret_settings(schema)
    if not secrets:
        return config
    fernet = _fernet()
    stored = {}
    for key, value in config.items():
        if key in secrets and not is_sealed(value):
            token = fernet.encrypt(json.dumps(value).encode()).decode()
            value = {ENCRYPTED: token}
        stored[key] = value
    return stored


def unseal(stored: dict[str, Any] | None) -> dict[str, Any]:
    """The config with secrets decrypted: for the plugin's own runtime context only. A secret
    no configured key opens (its key was dropped) is left out, so its default applies."""
    stored = stored or {}
    if not any(is_sealed(value) for value in stored.values()):
        return dict(stored)
    fernet = _fernet()
    config = {}
    for key, value in stored.items():
        if is_sealed(value):
            try:
                value = json.loads(fernet.decrypt(value[ENCRYPTED].encode()))
            except (InvalidToken, ValueError):
                logger.warning(
                    "A secret setting %r could not be decrypted with NAAP_CONFIG_KEY", key
                )
                continue
        config[key] = value
    return config


def masked(stored: dict[str, Any] | None, schema: dict | None = None) -> dict[str, Any]:
    """The config as people and the API see it: every secret that is set shown as MASK."""
    secrets = secret_settings(schema)
    return {
        key: MASK if is_sealed(value) or key in secrets else value
        for key, value in (stored or {}).items()
    }


def keep_unchanged_secrets(
    given: Any, stored: dict[str, Any] | None, schema: dict | None, *, blank_keeps: bool = False
) -> Any:
    """A new config with the stored secrets kept where it leaves them out or sends MASK back
    (and, from a form, where it leaves them blank: "leave blank to keep")."""
    if not isinstance(given, dict):
        return given
    secrets = secret_settings(schema)
    current = unseal({key: value for key, value in (stored or {}).items() if key in secrets})
    merged = dict(given)
    for key in secrets:
        if key not in current:
            continue
        value = merged.get(key, MASK)
        if value == MASK or (blank_keeps and value in ("", None)):
            merged[key] = current[key]
    return merged


def reseal(stored: dict[str, Any] | None) -> tuple[dict[str, Any], bool]:
    """The stored config with every secret encrypted again under the first key (rotation);
    whether anything changed."""
    fernet = _fernet()
    changed = False
    result = {}
    for key, value in (stored or {}).items():
        if is_sealed(value):
            rotated = fernet.rotate(value[ENCRYPTED].encode()).decode()
            changed = changed or rotated != value[ENCRYPTED]
            value = {ENCRYPTED: rotated}
        result[key] = value
    return result, changed
