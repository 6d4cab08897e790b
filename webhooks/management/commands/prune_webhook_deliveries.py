"""manage.py prune_webhook_deliveries: delete finished deliveries older than --days."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from webhooks.models import WebhookDelivery

FINISHED = [WebhookDelivery.Status.SUCCEEDED, WebhookDelivery.Status.FAILED]


class Command(BaseCommand):
    help = (
        "Delete webhook deliveries that succeeded or failed more than --days ago (default 30); "
        "deliveries still pending or retrying are kept. Run it daily, e.g. from cron."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=30)

    def handle(self, *args, days: int, **options) -> None:
        cutoff = timezone.now() - timedelta(days=max(days, 0))
        deleted, _ = WebhookDelivery.objects.filter(
            status__in=FINISHED, updated_at__lt=cutoff
        ).delete()
        self.stdout.write(
            f"Deleted {deleted} webhook deliveries finished before {cutoff:%Y-%m-%d}."
        )
