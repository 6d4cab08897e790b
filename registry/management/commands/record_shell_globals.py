"""manage.py record_shell_globals: versions published before the registry recorded which shell
globals their bundles need get them from their stored bundles."""

from __future__ import annotations

from django.core.management.base import BaseCommand
from django.db.models import QuerySet

from registry.models import PluginVersion
from registry.selectors import stored_bundle
from registry.services import record_shell_globals
from registry.umd import shell_globals_of_bundle


def versions_without_shell_globals() -> QuerySet[PluginVersion]:
    """Versions with a stored bundle whose shell globals were never recorded."""
    return (
        PluginVersion.objects.select_related("package")
        .filter(shell_globals__isnull=True)
        .exclude(bundle_key="")
        .order_by("package__name", "sort_key")
    )


class Command(BaseCommand):
    help = (
        "Read the stored bundle of every version published before shell globals were recorded "
        "at publish time, and record which of the shell's globals (React, ReactDOM) it needs. "
        "Run once after upgrading; running it again changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="say what it would record; change nothing"
        )

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        recorded = unreadable = 0
        for version in versions_without_shell_globals().iterator(chunk_size=200):
            if dry_run:
                data = stored_bundle(version)
                found = shell_globals_of_bundle(data) if data is not None else None
            else:
                found = record_shell_globals(version=version)
            if found is None:
                unreadable += 1
                self.stderr.write(f"unreadable: {version} ({version.bundle_key})")
                continue
            recorded += 1
            verb = "would record" if dry_run else "recorded"
            self.stdout.write(f"{verb}: {version} [{', '.join(found) or 'none'}]")
        summary = f"{recorded} {'to record' if dry_run else 'recorded'}, {unreadable} unreadable."
        self.stdout.write(self.style.SUCCESS(f"{'Dry run: ' if dry_run else 'Done: '}{summary}"))
