"""Publishers, their members and their API tokens in the admin."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count

from naap.http import client_ip
from publishing import services
from publishing.admin.actions import StaffActs, run_service, service_action
from publishing.models import ApiToken
from registry.models import Publisher, PublisherMembership


class PublisherMembershipInline(admin.TabularInline):
    model = PublisherMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Publisher)
class PublisherAdmin(StaffActs, admin.ModelAdmin):
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

    verify = service_action(
        services.verify_publisher,
        "Verify selected publishers (their versions skip review)",
        "Verified",
        act="verify",
        target="publisher",
    )


@admin.register(PublisherMembership)
class PublisherMembershipAdmin(admin.ModelAdmin):
    list_display = ["publisher", "user", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["publisher__name", "user__username", "user__email"]
    list_select_related = ["publisher", "user"]
    autocomplete_fields = ["publisher", "user"]


@admin.register(ApiToken)
class ApiTokenAdmin(StaffActs, admin.ModelAdmin):
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

    @admin.action(description="Revoke selected tokens", permissions=["revoke"])
    def revoke(self, request, queryset):
        run_service(
            self,
            request,
            queryset.filter(revoked_at__isnull=True),
            lambda token: services.revoke_api_token(
                actor=request.user, token_id=token.pk, ip=client_ip(request)
            ),
            "Revoked",
        )
