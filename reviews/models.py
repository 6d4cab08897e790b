"""Ratings and reviews of packages by the people who use them, and their history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from naap.models import TimestampedModel
from registry.models import PluginPackage

MIN_RATING, MAX_RATING = 1, 5
# Plain text; long enough for a paragraph or two, short enough to read on a card.
MAX_COMMENT_LENGTH = 2000
MAX_REPLY_LENGTH = 2000
MAX_REASON_LENGTH = 500


class PluginReview(TimestampedModel):
    """One person's rating (1 to 5) of one package, an optional comment, and the publisher's
    reply. Staff may hide it: it then counts for nothing and is shown to nobody but its
    author (marked hidden) and staff."""

    package = models.ForeignKey(PluginPackage, on_delete=models.CASCADE, related_name="reviews")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plugin_reviews"
    )
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(max_length=MAX_COMMENT_LENGTH, blank=True)
    hidden = models.BooleanField(default=False)
    hidden_reason = models.TextField(max_length=MAX_REASON_LENGTH, blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    hidden_at = models.DateTimeField(null=True, blank=True)
    reply = models.TextField(max_length=MAX_REPLY_LENGTH, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    replied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        permissions = [("hide_pluginreview", "Can hide or show again any package's reviews")]
        indexes = [
            # The plugin page's list: a package's visible reviews, newest first.
            models.Index(fields=["package", "hidden", "-created_at"], name="review_listing_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["package", "user"], name="review_one_per_person"),
            models.CheckConstraint(
                condition=Q(rating__gte=MIN_RATING) & Q(rating__lte=MAX_RATING),
                name="review_rating_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(hidden=False) | ~Q(hidden_reason=""),
                name="review_hidden_with_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ for {self.package_id} by {self.user_id}"


class RevisionKind(models.TextChoices):
    CREATED = "created", "Created"
    EDITED = "edited", "Edited"
    DELETED = "deleted", "Deleted"
    HIDDEN = "hidden", "Hidden"
    UNHIDDEN = "unhidden", "Shown again"
    REPLIED = "replied", "Replied"


class PluginReviewRevision(models.Model):
    """What a review said after each change, and who changed it: its history for staff.

    Kept when the review is deleted (its author's deletion is itself a revision)."""

    Kind = RevisionKind

    review = models.ForeignKey(
        PluginReview, on_delete=models.SET_NULL, null=True, blank=True, related_name="revisions"
    )
    package = models.ForeignKey(PluginPackage, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    rating = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)
    reply = models.TextField(blank=True)
    reason = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=RevisionKind.values), name="review_revision_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} at {self.created_at:%Y-%m-%d %H:%M}"
