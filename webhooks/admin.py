"""Staff see every endpoint and delivery (Django's view permissions on these models); the
secret never appears, and the log is read-only."""

from django.contrib import admin

from webhooks.models import WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "publisher", "secret_prefix", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["url", "publisher__name"]
    fields = ["publisher", "url", "events", "secret_prefix", "is_active", "created_by"]
    readonly_fields = ["publisher", "url", "events", "secret_prefix", "created_by"]

    def has_add_permission(self, request) -> bool:
        # Endpoints are registered by publishers (their page or the API): that shows the secret.
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = [
        "event",
        "endpoint",
        "status",
        "attempts",
        "response_status",
        "response_ms",
        "created_at",
    ]
    list_filter = ["status", "event"]
    search_fields = ["endpoint__url", "endpoint__publisher__name"]
    list_select_related = ["endpoint", "endpoint__publisher"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
