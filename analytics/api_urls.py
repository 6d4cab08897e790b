"""Analytics routes under /api/v1/."""

from django.urls import path

from analytics import api

urlpatterns = [
    path(
        "plugins/<str:name>/analytics",
        api.PackageAnalyticsView.as_view(),
        name="plugin-analytics-api",
    ),
]
