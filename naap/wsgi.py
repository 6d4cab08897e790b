"""WSGI entry point (gunicorn naap.wsgi): Django behind the manifest hot path."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "naap.settings")
django_application = get_wsgi_application()

from registry.manifest_fastpath import ManifestFastPath  # noqa: E402  (needs Django set up)

application = ManifestFastPath(django_application)
