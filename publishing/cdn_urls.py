"""The embedded CDN route, mounted at /cdn/ (answers 404 unless assets are stored locally)."""

from django.urls import path

from publishing import cdn_views

urlpatterns = [
    path("<path:path>", cdn_views.serve_asset, name="cdn-asset"),
]
