"""Routes of the pages that run plugins: the demo shell and version previews."""

from django.urls import path

from registry import shell_views

urlpatterns = [
    path("shell/", shell_views.shell_page, name="shell"),
    # Every path under /shell/ is the shell too: it routes by the plugins' own routes.
    path("shell/<path:route>", shell_views.shell_page, name="shell-route"),
    path("shell-globals", shell_views.shell_globals, name="shell-globals"),
    path(
        "plugins/<str:name>/<str:version>/preview/",
        shell_views.preview_page,
        name="plugin-preview",
    ),
]
