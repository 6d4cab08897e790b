"""Writing reviews: create, edit and delete one's own, staff hiding, the publisher's reply.

Every write locks the package row first (select_for_update), then changes the review, then
recounts the package's rating from one aggregate of its visible reviews, all in one
transaction: concurrent writers on one package queue on that lock, and each recount sees every
review committed before it, so the stored average, count and distribution never drift.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from installs.selectors import installed_package_for
from naap.errors import Conflict, Forbidden, NotFound, ValidationFailed
from registry.audit import AuditAction
from registry.cache import invalidate_package
from registry.membership import staff_may
from registry.models import PluginPackage
from registry.selectors import visible_package
from registry.services import record_audit_event
from reviews.models import (
    MAX_COMMENT_LENGTH,
    MAX_RATING,
    MAX_REASON_LENGTH,
    MAX_REPLY_LENGTH,
    MIN_RATING,
    PluginReview,
    PluginReviewRevision,
    RevisionKind,
)

HIDE_REVIEWS = "reviews.hide_pluginreview"


def _checked_rating(rating) -> int:
    if isinstance(rating, bool) or not isinstance(rating, int):
        raise ValidationFailed("The rating is a whole number from 1 to 5.", field="rating")
    if not MIN_RATING <= rating <= MAX_RATING:
        raise ValidationFailed(
            f"The rating is from {MIN_RATING} to {MAX_RATING} stars, not {rating}.", field="rating"
        )
    return rating


def _checked_text(text: str, *, field: str, limit: int, required: bool = False) -> str:
    """Plain text, trimmed and bounded (it is always shown escaped)."""
    if not isinstance(text, str):
        raise ValidationFailed(f"The {field} is text.", field=field)
    text = text.strip()
    if required and not text:
        raise ValidationFailed(f"Write the {field}.", field=field)
    if len(text) > limit:
        raise ValidationFailed(
            f"The {field} is {len(text)} characters long; at most {limit} are kept.", field=field
        )
    return text


def _locked_package(name: str, *, user) -> PluginPackage:
    """The package people may see by that name, its row locked for this transaction."""
    package = visible_package(name=name, user=user)
    return PluginPackage.objects.select_for_update().get(pk=package.pk)


def _recount(package: PluginPackage) -> None:
    """Store the package's rating from one aggregate of its visible reviews (the row is
    locked), and retire what the catalog cached about it."""
    rows = (
        PluginReview.objects.filter(package=package, hidden=False)
        .order_by()
        .values("rating")
        .annotate(total=Count("pk"))
    )
    distribution = [0] * MAX_RATING
    for row in rows:
        distribution[row["rating"] - 1] = row["total"]
    count = sum(distribution)
    stars = sum(index * total for index, total in enumerate(distribution, start=1))
    average = stars / count if count else None
    PluginPackage.objects.filter(pk=package.pk).update(
        rating_count=count, rating_average=average, rating_distribution=distribution
    )
    package.rating_count, package.rating_average = count, average
    package.rating_distribution = distribution
    invalidate_package(package.name)


def _remember(review: PluginReview, kind: RevisionKind, *, actor, reason: str = "") -> None:
    PluginReviewRevision.objects.create(
        review=review if kind != RevisionKind.DELETED else None,
        package_id=review.package_id,
        author_id=review.user_id,
        actor=actor,
        kind=kind,
        rating=review.rating,
        comment=review.comment,
        reply=review.reply,
        reason=reason,
    )


def _audit(actor, action: AuditAction, review: PluginReview, *, ip, **details) -> None:
    record_audit_event(
        actor,
        action,
        review.package,
        ip=ip,
        details={"review": review.pk, "author": review.user_id, "rating": review.rating, **details},
    )


def check_may_review(*, actor, package: PluginPackage) -> None:
    """Refuse a person who may not rate this package: one of its publisher's members, or
    someone who has not installed it (personally, through a team, or as a core plugin)."""
    if package.publisher.memberships.filter(user=actor).exists():
        raise Forbidden(
            f"You are a member of {package.publisher.display_name}, which publishes "
            f"'{package.name}': people who use it rate it, its publisher replies."
        )
    try:
        installed_package_for(user=actor, name=package.name)
    except NotFound as error:
        raise Forbidden(
            f"Install '{package.name}' (for yourself or a team) before you rate it."
        ) from error


@transaction.atomic
def create_review(
    *, actor, name: str, rating: int, comment: str = "", ip: str | None = None
) -> PluginReview:
    """Rate a package you use, once: a second review by the same person is a conflict."""
    rating = _checked_rating(rating)
    comment = _checked_text(comment, field="comment", limit=MAX_COMMENT_LENGTH)
    package = _locked_package(name, user=actor)
    check_may_review(actor=actor, package=package)
    if PluginReview.objects.filter(package=package, user=actor).exists():
        raise Conflict(
            f"You have rated '{name}' already: edit your review (PUT) or delete it.",
            field="rating",
        )
    try:
        with transaction.atomic():  # the constraint is the last word, under any race
            review = PluginReview.objects.create(
                package=package, user=actor, rating=rating, comment=comment
            )
    except IntegrityError as error:
        raise Conflict(f"You have rated '{name}' already.", field="rating") from error
    review.package = package
    _remember(review, RevisionKind.CREATED, actor=actor)
    _recount(package)
    _audit(actor, AuditAction.REVIEW_CREATE, review, ip=ip)
    return review


def _own_review(*, actor, package: PluginPackage) -> PluginReview:
    review = PluginReview.objects.filter(package=package, user=actor).first()
    if review is None:
        raise NotFound(f"You have not rated '{package.name}'.")
    review.package = package
    return review


@transaction.atomic
def edit_review(
    *, actor, name: str, rating: int, comment: str = "", ip: str | None = None
) -> PluginReview:
    """Change your own rating and comment. A hidden review stays hidden (staff decide)."""
    rating = _checked_rating(rating)
    comment = _checked_text(comment, field="comment", limit=MAX_COMMENT_LENGTH)
    package = _locked_package(name, user=actor)
    review = _own_review(actor=actor, package=package)
    if (review.rating, review.comment) == (rating, comment):
        return review
    previous = review.rating
    review.rating, review.comment = rating, comment
    review.save(update_fields=["rating", "comment", "updated_at"])
    _remember(review, RevisionKind.EDITED, actor=actor)
    _recount(package)
    _audit(actor, AuditAction.REVIEW_EDIT, review, ip=ip, previousRating=previous)
    return review


@transaction.atomic
def delete_review(*, actor, name: str, ip: str | None = None) -> PluginReview:
    """Delete your own review; its history stays for staff. Returns the deleted review."""
    package = _locked_package(name, user=actor)
    review = _own_review(actor=actor, package=package)
    _remember(review, RevisionKind.DELETED, actor=actor)
    review_id = review.pk
    review.delete()
    review.pk = review_id
    _recount(package)
    _audit(actor, AuditAction.REVIEW_DELETE, review, ip=ip)
    return review


def _require_staff_hide(actor) -> None:
    if not staff_may(actor, HIDE_REVIEWS):
        raise Forbidden("Hiding reviews needs the staff permission to hide reviews.")


def _locked_review(review: PluginReview) -> tuple[PluginPackage, PluginReview]:
    """The review's package locked, then the review as stored now."""
    package = PluginPackage.objects.select_for_update().get(pk=review.package_id)
    current = PluginReview.objects.filter(pk=review.pk).first()
    if current is None:
        raise NotFound("That review was deleted.")
    current.package = package
    return package, current


@transaction.atomic
def hide_review(*, actor, review: PluginReview, reason: str, ip: str | None = None) -> PluginReview:
    """Staff hide an abusive review, saying why: it leaves every list and the average."""
    _require_staff_hide(actor)
    reason = _checked_text(reason, field="reason", limit=MAX_REASON_LENGTH, required=True)
    package, review = _locked_review(review)
    if review.hidden:
        raise Conflict(f"That review is hidden already ({review.hidden_reason}).")
    review.hidden, review.hidden_reason = True, reason
    review.hidden_by, review.hidden_at = actor, timezone.now()
    review.save(update_fields=["hidden", "hidden_reason", "hidden_by", "hidden_at", "updated_at"])
    _remember(review, RevisionKind.HIDDEN, actor=actor, reason=reason)
    _recount(package)
    _audit(actor, AuditAction.REVIEW_HIDE, review, ip=ip, reason=reason, comment=review.comment)
    return review


@transaction.atomic
def unhide_review(
    *, actor, review: PluginReview, reason: str = "", ip: str | None = None
) -> PluginReview:
    """Staff show a hidden review again; the reason it was hidden stays in its history."""
    _require_staff_hide(actor)
    reason = _checked_text(reason, field="reason", limit=MAX_REASON_LENGTH)
    package, review = _locked_review(review)
    if not review.hidden:
        raise Conflict("That review is not hidden.")
    review.hidden, review.hidden_reason = False, ""
    review.hidden_by, review.hidden_at = None, None
    review.save(update_fields=["hidden", "hidden_reason", "hidden_by", "hidden_at", "updated_at"])
    _remember(review, RevisionKind.UNHIDDEN, actor=actor, reason=reason)
    _recount(package)
    _audit(actor, AuditAction.REVIEW_UNHIDE, review, ip=ip, reason=reason)
    return review


@transaction.atomic
def reply_to_review(*, actor, name: str, review_id: int, text: str, ip: str | None = None):
    """A member of the package's publisher answers a review, once."""
    text = _checked_text(text, field="reply", limit=MAX_REPLY_LENGTH, required=True)
    package = _locked_package(name, user=actor)
    review = (
        PluginReview.objects.select_for_update()
        .filter(pk=review_id, package=package, hidden=False)
        .first()
    )
    if review is None:
        raise NotFound(f"'{name}' has no review {review_id}.")
    if not package.publisher.memberships.filter(user=actor).exists():
        raise Forbidden(f"Only members of {package.publisher.display_name} reply to its reviews.")
    if review.reply:
        raise Conflict("This review has its publisher's reply already.", field="reply")
    review.package = package
    review.reply, review.replied_by, review.replied_at = text, actor, timezone.now()
    review.save(update_fields=["reply", "replied_by", "replied_at", "updated_at"])
    _remember(review, RevisionKind.REPLIED, actor=actor)
    invalidate_package(package.name)
    _audit(actor, AuditAction.REVIEW_REPLY, review, ip=ip)
    return review
