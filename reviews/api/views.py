"""The reviews API: `plugins/{name}/reviews` in our shapes, and upstream NaaP's path
`registry/packages/{name}/reviews` on the same services."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers as drf_serializers
from rest_framework import status
from rest_framework.permissions import SAFE_METHODS, AllowAny, IsAuthenticated
from rest_framework.views import APIView

from naap.api import JSONParser, success
from naap.http import client_ip
from naap.permissions import SessionOnly
from naap.schema import PagedSchema, errors
from naap.throttles import ScopedThrottle
from registry.selectors import visible_package
from registry.visibility import reader
from reviews import selectors, services
from reviews.api import serializers as shapes
from reviews.models import PluginReview


def parse(serializer_class, data) -> dict:
    """Validated data of a request shape (a 400 naming each bad field otherwise)."""
    form = serializer_class(data=data)
    form.is_valid(raise_exception=True)
    return form.validated_data


class ReviewWriteMixin:
    """Anyone reads; signed-in people (not API tokens) write, within the review rate."""

    parser_classes = [JSONParser]
    throttle_scope = "review"
    token_refusal_message = "Sign in to rate plugins; API tokens are for publishing."

    def get_permissions(self):
        if self.request is not None and self.request.method in SAFE_METHODS:
            return [AllowAny()]
        return [IsAuthenticated(), SessionOnly()]

    def get_throttles(self):
        throttles = super().get_throttles()
        if self.request is not None and self.request.method not in SAFE_METHODS:
            throttles.append(ScopedThrottle())
        return throttles


def _page_of(request, name: str, *, size_field: str, query_class):
    package = visible_package(name=name, user=reader(request))
    query = parse(query_class, request.query_params)
    page = selectors.review_page(package, page=query["page"], size=query[size_field])
    mine = selectors.own_review(user=request.user, package=package)
    return package, page, mine


def _review_data(review: PluginReview | None) -> dict | None:
    return shapes.ReviewSerializer(review).data if review is not None else None


REVIEWS_PAGE = inline_serializer(
    "ReviewsPage",
    {
        "reviews": shapes.ReviewSerializer(many=True),
        "mine": shapes.ReviewSerializer(allow_null=True, help_text="yours, hidden or not"),
        "total": drf_serializers.IntegerField(),
        "page": drf_serializers.IntegerField(),
        "limit": drf_serializers.IntegerField(),
        "rating": shapes.RatingSerializer(),
    },
)
REVIEW_RESULT = inline_serializer(
    "ReviewResult",
    {"review": shapes.ReviewSerializer(), "rating": shapes.RatingSerializer()},
)
DELETED_REVIEW = inline_serializer(
    "DeletedReview",
    {
        "deleted": drf_serializers.BooleanField(),
        "id": drf_serializers.IntegerField(),
        "rating": shapes.RatingSerializer(),
    },
)


def _result(review: PluginReview, *, created: bool = False):
    return success(
        {
            "review": shapes.ReviewSerializer(review).data,
            "rating": shapes.RatingSerializer.of(review.package),
        },
        status_code=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
    )


def _deleted(review: PluginReview):
    return success(
        {
            "deleted": True,
            "id": review.pk,
            "rating": shapes.RatingSerializer.of(review.package),
        }
    )


class ReviewsView(ReviewWriteMixin, APIView):
    @extend_schema(
        operation_id="plugin_reviews_list",
        summary="A plugin's reviews, newest first, its rating and (signed in) your own",
        parameters=[shapes.ReviewQuerySerializer],
        responses=REVIEWS_PAGE,
    )
    def get(self, request, name: str):
        package, page, mine = _page_of(
            request, name, size_field="limit", query_class=shapes.ReviewQuerySerializer
        )
        return success(
            {
                "reviews": shapes.ReviewSerializer(page.reviews, many=True).data,
                "mine": _review_data(mine),
                "total": page.total,
                "page": page.page,
                "limit": page.size,
                "rating": shapes.RatingSerializer.of(package),
            }
        )

    @extend_schema(
        operation_id="plugin_reviews_create",
        summary="Rate a plugin you have installed (once; edit it with PUT)",
        request=shapes.ReviewRequestSerializer,
        responses={201: REVIEW_RESULT, **errors(409)},
    )
    def post(self, request, name: str):
        data = parse(shapes.ReviewRequestSerializer, request.data)
        review = services.create_review(
            actor=request.user, name=name, ip=client_ip(request), **data
        )
        return _result(review, created=True)

    @extend_schema(
        operation_id="plugin_reviews_edit",
        summary="Change your rating and comment",
        request=shapes.ReviewRequestSerializer,
        responses={200: REVIEW_RESULT},
    )
    def put(self, request, name: str):
        data = parse(shapes.ReviewRequestSerializer, request.data)
        review = services.edit_review(actor=request.user, name=name, ip=client_ip(request), **data)
        return _result(review)

    @extend_schema(
        operation_id="plugin_reviews_delete",
        summary="Delete your review",
        responses={200: DELETED_REVIEW},
    )
    def delete(self, request, name: str):
        deleted = services.delete_review(actor=request.user, name=name, ip=client_ip(request))
        return _deleted(deleted)


class ReviewReplyView(ReviewWriteMixin, APIView):
    @extend_schema(
        operation_id="plugin_reviews_reply",
        summary="Reply to a review of your publisher's plugin (once per review)",
        request=shapes.ReplyRequestSerializer,
        responses={201: REVIEW_RESULT, **errors(409)},
    )
    def post(self, request, name: str, review_id: int):
        data = parse(shapes.ReplyRequestSerializer, request.data)
        review = services.reply_to_review(
            actor=request.user,
            name=name,
            review_id=review_id,
            text=data["text"],
            ip=client_ip(request),
        )
        return _result(review, created=True)


class UpstreamReviewsView(ReviewWriteMixin, APIView):
    """Upstream NaaP's path: its paging in `meta`, and one POST that rates or re-rates."""

    schema = PagedSchema()

    @extend_schema(
        operation_id="registry_package_reviews_list",
        summary="A package's reviews, newest first (upstream NaaP's path; paging in `meta`)",
        parameters=[shapes.UpstreamReviewQuerySerializer],
        responses=inline_serializer(
            "RegistryPackageReviews",
            {
                "reviews": shapes.ReviewSerializer(many=True),
                "rating": drf_serializers.FloatField(allow_null=True),
                "ratingCount": drf_serializers.IntegerField(),
                "distribution": drf_serializers.DictField(child=drf_serializers.IntegerField()),
            },
        ),
    )
    def get(self, request, name: str):
        package, page, _ = _page_of(
            request, name, size_field="pageSize", query_class=shapes.UpstreamReviewQuerySerializer
        )
        return success(
            {
                "reviews": shapes.ReviewSerializer(page.reviews, many=True).data,
                **shapes.RatingSerializer.of(package),
            },
            meta={
                "page": page.page,
                "pageSize": page.size,
                "total": page.total,
                "totalPages": page.pages,
            },
        )

    @extend_schema(
        operation_id="registry_package_reviews_rate",
        summary="Rate a package you have installed, or change your rating (one per person)",
        request=shapes.ReviewRequestSerializer,
        responses={201: REVIEW_RESULT, 200: REVIEW_RESULT},
    )
    def post(self, request, name: str):
        data = parse(shapes.ReviewRequestSerializer, request.data)
        package = visible_package(name=name, user=request.user)
        exists = selectors.own_review(user=request.user, package=package) is not None
        write = services.edit_review if exists else services.create_review
        review = write(actor=request.user, name=name, ip=client_ip(request), **data)
        return _result(review, created=not exists)

    @extend_schema(
        operation_id="registry_package_reviews_delete",
        summary="Delete your review of a package",
        responses={200: DELETED_REVIEW},
    )
    def delete(self, request, name: str):
        deleted = services.delete_review(actor=request.user, name=name, ip=client_ip(request))
        return _deleted(deleted)
