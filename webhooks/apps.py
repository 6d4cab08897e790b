from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        """Every new audit row of a mapped action fans out to the matching endpoints."""
        from django.db.models.signals import post_save

        from registry.models import AuditEvent
        from webhooks import outbox

        post_save.connect(outbox.on_audit_event, sender=AuditEvent, dispatch_uid="webhooks")
