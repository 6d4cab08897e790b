"""The moderation queue: versions waiting for review, with what a reviewer needs to decide."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html

from publishing import services
from publishing.admin.actions import (
    StaffActs,
    findings_html,
    permissions_summary,
    service_action,
    version_reason_action,
)
from publishing.models import PendingVersion
from registry.models import PluginVersion
from registry.origins import new_origins
from registry.routes import route_request


@admin.register(PendingVersion)
class ModerationQueueAdmin(StaffActs, admin.ModelAdmin):
    """Versions waiting for review, oldest first, with what a reviewer needs to decide."""

    list_display = [
        "__str__",
        "publisher",
        "created_at",
        "bundle_size",
        "permissions",
        "asks_for",
        "warning_count",
        "preview_link",
    ]
    list_select_related = ["package__publisher"]
    ordering = ["created_at", "id"]
    search_fields = ["package__name", "package__publisher__name"]
    actions = ["approve", "reject"]
    readonly_fields = [
        "package",
        "version",
        "publisher",
        "bundle_size",
        "styles_size",
        "permissions",
        "asks_for",
        "findings_list",
        "manifest",
        "release_notes",
        "preview_link",
        "created_at",
    ]
    fields = readonly_fields

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .filter(status=PluginVersion.Status.PENDING_REVIEW)
            .select_related("package__publisher")
        )

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Publisher", ordering="package__publisher__name")
    def publisher(self, version) -> str:
        publisher = version.package.publisher
        return f"{publisher.name}{'' if publisher.verified else ' (unverified)'}"

    @admin.display(description="Permissions")
    def permissions(self, version) -> str:
        return permissions_summary(version.manifest)

    @admin.display(description="Asks to be granted")
    def asks_for(self, version) -> str:
        """Top-level routes, core status and origins to connect to that the version asks beyond
        its package's grant: approving grants them."""
        package = version.package
        request = route_request(
            version.manifest,
            name=package.name,
            granted=package.granted_routes,
            is_core=package.is_core,
        )
        asked = [request.describe()] if request else []
        if origins := new_origins(version.manifest, granted=package.granted_origins):
            asked.append(f"connections to {', '.join(origins)}")
        return " and ".join(asked) or "—"

    @admin.display(description="Warnings")
    def warning_count(self, version) -> int:
        return sum(1 for f in version.findings if f.get("severity") in {"warning", "error"})

    @admin.display(description="Automated checks")
    def findings_list(self, version):
        return findings_html(version.findings)

    @admin.display(description="Preview")
    def preview_link(self, version):
        url = f"/plugins/{version.package.name}/{version.version}/preview/"
        return format_html('<a href="{}" target="_blank" rel="noopener">Preview</a>', url)

    approve = service_action(
        services.approve_version,
        "Approve selected versions",
        "Approved",
        act="review",
        target="version",
    )
    reject = version_reason_action(
        services.reject_version,
        "Reject selected versions (deletes their files)…",
        "Rejected",
        act="review",
        name="reject",
    )
