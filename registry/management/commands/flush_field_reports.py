"""Move the field reports' per-minute counters from the cache into PluginVersionMinute rows
(run every minute; safe when two run at once)."""

from django.core.management.base import BaseCommand

from registry.field_health import flush_field_reports


class Command(BaseCommand):
    help = "Keep the cached per-version, per-minute field report counters in the database."

    def handle(self, *args, **options) -> None:
        moved = flush_field_reports()
        self.stdout.write(self.style.SUCCESS(f"Flushed {moved} field reports."))
