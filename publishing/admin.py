"""Staff work in the Django admin: moderation, package and version actions, rollback,
publisher verification and tokens. Every action calls a publishing service."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from naap.errors import NaapError
from naap.http import client_ip
from publishing import services, tokens
from publishing.models import ApiToken, PendingVersion
from registry import selectors
from registry.cache import invalidate_package
from registry.models import (
    DeploymentEvent,
    PluginDeployment,
    PluginPackage,
    PluginVersion,
    Publisher,
    PublisherMembership,
)

# The admin index opens with the marketplace dashboard (pending reviews, recent activity).
admin.site.index_template = "admin/naap/index.html"


def run_service(modeladmin, request, items, call, done: str) -> int:
    """Apply a service to each item; report successes and each refusal by name."""
    succeeded = 0
    for item in items:
        try:
            call(item)
        except NaapError as error:
            modeladmin.message_user(request, f"{item}: {error.message}", messages.ERROR)
        else:
            succeeded += 1
    if succeeded:
        modeladmin.message_user(request, f"{done}: {succeeded}.", messages.SUCCESS)
    return succeeded


class TextForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 3, "cols": 60}), max_length=2000)


def ask_for_text(modeladmin, request, queryset, *, action: str, label: str, call, done: str):
    """An action that needs a reason or message: ask on an intermediate page, then apply."""
    if "apply" in request.POST:
        form = TextForm(request.POST)
        if form.is_valid():
            text = form.cleaned_data["text"]
            run_service(modeladmin, request, queryset, lambda item: call(item, text), done)
            return None
    else:
        form = TextForm()
    return TemplateResponse(
        request,
        "admin/naap/text_action.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": label,
            "label": label,
            "form": form,
            "items": queryset,
            "action": action,
            "opts": modeladmin.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        },
    )


# --- publishers -----------------------------------------------------------------------------


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
    actions = ["verify"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(package_total=Count("packages"))

    @admin.display(description="Packages", ordering="package_total")
    def package_total(self, publisher: Publisher) -> int:
        return publisher.package_total

    @admin.action(description="Verify selected publishers (their versions skip review)")
    def verify(self, request, queryset):
        run_service(
            self, request, queryset,
            lambda publisher: services.verify_publisher(
                actor=request.user, publisher=publisher, ip=client_ip(request)
            ),
            "Verified",
        )  # fmt: skip


@admin.register(PublisherMembership)
class PublisherMembershipAdmin(admin.ModelAdmin):
    list_display = ["publisher", "user", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["publisher__name", "user__username", "user__email"]
    list_select_related = ["publisher", "user"]
    autocomplete_fields = ["publisher", "user"]


# --- moderation queue -----------------------------------------------------------------------


def permissions_summary(manifest: dict) -> str:
    permissions = manifest.get("permissions") or {}
    parts = [
        f"{group}: {', '.join(map(str, values))}"
        for group, values in permissions.items()
        if isinstance(values, list) and values
    ]
    return "; ".join(parts) or "none"


def findings_html(findings: list[dict]):
    if not findings:
        return "—"
    return format_html(
        "<ul class='naap-findings'>{}</ul>",
        format_html_join(
            "",
            "<li><strong>{}</strong> {}: {}</li>",
            ((f.get("severity", ""), f.get("check", ""), f.get("message", "")) for f in findings),
        ),
    )


@admin.register(PendingVersion)
class ModerationQueueAdmin(admin.ModelAdmin):
    """Versions waiting for review, oldest first, with what a reviewer needs to decide."""

    list_display = [
        "__str__",
        "publisher",
        "created_at",
        "bundle_size",
        "permissions",
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

    @admin.action(description="Approve selected versions")
    def approve(self, request, queryset):
        run_service(
            self, request, queryset,
            lambda version: services.approve_version(
                actor=request.user, version=version, ip=client_ip(request)
            ),
            "Approved",
        )  # fmt: skip

    @admin.action(description="Reject selected versions (deletes their files)…")
    def reject(self, request, queryset):
        return ask_for_text(
            self, request, queryset, action="reject", label="Why are they rejected?",
            call=lambda version, reason: services.reject_version(
                actor=request.user, version=version, reason=reason, ip=client_ip(request)
            ),
            done="Rejected",
        )  # fmt: skip


# --- packages, versions, deployments --------------------------------------------------------


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
        if not self.has_change_permission(request):
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


@admin.register(PluginPackage)
class PluginPackageAdmin(RollbackMixin, admin.ModelAdmin):
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
    readonly_fields = [
        "name",
        "publisher",
        "status",
        "deprecated",
        "deprecation_message",
        "is_core",
        "featured",
        "downloads",
        "install_count",
        "global_name",
        "rollback_link",
        "created_at",
        "updated_at",
    ]
    exclude = ["shell_min_key", "shell_max_key"]
    inlines = [PluginVersionInline]
    actions = ["list_packages", "unlist", "deprecate", "feature", "unfeature", "mark_core",
               "unmark_core"]  # fmt: skip

    def get_urls(self):
        return self.rollback_urls("registry_pluginpackage") + super().get_urls()

    def package_of(self, object_id: int) -> PluginPackage:
        return get_object_or_404(PluginPackage, pk=object_id)

    def has_add_permission(self, request) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        # Staff may edit the texts a manifest and a bootstrap show (display name, category, …).
        super().save_model(request, obj, form, change)
        invalidate_package(obj.name)

    @admin.display(description="Active version")
    def active_version(self, package: PluginPackage) -> str:
        deployment = getattr(package, "deployment", None)
        if deployment is None or deployment.version is None:
            return "—"
        return deployment.version.version

    @admin.display(description="Deployment")
    def rollback_link(self, package: PluginPackage):
        url = reverse("admin:registry_pluginpackage_rollback", args=[package.pk])
        return format_html('<a class="button" href="{}">Roll back…</a>', url)

    def _flag(self, request, queryset, flag: str, value: bool, done: str):
        run_service(
            self, request, queryset,
            lambda package: services.set_package_flag(
                actor=request.user, package=package, flag=flag, value=value, ip=client_ip(request)
            ),
            done,
        )  # fmt: skip

    @admin.action(description="Publish (list) selected packages")
    def list_packages(self, request, queryset):
        run_service(
            self, request, queryset,
            lambda package: services.set_package_listing(
                actor=request.user, package=package, listed=True, ip=client_ip(request)
            ),
            "Listed",
        )  # fmt: skip

    @admin.action(description="Unlist selected packages")
    def unlist(self, request, queryset):
        run_service(
            self, request, queryset,
            lambda package: services.set_package_listing(
                actor=request.user, package=package, listed=False, ip=client_ip(request)
            ),
            "Unlisted",
        )  # fmt: skip

    @admin.action(description="Deprecate selected packages…")
    def deprecate(self, request, queryset):
        return ask_for_text(
            self, request, queryset, action="deprecate",
            label="Deprecation message (what to use instead)",
            call=lambda package, message: services.deprecate_package(
                actor=request.user, package=package, message=message, ip=client_ip(request)
            ),
            done="Deprecated",
        )  # fmt: skip

    @admin.action(description="Feature selected packages")
    def feature(self, request, queryset):
        self._flag(request, queryset, "featured", True, "Featured")

    @admin.action(description="Stop featuring selected packages")
    def unfeature(self, request, queryset):
        self._flag(request, queryset, "featured", False, "No longer featured")

    @admin.action(description="Mark selected packages core (top-level routes allowed)")
    def mark_core(self, request, queryset):
        self._flag(request, queryset, "is_core", True, "Marked core")

    @admin.action(description="Unmark core")
    def unmark_core(self, request, queryset):
        self._flag(request, queryset, "is_core", False, "No longer core")


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
        return format_html('<a href="{}">{}</a>', version.bundle_url, version.bundle_url)

    @admin.display(description="Automated checks")
    def findings_list(self, version: PluginVersion):
        return findings_html(version.findings)

    approve = ModerationQueueAdmin.approve
    reject = ModerationQueueAdmin.reject

    @admin.action(description="Deprecate selected versions…")
    def deprecate(self, request, queryset):
        return ask_for_text(
            self, request, queryset, action="deprecate",
            label="Deprecation message (what to use instead)",
            call=lambda version, message: services.deprecate_version(
                actor=request.user, version=version, message=message, ip=client_ip(request)
            ),
            done="Deprecated",
        )  # fmt: skip

    @admin.action(description="Yank selected versions…")
    def yank(self, request, queryset):
        return ask_for_text(
            self, request, queryset, action="yank", label="Why are they yanked?",
            call=lambda version, reason: services.yank_version(
                actor=request.user, version=version, reason=reason, ip=client_ip(request)
            ),
            done="Yanked",
        )  # fmt: skip


class DeploymentEventInline(admin.TabularInline):
    model = DeploymentEvent
    extra = 0
    fields = ["created_at", "kind", "from_version", "to_version", "actor", "reason"]
    readonly_fields = fields
    can_delete = False
    ordering = ["-created_at", "-id"]
    verbose_name_plural = "history"

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(PluginDeployment)
class PluginDeploymentAdmin(RollbackMixin, admin.ModelAdmin):
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

    def save_model(self, request, obj, form, change) -> None:
        super().save_model(request, obj, form, change)
        invalidate_package(obj.package.name)

    @admin.display(description="Roll back")
    def rollback_link(self, deployment: PluginDeployment):
        url = reverse("admin:registry_plugindeployment_rollback", args=[deployment.pk])
        return format_html('<a class="button" href="{}">Roll back…</a>', url)


# --- tokens ---------------------------------------------------------------------------------


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    """Prefixes and state only; secrets are never stored."""

    list_display = [
        "name",
        "prefix",
        "publisher",
        "created_by",
        "scopes",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "active",
    ]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter), "expires_at"]
    search_fields = ["name", "prefix", "publisher__name", "created_by__username"]
    list_select_related = ["publisher", "created_by"]
    readonly_fields = [
        "name",
        "publisher",
        "created_by",
        "prefix",
        "scopes",
        "packages",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "created_at",
    ]
    fields = readonly_fields
    actions = ["revoke"]

    @admin.display(description="Active", boolean=True)
    def active(self, token: ApiToken) -> bool:
        return token.is_active

    def has_add_permission(self, request) -> bool:
        # Tokens are created through the API or the token page, which show the secret once.
        return False

    @admin.action(description="Revoke selected tokens")
    def revoke(self, request, queryset):
        run_service(
            self, request, queryset.filter(revoked_at__isnull=True),
            lambda token: tokens.revoke_api_token(
                actor=request.user, token_id=token.pk, ip=client_ip(request)
            ),
            "Revoked",
        )  # fmt: skip
