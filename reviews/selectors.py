"""Reading reviews: a package's visible ones, newest first, and a person's own."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from registry.models import PluginPackage
from reviews.models import PluginReview


@dataclass(frozen=True)
class ReviewPage:
    """One page of a package's visible reviews and how many there are in all."""

    reviews: list[PluginReview]
    total: int
    page: int
    size: int

    @property
    def pages(self) -> int:
        return -(-self.total // self.size)


def visible_reviews(package: PluginPackage) -> QuerySet:
    """The package's reviews that staff have not hidden, newest first (authors joined)."""
    return (
        PluginReview.objects.filter(package=package, hidden=False)
        .select_related("user")
        .order_by("-created_at", "-pk")
    )


def review_page(package: PluginPackage, *, page: int, size: int) -> ReviewPage:
    """One page of visible reviews; the total is the package's stored count, which the
    review services keep equal to the visible reviews (no second COUNT)."""
    offset = (page - 1) * size
    reviews = list(visible_reviews(package)[offset : offset + size])
    for review in reviews:
        review.package = package
    return ReviewPage(reviews=reviews, total=package.rating_count, page=page, size=size)


def own_review(*, user, package: PluginPackage) -> PluginReview | None:
    """The person's review of the package, hidden or not (they see theirs marked hidden)."""
    if not getattr(user, "is_authenticated", False):
        return None
    review = PluginReview.objects.filter(package=package, user=user).first()
    if review is not None:
        review.package, review.user = package, user
    return review
