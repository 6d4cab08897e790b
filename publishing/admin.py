"""Staff view of API tokens: prefixes and state only; secrets are never stored."""

from django.contrib import admin

from publishing.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
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
    list_filter = ["revoked_at", "expires_at"]
    search_fields = ["name", "prefix", "publisher__name", "created_by__username"]
    list_select_related = ["publisher", "created_by"]
    readonly_fields = ["prefix", "token_hash", "last_used_at", "created_at", "updated_at"]
    filter_horizontal = ["packages"]

    @admin.display(description="Active", boolean=True)
    def active(self, token: ApiToken) -> bool:
        return token.is_active

    def has_add_permission(self, request) -> bool:
        # Tokens are created through the API or the token page, which show the secret once.
        return False
