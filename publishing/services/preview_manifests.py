"""A preview's versions keep no manifest.json in the public store (docs/decisions.md,
"Preview packages and their testers").

A version's manifest.json has no hash in its address (`plugins/<name>/<version>/manifest.json`),
so anyone can guess it. The embedded CDN refuses it for a preview, but an S3 bucket cannot
ask who is asking: so a preview's copies are deleted, none is written while it is one, and
they are written back from the version rows when it stops being one. Testers read a
preview's manifest from the API, which reads the rows.

Every change takes a transaction-level advisory lock of its package, then reads the flag:
the writes of publishes and the syncs after moves of the flag serialize on it, so the store
ends as the committed flag says. No row is locked for it, so nothing waits in a cycle with a
publish, a yank or an approval holding their row locks (an approval reads the flag under
its own lock of the package: publishing/services/moderation.py).
"""

from __future__ import annotations

import json
import logging

from django.db import connection, transaction

from publishing import storage
from publishing.storage.keys import KEY_PREFIX
from registry.models import PluginPackage, PluginVersion

logger = logging.getLogger(__name__)
# The first key of the advisory locks, one per package (the second key); moderation's route
# grants use the one-key form.
LOCK_SPACE = 7_362_001
# The versions a publish stores a manifest.json for in the public store, and keeps there.
KEPT = [PluginVersion.Status.PUBLISHED, PluginVersion.Status.YANKED]


def on_preview_changed(sender, *, package_id: int, **kwargs) -> None:
    """Bring the package's stored manifests in step once the flag's transaction commits."""
    transaction.on_commit(lambda: sync_stored_manifests(package_id), robust=True)


def sync_stored_manifests(package_id: int) -> None:
    """Delete a preview's public manifest.json copies, or write back a public package's
    missing ones (from its rows); a row names a key only once its copy is stored.

    A copy that cannot be deleted keeps its row naming it, so `gc_assets --delete` tries it
    again (resync_previews); one that cannot be written leaves its row naming none.
    """
    with transaction.atomic():
        _lock(package_id)
        versions = list(
            PluginVersion.objects.select_related("package")
            .filter(package_id=package_id, status__in=KEPT)
            .order_by("pk")
        )
        if not versions:
            return
        backend = storage.asset_backend()
        for version in versions:
            key = version.manifest_key
            if version.package.preview:
                if key.startswith(KEY_PREFIX):
                    _forget(version)
            elif not key or not backend.exists(key):
                _store(version)


def resync_previews() -> None:
    """Sync every preview whose rows still name a public manifest.json (a deletion that
    failed)."""
    package_ids = set(
        PluginVersion.objects.filter(
            package__preview=True, status__in=KEPT, manifest_key__startswith=KEY_PREFIX
        ).values_list("package_id", flat=True)
    )
    for package_id in sorted(package_ids):
        sync_stored_manifests(package_id)


def write_version_manifest(version: PluginVersion) -> None:
    """Store manifest.json beside the files once the row that names it is committed, unless
    the package is a preview (the row then names none).

    Its key has no content hash, so only the publish that owns the committed row may write
    it (replacing any leftover of a crashed publish).
    """
    with transaction.atomic():
        _lock(version.package_id)
        if PluginPackage.objects.filter(pk=version.package_id, preview=True).exists():
            if version.manifest_key:
                PluginVersion.objects.filter(pk=version.pk).update(manifest_key="")
                version.manifest_key = ""
            return
        _store(version)


def _lock(package_id: int) -> None:
    """Hold the package's lock to the end of the transaction (PostgreSQL; SQLite allows one
    writer at a time). Ids past 2**31 share locks with others: that only serializes more."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_SPACE, package_id & 0x7FFFFFFF]
        )


def _forget(version: PluginVersion) -> None:
    try:
        storage.delete_keys([version.manifest_key])
    except Exception:
        logger.exception("Could not delete manifest.json of preview %s", version)
        return
    PluginVersion.objects.filter(pk=version.pk).update(manifest_key="")
    version.manifest_key = ""


def _store(version: PluginVersion) -> None:
    try:
        key = storage.store_asset(
            package_name=version.package.name,
            version=version.version,
            kind="manifest",
            content=json.dumps(version.manifest, indent=2, sort_keys=True).encode(),
            overwrite=True,
            in_review=version.status == PluginVersion.Status.PENDING_REVIEW,
        ).key
    except Exception:
        # The API serves the manifest from the row; the stored copy is a convenience.
        logger.exception("Could not store manifest.json of %s", version)
        key = ""
    if key != version.manifest_key:
        PluginVersion.objects.filter(pk=version.pk).update(manifest_key=key)
        version.manifest_key = key
