"""API routes of the installs app (under /api/v1/)."""

from django.urls import path

from installs.api import tester_views, token_views, views

urlpatterns = [
    path("plugins/installed", views.InstalledPluginsView.as_view(), name="plugins-installed"),
    path(
        "base/plugins/personalized",
        views.PersonalizedPluginsView.as_view(),
        name="plugins-personalized",
    ),
    path("plugins/<str:name>/install", views.InstallView.as_view(), name="plugin-install"),
    path("plugins/<str:name>/uninstall", views.UninstallView.as_view(), name="plugin-uninstall"),
    path("plugins/<str:name>/config", views.ConfigView.as_view(), name="plugin-config"),
    path(
        "plugins/<str:name>/preferences",
        views.PreferencesView.as_view(),
        name="plugin-preferences",
    ),
    path(
        "plugins/<str:name>/testers",
        tester_views.PreviewTestersView.as_view(),
        name="plugin-testers",
    ),
    path("plugins/<str:name>/token", token_views.PluginTokenView.as_view(), name="plugin-token"),
    path("plugins/<str:name>/storage", views.StorageListView.as_view(), name="plugin-storage"),
    path(
        "plugins/<str:name>/storage/<str:key>",
        views.StorageEntryView.as_view(),
        name="plugin-storage-entry",
    ),
]
