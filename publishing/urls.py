"""Publisher pages."""

from django.urls import path

from publishing import pages

urlpatterns = [
    path("publishers/new/", pages.publisher_new, name="publisher-new"),
    path("me/tokens/", pages.token_page, name="token-page"),
    path("me/tokens/<int:token_id>/revoke/", pages.token_revoke, name="token-revoke-page"),
]
