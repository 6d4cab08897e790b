"""The plugin page's review forms."""

from django.urls import path

from reviews import views

urlpatterns = [
    path("plugins/<str:name>/reviews/", views.save_review, name="plugin-review-save"),
    path("plugins/<str:name>/reviews/delete/", views.delete_review, name="plugin-review-delete"),
    path(
        "plugins/<str:name>/reviews/<int:review_id>/reply/",
        views.reply_to_review,
        name="plugin-review-reply-page",
    ),
]
