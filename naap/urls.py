"""URL configuration: the API under /api/v1/, the admin, probes, assets and the pages."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from naap import health

api_patterns = [
    path("", include("registry.api.urls")),
    path("", include("publishing.api.urls")),
    path("", include("installs.api.urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

urlpatterns = [
    path("api/v1/", include(api_patterns)),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("cdn/", include("publishing.urls_cdn")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("publishing.urls")),
    path("", include("installs.urls")),
    path("", include("registry.urls")),
]

handler404 = "naap.views.not_found"
handler500 = "naap.views.server_error"
