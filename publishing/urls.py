"""Publisher pages."""

from django.urls import path

from publishing import views

urlpatterns = [
    path("publishers/new/", views.publisher_new, name="publisher-new"),
    path("me/tokens/", views.token_page, name="token-page"),
    path("me/tokens/<int:token_id>/revoke/", views.token_revoke, name="token-revoke-page"),
]
