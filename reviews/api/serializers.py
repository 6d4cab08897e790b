"""Shapes of reviews in the API (camelCase; upstream's names: rating, comment, userId,
createdAt)."""

from __future__ import annotations

from rest_framework import serializers

from reviews.models import (
    MAX_COMMENT_LENGTH,
    MAX_RATING,
    MAX_REPLY_LENGTH,
    MIN_RATING,
    PluginReview,
)


class ReviewSerializer(serializers.ModelSerializer):
    packageName = serializers.CharField(source="package.name")
    userId = serializers.IntegerField(source="user_id")
    userName = serializers.CharField(source="user.username")
    reply = serializers.CharField(allow_null=True, help_text="the publisher's reply, if any")
    repliedAt = serializers.DateTimeField(source="replied_at", allow_null=True)
    hidden = serializers.BooleanField(
        help_text="true only on your own review, which staff hid: it counts for nothing"
    )
    hiddenReason = serializers.CharField(source="hidden_reason", allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")
    updatedAt = serializers.DateTimeField(source="updated_at")

    class Meta:
        model = PluginReview
        fields = [
            "id",
            "packageName",
            "userId",
            "userName",
            "rating",
            "comment",
            "reply",
            "repliedAt",
            "hidden",
            "hiddenReason",
            "createdAt",
            "updatedAt",
        ]

    def to_representation(self, review):
        data = super().to_representation(review)
        data["reply"] = review.reply or None
        data["hiddenReason"] = review.hidden_reason or None
        return data


class RatingSerializer(serializers.Serializer):
    """A package's rating: the average and count of its visible reviews, and how many gave
    1 to 5 stars."""

    rating = serializers.FloatField(allow_null=True, help_text="the average, null if unrated")
    ratingCount = serializers.IntegerField()
    distribution = serializers.DictField(
        child=serializers.IntegerField(), help_text='stars ("1" to "5") → how many'
    )

    @staticmethod
    def of(package) -> dict:
        counts = (list(package.rating_distribution or []) + [0] * MAX_RATING)[:MAX_RATING]
        average = package.rating_average
        return {
            "rating": None if average is None else round(average, 2),
            "ratingCount": package.rating_count,
            "distribution": {str(stars): counts[stars - 1] for stars in range(1, MAX_RATING + 1)},
        }


class ReviewRequestSerializer(serializers.Serializer):
    rating = serializers.IntegerField(min_value=MIN_RATING, max_value=MAX_RATING)
    comment = serializers.CharField(
        required=False, allow_blank=True, max_length=MAX_COMMENT_LENGTH, default=""
    )


class ReplyRequestSerializer(serializers.Serializer):
    text = serializers.CharField(max_length=MAX_REPLY_LENGTH)


class ReviewQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=100_000, default=1)
    limit = serializers.IntegerField(min_value=1, max_value=50, default=10)


class UpstreamReviewQuerySerializer(serializers.Serializer):
    page = serializers.IntegerField(min_value=1, max_value=100_000, default=1)
    pageSize = serializers.IntegerField(min_value=1, max_value=50, default=10)
