"""Packages in the admin: listing, deprecation, flags, and the "Roll back…" page that
packages and deployments share."""

from __future__ import annotations

from functools import partial

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html

from naap.errors import NaapError
from naap.http import client_ip
from publishing import services
from publishing.admin.actions import (
    RecordInline,
    RetiresCachedPackage,
    StaffActs,
    deprecation_action,
    service_action,
)
from registry import selectors
from registry.models import PluginDeployment, PluginPackage, PluginVersion


class PluginVersionInline(RecordInline):
    # Versions are created only by publishing, which uploads and hashes their files.
    model = PluginVersion
    fields = ["version", "status", "deprecated", "bundle_size", "downloads", "published_at"]
    show_change_link = True
    ordering = ["-sort_key"]


class RollbackMixin:
    """A "Roll back" page: earlier published, non-yanked versions, then a confirmation."""

    def rollback_urls(self, prefix: str):
        return [
            path(
                "<int:object_id>/rollback/",
                self.admin_site.admin_view(self.rollback_view),
                name=f"{prefix}_rollback",
            )
        ]

    def package_of(self, object_id: int) -> PluginPackage:
        raise NotImplementedError

    def rollback_view(self, request, object_id: int):
        package = self.package_of(object_id)
        if not self.has_rollback_permission(request):
            raise PermissionDenied
        deployment = PluginDeployment.objects.filter(package=package).first()
        candidates = selectors.rollback_candidates(package)
        chosen = None
        if request.method == "POST":
            chosen = next((v for v in candidates if v.version == request.POST.get("version")), None)
            if chosen is None:
                messages.error(request, "Choose one of the versions listed.")
            elif "confirm" in request.POST:
                try:
                    services.rollback_deployment(
                        actor=request.user,
                        package=package,
                        to_version=chosen.version,
                        reason=request.POST.get("reason", ""),
                        ip=client_ip(request),
                    )
                except NaapError as error:
                    messages.error(request, error.message)
                else:
                    messages.success(request, f"{package.name} now runs {chosen.version}.")
                    return HttpResponseRedirect(
                        reverse("admin:registry_plugindeployment_change", args=[deployment.pk])
                    )
        return TemplateResponse(
            request,
            "admin/naap/rollback.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Roll back {package.name}",
                "package": package,
                "deployment": deployment,
                "candidates": candidates,
                "chosen": chosen,
                "reason": request.POST.get("reason", ""),
                "opts": self.model._meta,
            },
        )


package_action = partial(service_action, act="list", target="package")


def flag_action(flag: str, value: bool, description: str, done: str):
    """An action setting a package flag (featured, is_core) on every selected package."""
    return package_action(services.set_package_flag, description, done, flag=flag, value=value)


@admin.register(PluginPackage)
class PluginPackageAdmin(RetiresCachedPackage, RollbackMixin, StaffActs, admin.ModelAdmin):
    # Staff may edit the texts a manifest and a bootstrap show (display name, category, …):
    # RetiresCachedPackage retires the cached copies.
    list_display = [
        "name",
        "display_name",
        "publisher",
        "category",
        "status",
        "deprecated",
        "is_core",
        "featured",
        "preview",
        "downloads",
        "install_count",
        "active_version",
    ]
    list_filter = [
        "status",
        "category",
        "deprecated",
        "is_core",
        "featured",
        "preview",
        "publisher__verified",
    ]
    search_fields = ["name", "display_name", "description", "publisher__name"]
    list_select_related = ["publisher", "deployment__version"]
    readonly_fields = [
        "name",
        "publisher",
        "status",
        "deprecated",
        "deprecation_message",
        "is_core",
        "granted_routes",
        "granted_origins",
        "featured",
        # Set with its testers on the plugin's Testers page (installs.testers), which retires
        # the testers' bootstraps too.
        "preview",
        "testers_link",
        "downloads",
        "install_count",
        "global_name",
        "rollback_link",
        "created_at",
        "updated_at",
    ]
    exclude = ["shell_min_key", "shell_max_key"]
    inlines = [PluginVersionInline]
    actions = [
        "list_packages",
        "unlist",
        "deprecate",
        "feature",
        "unfeature",
        "mark_core",
        "unmark_core",
    ]

    def get_urls(self):
        return self.rollback_urls("registry_pluginpackage") + super().get_urls()

    def package_of(self, object_id: int) -> PluginPackage:
        return get_object_or_404(PluginPackage, pk=object_id)

    def has_add_permission(self, request) -> bool:
        return False

    @admin.display(description="Active version")
    def active_version(self, package: PluginPackage) -> str:
        deployment = getattr(package, "deployment", None)
        if deployment is None or deployment.version is None:
            return "—"
        return deployment.version.version

    @admin.display(description="Testers")
    def testers_link(self, package: PluginPackage):
        url = reverse("plugin-testers-page", args=[package.name])
        return format_html('<a class="button" href="{}">Preview and testers…</a>', url)

    @admin.display(description="Deployment")
    def rollback_link(self, package: PluginPackage):
        url = reverse("admin:registry_pluginpackage_rollback", args=[package.pk])
        return format_html('<a class="button" href="{}">Roll back…</a>', url)

    list_packages = package_action(
        services.set_package_listing, "Publish (list) selected packages", "Listed", listed=True
    )
    unlist = package_action(
        services.set_package_listing, "Unlist selected packages", "Unlisted", listed=False
    )
    deprecate = deprecation_action(
        services.deprecate_package,
        "Deprecate selected packages…",
        "Deprecated",
        act="list",
        target="package",
    )
    feature = flag_action("featured", True, "Feature selected packages", "Featured")
    unfeature = flag_action(
        "featured", False, "Stop featuring selected packages", "No longer featured"
    )
    mark_core = flag_action("is_core", True, "Mark selected packages core", "Marked core")
    unmark_core = flag_action("is_core", False, "Unmark core", "No longer core")
