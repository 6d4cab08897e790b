"""Routes of the shell runtime's lookups (the demo shell is routed by installs.shell_urls, a
version's preview page by publishing.urls)."""

from django.urls import path

from registry import shell_views

urlpatterns = [
    path("shell-globals", shell_views.shell_globals, name="shell-globals"),
]
