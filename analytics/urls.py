"""Analytics pages."""

from django.urls import path

from analytics import views

urlpatterns = [
    path("plugins/<str:name>/analytics/", views.package_page, name="plugin-analytics"),
    path("me/analytics/", views.index_page, name="analytics-index"),
]
