"""Views that raise each kind of error, for the envelope tests."""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from django.urls import include, path
from rest_framework import exceptions, serializers
from rest_framework.decorators import api_view, throttle_classes
from rest_framework.permissions import IsAuthenticated
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from naap import errors
from naap.api import success


class OncePerMinute(AnonRateThrottle):
    rate = "1/min"


class Payload(serializers.Serializer):
    count = serializers.IntegerField(min_value=1)
    items = serializers.ListField(child=serializers.CharField())


@api_view(["POST"])
def validation(request):
    Payload(data=request.data).is_valid(raise_exception=True)
    return success({})


@api_view(["GET"])
def domain_conflict(request):
    raise errors.Conflict("Version 1.0.0 already exists with other files.", field="version")


@api_view(["GET"])
def too_large(request):
    raise errors.PayloadTooLarge("The bundle is 6 MiB; the limit is 5 MiB.", field="bundle")


@api_view(["GET"])
def django_404(request):
    raise Http404("nothing here")


@api_view(["GET"])
def django_403(request):
    raise DjangoPermissionDenied


@api_view(["GET"])
def unexpected(request):
    raise RuntimeError("boom")


@api_view(["GET"])
@throttle_classes([OncePerMinute])
def throttled(request):
    return success({"ok": True})


class Private(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return success({"user": request.user.username}, meta={"note": "hi"})


class Forbidden(APIView):
    def get(self, request):
        raise exceptions.PermissionDenied("Only owners may do that.")


urlpatterns = [
    path("api/v1/t/validation", validation),
    path("api/v1/t/conflict", domain_conflict),
    path("api/v1/t/too-large", too_large),
    path("api/v1/t/django-404", django_404),
    path("api/v1/t/django-403", django_403),
    path("api/v1/t/unexpected", unexpected),
    path("api/v1/t/throttled", throttled),
    path("api/v1/t/private", Private.as_view()),
    path("api/v1/t/forbidden", Forbidden.as_view()),
    path("", include("naap.urls")),
]

handler404 = "naap.views.not_found"
handler500 = "naap.views.server_error"
