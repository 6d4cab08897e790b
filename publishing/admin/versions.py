"""Versions and deployments in the admin: deprecate, yank, approve, reject, roll back."""

from __future__ import annotations

from django.contrib import admin
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.html import format_html

from publishing import services
from publishing.admin.actions import (
    RecordInline,
    RetiresCachedPackage,
    StaffActs,
    deprecation_action,
    findings_html,
    version_reason_action,
)
from publishing.admin.moderation import ModerationQueueAdmin
from publishing.admin.packages import RollbackMixin
from publishing.review_assets import bundle_link
from registry.models import DeploymentEvent, PluginDeployment, PluginPackage, PluginVersion


@admin.register(PluginVersion)
class PluginVersionAdmin(RetiresCachedPackage, StaffActs, admin.ModelAdmin):
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
    actions = ["approve", "reject", "deprecate", "yank"]
    readonly_fields = [
        "package",
        "version",
        "status",
        "deprecated",
        "deprecation_message",
        "yank_reason",
        "rejection_reason",
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
        "scoped_styles_key",
        "scoped_styles_url",
        "scoped_styles_integrity",
        "sourcemap_url",
        "findings_list",
        "release_notes",
        "downloads",
        "published_at",
        "published_by",
        "reviewed_at",
        "reviewed_by",
        "created_at",
        "updated_at",
    ]
    fields = readonly_fields

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="Pre-release", boolean=True)
    def prerelease_flag(self, version: PluginVersion) -> bool:
        return version.is_prerelease

    @admin.display(description="Bundle URL")
    def bundle_link(self, version: PluginVersion):
        if not version.bundle_url:
            return "—"
        return format_html('<a href="{}">{}</a>', bundle_link(version), version.bundle_url)

    @admin.display(description="Automated checks")
    def findings_list(self, version: PluginVersion):
        return findings_html(version.findings)

    approve = ModerationQueueAdmin.approve
    reject = ModerationQueueAdmin.reject
    deprecate = deprecation_action(
        services.deprecate_version,
        "Deprecate selected versions…",
        "Deprecated",
        act="withdraw",
        target="version",
    )
    yank = version_reason_action(
        services.yank_version, "Yank selected versions…", "Yanked", act="withdraw", name="yank"
    )


class DeploymentEventInline(RecordInline):
    model = DeploymentEvent
    fields = ["created_at", "kind", "from_version", "to_version", "actor", "reason"]
    ordering = ["-created_at", "-id"]
    verbose_name_plural = "history"


@admin.register(PluginDeployment)
class PluginDeploymentAdmin(RetiresCachedPackage, RollbackMixin, StaffActs, admin.ModelAdmin):
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
    readonly_fields = [
        "package",
        "version",
        "status",
        "deployed_at",
        "deployed_by",
        "active_installs",
        "rollback_link",
        "rollout_link",
    ]
    fields = [*readonly_fields, "health_status"]
    inlines = [DeploymentEventInline]

    def get_urls(self):
        return self.rollback_urls("registry_plugindeployment") + super().get_urls()

    def package_of(self, object_id: int) -> PluginPackage:
        return get_object_or_404(
            PluginDeployment.objects.select_related("package"), pk=object_id
        ).package

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="Roll back")
    def rollback_link(self, deployment: PluginDeployment):
        url = reverse("admin:registry_plugindeployment_rollback", args=[deployment.pk])
        return format_html('<a class="button" href="{}">Roll back…</a>', url)

    @admin.display(description="Staged rollout")
    def rollout_link(self, deployment: PluginDeployment):
        url = reverse("admin:registry_rollout_package", args=[deployment.package_id])
        return format_html('<a href="{}">Rollout page</a>', url)
