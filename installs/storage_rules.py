"""Limits of the per-plugin key-value storage (SPEC §6): key shape, value size, key count."""

from __future__ import annotations

import json
import re
from typing import Any

from installs.models import MAX_STORAGE_VALUE_BYTES
from naap.errors import ValidationFailed

MAX_STORAGE_KEY_LENGTH = 128
MAX_STORAGE_KEYS = 1000
STORAGE_KEY_PATTERN = re.compile(r"[A-Za-z0-9._-]+")

__all__ = [
    "MAX_STORAGE_KEYS",
    "MAX_STORAGE_KEY_LENGTH",
    "MAX_STORAGE_VALUE_BYTES",
    "check_storage_key",
    "storage_value_size",
]


def check_storage_key(key: str) -> None:
    """Refuse a key that is empty, too long or has characters outside [A-Za-z0-9._-]."""
    if len(key) > MAX_STORAGE_KEY_LENGTH:
        raise ValidationFailed(
            f"A storage key may be at most {MAX_STORAGE_KEY_LENGTH} characters; "
            f"this one has {len(key)}.",
            field="key",
        )
    if not STORAGE_KEY_PATTERN.fullmatch(key):
        raise ValidationFailed(
            "A storage key may use only letters, digits, '.', '_' and '-'.", field="key"
        )


def storage_value_size(value: Any) -> int:
    """The size in bytes of a value as stored: compact UTF-8 JSON."""
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
