"""Copy legacy `frontend_url` bundles into the registry's storage (idempotent)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from publishing.legacy import legacy_versions_to_migrate, migrate_legacy_version


class Command(BaseCommand):
    help = (
        "For versions that only have a legacy frontend_url: download and hash the bundle into "
        "content-hashed storage, or keep the URL marked unverified when it is unreachable."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would happen; change nothing"
        )

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        counts = {"stored": 0, "marked": 0, "skipped": 0}
        for version in legacy_versions_to_migrate():
            outcome = migrate_legacy_version(version, dry_run=dry_run)
            counts[outcome.action] += 1
            verb = {"stored": "store", "marked": "mark unverified", "skipped": "skip"}[
                outcome.action
            ]
            prefix = "would " if dry_run else ""
            self.stdout.write(f"{prefix}{verb}: {version} ({outcome.detail})")
        summary = ", ".join(f"{count} {action}" for action, count in counts.items())
        self.stdout.write(self.style.SUCCESS(("Dry run: " if dry_run else "Done: ") + summary))
