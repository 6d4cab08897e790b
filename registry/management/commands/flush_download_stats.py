"""Move download counts from the cache into DownloadStat (run every few minutes)."""

from django.core.management.base import BaseCommand

from registry.services import flush_download_stats


class Command(BaseCommand):
    help = "Aggregate cached download counters into per-day DownloadStat rows and totals."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=2, help="how many recent days to flush")

    def handle(self, *args, days: int = 2, **options) -> None:
        moved = flush_download_stats(days=days)
        self.stdout.write(self.style.SUCCESS(f"Flushed {moved} downloads."))
