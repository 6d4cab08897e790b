"""Review routes under /api/v1/."""

from django.urls import path

from reviews.api import views

urlpatterns = [
    path("plugins/<str:name>/reviews", views.ReviewsView.as_view(), name="plugin-reviews"),
    path(
        "plugins/<str:name>/reviews/<int:review_id>/reply",
        views.ReviewReplyView.as_view(),
        name="plugin-review-reply",
    ),
    path(
        "registry/packages/<str:name>/reviews",
        views.UpstreamReviewsView.as_view(),
        name="registry-package-reviews",
    ),
]
