"""Writes of plugin storage: a plugin's JSON values per user, under bounded keys.

Every function takes keyword-only arguments, runs in one transaction, raises naap.errors,
writes an AuditEvent for each change (never the value) and never speaks HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction

from installs import selectors
from installs.models import PluginStorageEntry
from installs.storage_rules import (
    MAX_STORAGE_KEYS,
    MAX_STORAGE_VALUE_BYTES,
    check_storage_key,
    storage_value_size,
)
from naap.errors import Conflict, NotFound, PayloadTooLarge
from registry.audit import AuditAction
from registry.services import record_audit_event


@dataclass(frozen=True)
class StorageWrite:
    """A stored value and whether the key is new."""

    entry: PluginStorageEntry
    created: bool


def _lock_storage_of(user) -> None:
    # One user's writes queue on their user row, so two new keys written at once cannot both
    # slip under the key limit (SQLite's IMMEDIATE transactions serialise writes anyway).
    list(get_user_model().objects.select_for_update().filter(pk=user.pk).values_list("pk"))


@transaction.atomic
def set_storage_value(
    *, actor, name: str, key: str, value: Any, ip: str | None = None
) -> StorageWrite:
    """Store a JSON value under a key in a plugin's storage for the actor."""
    package = selectors.installed_package_for(user=actor, name=name)
    check_storage_key(key)
    size = storage_value_size(value)
    if size > MAX_STORAGE_VALUE_BYTES:
        raise PayloadTooLarge(
            f"A stored value may be at most {MAX_STORAGE_VALUE_BYTES} bytes as JSON; "
            f"this one is {size}.",
            field="value",
            details={"limit": MAX_STORAGE_VALUE_BYTES, "size": size},
        )
    _lock_storage_of(actor)
    entry = PluginStorageEntry.objects.filter(package=package, user=actor, key=key).first()
    created = entry is None
    if entry is None:
        stored = PluginStorageEntry.objects.filter(package=package, user=actor).count()
        if stored >= MAX_STORAGE_KEYS:
            raise Conflict(
                f"Plugin '{name}' already stores {stored} keys for you, the limit is "
                f"{MAX_STORAGE_KEYS}; delete some before adding '{key}'.",
                field="key",
                details={"limit": MAX_STORAGE_KEYS},
            )
        entry = PluginStorageEntry.objects.create(package=package, user=actor, key=key, value=value)
    else:
        entry.value = value
        entry.save(update_fields=["value", "updated_at"])
    # The value stays out of the log: it is the plugin's private data.
    details = {"key": key, "bytes": size, "created": created}
    record_audit_event(actor, AuditAction.PLUGIN_STORAGE_SET, package, ip=ip, details=details)
    return StorageWrite(entry, created)


@transaction.atomic
def delete_storage_value(*, actor, name: str, key: str, ip: str | None = None) -> None:
    """Remove one key from a plugin's storage for the actor; NotFound when it is absent."""
    package = selectors.installed_package_for(user=actor, name=name)
    check_storage_key(key)
    deleted, _ = PluginStorageEntry.objects.filter(package=package, user=actor, key=key).delete()
    if not deleted:
        raise NotFound(f"Plugin '{name}' has stored nothing under '{key}'.", field="key")
    record_audit_event(
        actor, AuditAction.PLUGIN_STORAGE_DELETE, package, ip=ip, details={"key": key}
    )
