"""Routes of the demo shell: the marketplace's page and the sandboxed frame it shows."""

from django.urls import path

from installs import shell_views

urlpatterns = [
    path("shell/", shell_views.shell_page, name="shell"),
    # Every path under /shell/ is the shell too: it routes by the plugins' own routes.
    path("shell/<path:route>", shell_views.shell_page, name="shell-route"),
    path("sandbox/shell/", shell_views.shell_frame, name="shell-frame"),
    path("sandbox/shell/<path:route>", shell_views.shell_frame, name="shell-frame-route"),
]
