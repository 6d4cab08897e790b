"""Read routes of the catalog under /api/v1/."""

from django.urls import path

from registry import field_views
from registry.api import views

urlpatterns = [
    path("plugins/field-reports", field_views.field_reports, name="field-reports"),
    path("plugins/registry", views.RegistryListView.as_view(), name="registry-list"),
    path("registry/packages", views.RegistryPackagesView.as_view(), name="registry-packages"),
    path("plugins/registry/<str:name>", views.PackageDetailView.as_view(), name="package-detail"),
    path(
        "plugins/registry/<str:name>/<str:version>/manifest",
        views.ManifestView.as_view(),
        name="package-manifest",
    ),
    path(
        "plugins/<str:name>/deployment", views.DeploymentView.as_view(), name="package-deployment"
    ),
]
