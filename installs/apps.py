from django.apps import AppConfig


class InstallsConfig(AppConfig):
    name = "installs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A person's cached session facts are forgotten when the person changes; the catalog's
        # cached answers are retired by the services themselves (installs/cache.py).
        from installs.cache import connect_person_invalidation

        connect_person_invalidation()
