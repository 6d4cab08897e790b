"""A preview's versions keep no manifest.json in the public store (docs/decisions.md,
"Preview testers").

A version's manifest.json has no hash in its address (`plugins/<name>/<version>/manifest.json`),
so anyone can guess it. The embedded CDN refuses it for a preview, but an S3 bucket cannot
ask who is asking: so a preview's copies are deleted, none is written while it is one, and
they are written back from the version rows when it stops being one. Testers read a
preview's manifest from the API, which reads the rows.

Every change takes the package row's lock and reads the flag under it: a publish, an approval
and a move of the flag serialize on it, so the store ends as the committed flag says.
"""

from __future__ import annotations

import json
import logging

from django.db import transaction

from publishing import storage
from publishing.storage.keys import KEY_PREFIX
from registry.models import PluginPackage, PluginVersion

logger = logging.getLogger(__name__)
# The versions a publish stores a manifest.json for in the public store, and keeps there.
KEPT = [PluginVersion.Status.PUBLISHED, PluginVersion.Status.YANKED]


def schedule_sync(package_id: int) -> None:
    """Bring the package's stored manifests in step once the caller's transaction commits."""
    transaction.on_commit(lambda: sync_stored_manifests(package_id), robust=True)


def on_preview_changed(sender, *, package_id: int, **kwargs) -> None:
    schedule_sync(package_id)


def sync_stored_manifests(package_id: int) -> None:
    """Delete a preview's public manifest.json copies, or write back a public package's
    missing ones (from its rows); rows name only what is stored."""
    with transaction.atomic():
        package = PluginPackage.objects.select_for_update().filter(pk=package_id).first()
        if package is None:
            return
        versions = PluginVersion.objects.filter(package=package, status__in=KEPT)
        if package.preview:
            shown = {
                v.pk: v.manifest_key for v in versions if v.manifest_key.startswith(KEY_PREFIX)
            }
            PluginVersion.objects.filter(pk__in=list(shown)).update(manifest_key="")
            storage.delete_keys(shown.values())
            return
        for version in versions.filter(manifest_key=""):
            version.package = package
            _store(version)


def write_version_manifest(version: PluginVersion) -> None:
    """Store manifest.json beside the files once the row that names it is committed, unless
    the package is a preview (the row then names none).

    Its key has no content hash, so only the publish that owns the committed row may write
    it (replacing any leftover of a crashed publish).
    """
    with transaction.atomic():
        preview = (
            PluginPackage.objects.select_for_update()
            .values_list("preview", flat=True)
            .get(pk=version.package_id)
        )
        if preview:
            PluginVersion.objects.filter(pk=version.pk).update(manifest_key="")
            version.manifest_key = ""
            return
        _store(version)


def _store(version: PluginVersion) -> None:
    in_review = version.status == PluginVersion.Status.PENDING_REVIEW
    key = storage.asset_key(
        package_name=version.package.name,
        version=version.version,
        kind="manifest",
        in_review=in_review,
    )
    try:
        storage.store_asset(
            package_name=version.package.name,
            version=version.version,
            kind="manifest",
            content=json.dumps(version.manifest, indent=2, sort_keys=True).encode(),
            overwrite=True,
            in_review=in_review,
        )
    except Exception:
        # The API serves the manifest from the row; the stored copy is a convenience.
        logger.exception("Could not store manifest.json of %s", version)
        key = ""
    if key != version.manifest_key:
        PluginVersion.objects.filter(pk=version.pk).update(manifest_key=key)
        version.manifest_key = key
