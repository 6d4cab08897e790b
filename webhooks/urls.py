"""The webhooks page of publishers."""

from django.urls import path

from webhooks import views

urlpatterns = [
    path("me/webhooks/", views.webhooks_page, name="webhooks-page"),
    path("me/webhooks/<int:endpoint_id>/test/", views.webhook_test, name="webhook-test-page"),
    path("me/webhooks/<int:endpoint_id>/delete/", views.webhook_delete, name="webhook-delete-page"),
]
