from django.apps import AppConfig


class InstallsConfig(AppConfig):
    name = "installs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Cached bootstraps are retired by every write that can change one (installs/cache.py).
        from installs.cache import connect_invalidation

        connect_invalidation()
