"""Webhook routes under /api/v1/."""

from django.urls import path

from webhooks import api

urlpatterns = [
    path("publishers/<str:name>/webhooks", api.EndpointListView.as_view(), name="webhooks"),
    path(
        "publishers/<str:name>/webhooks/<int:endpoint_id>",
        api.EndpointView.as_view(),
        name="webhook",
    ),
    path(
        "publishers/<str:name>/webhooks/<int:endpoint_id>/test",
        api.EndpointTestView.as_view(),
        name="webhook-test",
    ),
    path(
        "publishers/<str:name>/webhooks/<int:endpoint_id>/deliveries",
        api.DeliveryListView.as_view(),
        name="webhook-deliveries",
    ),
]
