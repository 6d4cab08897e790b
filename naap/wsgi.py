"""WSGI entry point (gunicorn naap.wsgi): Django behind the manifest, bootstrap and field
reports hot paths."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "naap.settings")
django_application = get_wsgi_application()

# Load the URL configuration (and so every view module) now, in each worker's start-up,
# rather than in its first request (~180 ms).
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018

# Imported once Django is set up: they read settings and models.
from installs.bootstrap_fastpath import BootstrapFastPath  # noqa: E402
from registry.field_fastpath import FieldReportsFastPath  # noqa: E402
from registry.manifest_fastpath import ManifestFastPath  # noqa: E402

application = FieldReportsFastPath(BootstrapFastPath(ManifestFastPath(django_application)))
