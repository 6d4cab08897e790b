"""Staff views of the catalog's records: events, download stats, memberships, the audit log.

Publishers, packages, versions and deployments are administered in publishing/admin/,
because their actions (moderation, deprecate, yank, rollback) are publishing services.
"""

from django.contrib import admin

from registry.models import (
    AuditEvent,
    DeploymentEvent,
    DownloadStat,
)

admin.site.site_header = "NaaP Plugin Marketplace"
admin.site.site_title = "NaaP Marketplace admin"
admin.site.index_title = "Marketplace administration"


class RecordAdmin(admin.ModelAdmin):
    """Rows written only by services (events, counts): staff read them, never add or edit."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DeploymentEvent)
class DeploymentEventAdmin(RecordAdmin):
    list_display = ["created_at", "deployment", "kind", "from_version", "to_version", "actor"]
    list_filter = ["kind", "created_at"]
    search_fields = ["deployment__package__name", "reason"]
    list_select_related = [
        "deployment__package",
        "deployment__version__package",
        "from_version__package",
        "to_version__package",
        "actor",
    ]


@admin.register(DownloadStat)
class DownloadStatAdmin(RecordAdmin):
    list_display = ["day", "package", "version", "count"]
    list_filter = ["day"]
    search_fields = ["package__name"]
    list_select_related = ["package", "version__package"]
    date_hierarchy = "day"


@admin.register(AuditEvent)
class AuditEventAdmin(RecordAdmin):
    list_display = ["created_at", "actor", "action", "target", "ip"]
    list_filter = ["action", "created_at", "actor"]
    search_fields = ["action", "target", "actor__username"]
    list_select_related = ["actor"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "created_at",
        "actor",
        "action",
        "target",
        "target_type",
        "target_id",
        "ip",
        "details",
    ]

    def has_delete_permission(self, request, obj=None) -> bool:
        # The audit log is append-only, even for superusers.
        return False
