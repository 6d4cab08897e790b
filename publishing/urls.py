"""Publisher pages, and a version's preview page."""

from django.urls import path

from publishing import preview_views, views

urlpatterns = [
    path("publishers/new/", views.publisher_new, name="publisher-new"),
    path("me/tokens/", views.token_page, name="token-page"),
    path("me/tokens/<int:token_id>/revoke/", views.token_revoke, name="token-revoke-page"),
    path(
        "plugins/<str:name>/<str:version>/preview/",
        preview_views.preview_page,
        name="plugin-preview",
    ),
    path(
        "sandbox/preview/<str:name>/<str:version>/",
        preview_views.preview_frame,
        name="plugin-preview-frame",
    ),
]
