from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "publishing"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from publishing.services.preview_manifests import on_preview_changed
        from registry.signals import preview_changed

        # A preview keeps no manifest.json in the public store (preview_manifests.py).
        preview_changed.connect(on_preview_changed, dispatch_uid="publishing-preview-manifests")
