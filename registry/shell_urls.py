"""Routes of the demo shell (a version's preview page is routed by publishing.urls)."""

from django.urls import path

from registry import shell_views

urlpatterns = [
    path("shell/", shell_views.shell_page, name="shell"),
    # Every path under /shell/ is the shell too: it routes by the plugins' own routes.
    path("shell/<path:route>", shell_views.shell_page, name="shell-route"),
    path("shell-globals", shell_views.shell_globals, name="shell-globals"),
]
