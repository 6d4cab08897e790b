"""Staff views of the catalog. Actions call services; nothing here holds business rules."""

from django.contrib import admin
from django.db.models import Count
from django.utils.html import format_html

from registry.models import (
    AuditEvent,
    DeploymentEvent,
    DownloadStat,
    PluginDeployment,
    PluginPackage,
    PluginVersion,
    Publisher,
    PublisherMembership,
)


class PublisherMembershipInline(admin.TabularInline):
    model = PublisherMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Publisher)
class PublisherAdmin(admin.ModelAdmin):
    list_display = ["name", "display_name", "email", "verified", "package_total", "created_at"]
    list_filter = ["verified", "created_at"]
    search_fields = ["name", "display_name", "email"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [PublisherMembershipInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(package_total=Count("packages"))

    @admin.display(description="Packages", ordering="package_total")
    def package_total(self, publisher: Publisher) -> int:
        return publisher.package_total


@admin.register(PublisherMembership)
class PublisherMembershipAdmin(admin.ModelAdmin):
    list_display = ["publisher", "user", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["publisher__name", "user__username", "user__email"]
    list_select_related = ["publisher", "user"]
    autocomplete_fields = ["publisher", "user"]


class PluginVersionInline(admin.TabularInline):
    model = PluginVersion
    extra = 0
    fields = ["version", "status", "deprecated", "bundle_size", "downloads", "published_at"]
    readonly_fields = fields
    show_change_link = True
    ordering = ["-sort_key"]
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        # Versions are created only by publishing, which uploads and hashes their files.
        return False


@admin.register(PluginPackage)
class PluginPackageAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "display_name",
        "publisher",
        "category",
        "status",
        "deprecated",
        "is_core",
        "featured",
        "downloads",
        "install_count",
        "active_version",
    ]
    list_filter = ["status", "category", "deprecated", "is_core", "featured", "publisher__verified"]
    search_fields = ["name", "display_name", "description", "publisher__name"]
    list_select_related = ["publisher", "deployment__version"]
    readonly_fields = ["downloads", "install_count", "global_name", "created_at", "updated_at"]
    autocomplete_fields = ["publisher"]
    inlines = [PluginVersionInline]

    @admin.display(description="Active version")
    def active_version(self, package: PluginPackage) -> str:
        deployment = getattr(package, "deployment", None)
        if deployment is None or deployment.version is None:
            return "—"
        return deployment.version.version


@admin.register(PluginVersion)
class PluginVersionAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "status",
        "prerelease_flag",
        "deprecated",
        "bundle_size",
        "downloads",
        "published_at",
        "created_at",
    ]
    list_filter = ["status", "deprecated", "package__publisher__verified", "created_at"]
    search_fields = ["package__name", "version"]
    list_select_related = ["package"]
    ordering = ["package__name", "-sort_key"]
    readonly_fields = [
        "package",
        "version",
        "sort_key",
        "manifest",
        "bundle_key",
        "bundle_link",
        "bundle_sha256",
        "bundle_integrity",
        "bundle_size",
        "styles_key",
        "styles_url",
        "styles_sha256",
        "styles_integrity",
        "styles_size",
        "sourcemap_url",
        "findings",
        "downloads",
        "published_at",
        "published_by",
        "reviewed_at",
        "reviewed_by",
        "created_at",
        "updated_at",
    ]
    exclude = ["major", "minor", "patch", "prerelease", "bundle_url"]

    @admin.display(description="Pre-release", boolean=True)
    def prerelease_flag(self, version: PluginVersion) -> bool:
        return version.is_prerelease

    @admin.display(description="Bundle URL")
    def bundle_link(self, version: PluginVersion) -> str:
        if not version.bundle_url:
            return "—"
        return format_html('<a href="{}">{}</a>', version.bundle_url, version.bundle_url)


class DeploymentEventInline(admin.TabularInline):
    model = DeploymentEvent
    extra = 0
    fields = ["created_at", "kind", "from_version", "to_version", "actor", "reason"]
    readonly_fields = fields
    can_delete = False
    ordering = ["-created_at"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PluginDeployment)
class PluginDeploymentAdmin(admin.ModelAdmin):
    list_display = [
        "package",
        "version",
        "status",
        "health_status",
        "canary_version",
        "canary_percent",
        "active_installs",
        "deployed_at",
    ]
    list_filter = ["status", "health_status"]
    search_fields = ["package__name"]
    list_select_related = ["package", "version__package", "canary_version__package"]
    readonly_fields = ["package", "version", "deployed_at", "deployed_by", "active_installs"]
    inlines = [DeploymentEventInline]


@admin.register(DeploymentEvent)
class DeploymentEventAdmin(admin.ModelAdmin):
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

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(DownloadStat)
class DownloadStatAdmin(admin.ModelAdmin):
    list_display = ["day", "package", "version", "count"]
    list_filter = ["day"]
    search_fields = ["package__name"]
    list_select_related = ["package", "version__package"]
    date_hierarchy = "day"

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        # The audit log is append-only, even for superusers.
        return False
