"""Staff work in the Django admin: moderation, package and version actions, rollback,
staged rollouts, publisher verification and tokens. Every action calls a service; importing
the modules registers their ModelAdmins."""

from django.contrib import admin

from publishing.admin import moderation, packages, publishers, rollouts, versions

__all__ = ["moderation", "packages", "publishers", "rollouts", "versions"]

# The admin index opens with the marketplace dashboard (pending reviews, recent activity).
admin.site.index_template = "admin/naap/index.html"
