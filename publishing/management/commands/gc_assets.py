"""manage.py gc_assets: find (and with --delete remove) stored files no version references."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from publishing.services.preview_manifests import resync_previews
from publishing.storage import KEY_PREFIXES, StoredObject, delete_keys, list_objects
from registry.models import ASSET_KEY_FIELDS, PluginVersion


def referenced_keys() -> set[str]:
    """Every storage key some PluginVersion row points at."""
    keys: set[str] = set()
    for row in PluginVersion.objects.values_list(*ASSET_KEY_FIELDS):
        keys.update(key for key in row if key)
    return keys


class Command(BaseCommand):
    help = (
        "List stored plugin files, public or in review, that no version references (left by a "
        "crashed publish, approval or rejection); "
        "--delete removes them, and the manifest.json copies of previews that a failed "
        "deletion left public. Files younger than --min-age-minutes are kept, because a "
        "publish in flight uploads its files before it writes its rows."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--delete", action="store_true", help="delete the orphans (default: dry run)"
        )
        parser.add_argument(
            "--min-age-minutes",
            type=int,
            default=60,
            help="keep orphans modified less than this many minutes ago (default 60)",
        )

    def handle(self, *args, delete: bool, min_age_minutes: int, **options) -> None:
        if min_age_minutes < 0:
            raise CommandError("--min-age-minutes must be 0 or more")
        cutoff = timezone.now() - timedelta(minutes=min_age_minutes)
        if delete:  # a preview keeps no manifest.json: finish what a failed deletion left
            resync_previews()

        # List before reading the references: a publish that commits after the listing is
        # then seen as referencing its files, and one still uploading is young.
        stored = [item for prefix in KEY_PREFIXES for item in list_objects(prefix)]
        referenced = referenced_keys()
        orphans = [item for item in stored if item.key not in referenced]
        old = [item for item in orphans if item.modified_at <= cutoff]
        young = [item for item in orphans if item.modified_at > cutoff]

        for item in old:
            self.stdout.write(f"{item.key}\t{item.size}\t{item.modified_at.isoformat()}")

        deleted: list[str] = []
        if delete and old:
            # Read the references again right before deleting: a retried publish may have
            # adopted an old file (store_asset renews its date) since the first read.
            still_orphaned = {item.key for item in old} - referenced_keys()
            deleted = delete_keys(item.key for item in old if item.key in still_orphaned)

        kept = len(stored) - len(orphans)
        summary = (
            f"{len(stored)} stored ({_bytes(stored)} bytes): {kept} referenced, "
            f"{len(old)} orphaned ({_bytes(old)} bytes), {len(young)} younger orphans kept "
            f"({_bytes(young)} bytes, under {min_age_minutes} minutes old); "
        )
        if delete:
            deleted_set = set(deleted)
            deleted_bytes = _bytes([item for item in old if item.key in deleted_set])
            summary += f"deleted {len(deleted)} ({deleted_bytes} bytes)."
        else:
            summary += "dry run, nothing deleted (pass --delete to remove them)."
        self.stdout.write(summary)


def _bytes(items: list[StoredObject]) -> int:
    return sum(item.size for item in items)
