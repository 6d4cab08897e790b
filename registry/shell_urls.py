"""Routes of the shell runtime's lookups and version previews (the demo shell's own routes
are in installs/shell_urls.py)."""

from django.urls import path

from registry import shell_views

urlpatterns = [
    path("shell-globals", shell_views.shell_globals, name="shell-globals"),
    path(
        "plugins/<str:name>/<str:version>/preview/",
        shell_views.preview_page,
        name="plugin-preview",
    ),
]
