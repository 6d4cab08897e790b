from django.apps import AppConfig


class InstallsConfig(AppConfig):
    name = "installs"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # A person's cached session facts are forgotten when the person changes; the catalog's
        # cached answers are retired by the services themselves (installs/cache.py).
        from installs.cache import connect_person_invalidation

        connect_person_invalidation()
        # Registry decides who sees a preview package; who tests one is known here (teams).
        from installs.tester_selectors import is_preview_tester
        from registry.visibility import register_tester_check

        register_tester_check(is_preview_tester)
        # The browse page's install badges (the registry may not import this app).
        from installs.selectors import installed_package_ids
        from registry.browse_cache import register_installed_lookup

        register_installed_lookup(installed_package_ids)
