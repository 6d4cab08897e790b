"""manage.py move_files_to_review: files of versions waiting for review leave the public CDN."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db.models import Q, QuerySet

from publishing.services import move_files_to_review
from publishing.storage import KEY_PREFIX
from registry.models import ASSET_KEY_FIELDS, PluginVersion


def pending_versions_with_public_files() -> QuerySet[PluginVersion]:
    """Versions waiting for review with a file still under the public prefix (stored before
    files in review had their own)."""
    public = Q()
    for field_name in ASSET_KEY_FIELDS:
        public |= Q(**{f"{field_name}__startswith": KEY_PREFIX})
    return (
        PluginVersion.objects.select_related("package")
        .filter(public, status=PluginVersion.Status.PENDING_REVIEW)
        .order_by("package__name", "sort_key")
    )


class Command(BaseCommand):
    help = (
        "Move the files of versions waiting for review from the public prefix (plugins/) to the "
        "private one (review/), where only temporary URLs reach them. Run once after upgrading; "
        "running it again changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="list the versions it would move; change nothing"
        )

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        moved = 0
        for version in pending_versions_with_public_files():
            if dry_run:
                self.stdout.write(f"would move: {version} ({', '.join(version.asset_keys)})")
                continue
            after = move_files_to_review(version=version)
            if after.status == PluginVersion.Status.PENDING_REVIEW:
                moved += 1
                self.stdout.write(f"moved: {after} ({', '.join(after.asset_keys)})")
            else:
                self.stdout.write(f"skipped: {after} is {after.status} now")
        if dry_run:
            self.stdout.write(self.style.SUCCESS("Dry run: nothing moved."))
        else:
            self.stdout.write(self.style.SUCCESS(f"Done: {moved} moved."))
