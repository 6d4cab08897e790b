"""Marketplace pages."""

from django.urls import path

from registry import views

urlpatterns = [
    path("", views.browse, name="browse"),
    path("plugins/<str:name>/", views.plugin_detail, name="plugin-detail"),
    path("publishers/<str:name>/", views.publisher_detail, name="publisher-detail"),
]
