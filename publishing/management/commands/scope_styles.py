"""manage.py scope_styles: versions published before the registry scoped stylesheets to their
plugin's host get a scoped stylesheet derived from their stored one."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from publishing.services.scoped_styles import derive_scoped_styles, versions_without_scoped_styles


class Command(BaseCommand):
    help = (
        "Derive the scoped stylesheet (the one the shell loads, styling only its plugin) of "
        "every version with a stylesheet published before these were derived at publish time. "
        "Run once after upgrading; running it again changes nothing."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="say what it would derive; change nothing"
        )

    def handle(self, *args, dry_run: bool = False, **options) -> None:
        counts: dict[str, int] = {}
        for version in versions_without_scoped_styles().iterator(chunk_size=200):
            outcome = derive_scoped_styles(version, dry_run=dry_run)
            counts[outcome.status] = counts.get(outcome.status, 0) + 1
            line = f"{outcome.status}: {version} ({outcome.detail})"
            if outcome.status in {"unreadable", "refused", "skipped"}:
                self.stderr.write(line)
            else:
                self.stdout.write(line)
        done = counts.get("would-scope" if dry_run else "scoped", 0)
        problems = sum(counts.get(status, 0) for status in ("unreadable", "refused", "skipped"))
        summary = f"{done} {'to scope' if dry_run else 'scoped'}, {problems} not scoped."
        self.stdout.write(self.style.SUCCESS(f"{'Dry run: ' if dry_run else 'Done: '}{summary}"))
