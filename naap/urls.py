"""URL configuration: the API under /api/v1/, the admin, probes, assets and the pages."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.decorators.csp import csp_override
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from naap import health

api_patterns = [
    path("", include("registry.api.urls")),
    path("", include("publishing.api.urls")),
    path("", include("installs.api.urls")),
    path("", include("reviews.api.urls")),
    path("", include("webhooks.api_urls")),
    path("", include("analytics.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # Swagger UI needs a looser policy than the site's (settings.API_DOCS_CSP says why).
    path(
        "docs/",
        csp_override(settings.API_DOCS_CSP)(
            SpectacularSwaggerSplitView.as_view(url_name="api-schema")
        ),
        name="api-docs",
    ),
]

urlpatterns = [
    path("api/v1/", include(api_patterns)),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("cdn/", include("publishing.cdn_urls")),
    path("accounts/", include("django.contrib.auth.urls")),
    path("", include("registry.shell_urls")),
    path("", include("installs.shell_urls")),
    path("", include("publishing.urls")),
    path("", include("webhooks.urls")),
    path("", include("analytics.urls")),
    path("", include("installs.urls")),
    path("", include("reviews.urls")),
    path("", include("registry.urls")),
]

handler404 = "naap.views.not_found"
handler500 = "naap.views.server_error"
