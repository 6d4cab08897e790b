"""Write routes: publish, deprecate, yank, rollback, publishers and tokens."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import status
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from naap.api import success
from naap.errors import Forbidden, NotFound
from naap.http import client_ip
from naap.permissions import SessionOnly
from publishing import services
from publishing.api import serializers as shapes
from publishing.models import ApiToken
from registry import selectors
from registry.api.serializers import DeploymentSerializer, PackageSerializer, VersionSerializer
from registry.models import Publisher


class WriteView(APIView):
    permission_classes = [IsAuthenticated]


class PublishView(WriteView):
    parser_classes = [MultiPartParser, FormParser]
    throttle_classes = [*APIView.throttle_classes, ScopedRateThrottle]
    throttle_scope = "publish"

    @extend_schema(
        summary="Publish a plugin version",
        request=shapes.PublishRequestSerializer,
        responses={
            201: inline_serializer(
                "PublishResult",
                {
                    "package": PackageSerializer(),
                    "version": VersionSerializer(),
                    "deployment": DeploymentSerializer(allow_null=True),
                    "warnings": shapes.serializers.ListField(child=shapes.serializers.CharField()),
                },
            )
        },
    )
    def post(self, request):
        form = shapes.PublishRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        token = request.auth if isinstance(request.auth, ApiToken) else None
        if token is None and not request.user.is_staff:
            raise Forbidden("Publish with an API token (Authorization: Bearer naap_…).")
        publisher = None
        if data.get("publisher"):
            publisher = Publisher.objects.filter(name=data["publisher"]).first()
            if publisher is None:
                raise NotFound(f"No publisher named '{data['publisher']}'.", field="publisher")
        result = services.publish_version(
            actor=request.user,
            token=token,
            publisher=publisher,
            manifest=data["manifest"],
            bundle=data["bundle"].read(),
            styles=data["styles"].read() if data.get("styles") else None,
            sourcemap=data["sourcemap"].read() if data.get("sourcemap") else None,
            release_notes=data["releaseNotes"],
            deploy=data["deploy"],
            ip=client_ip(request),
        )
        body = {
            "package": PackageSerializer(result.package).data,
            "version": VersionSerializer(result.version).data,
            "deployment": DeploymentSerializer(result.deployment).data
            if result.deployment
            else None,
            "warnings": result.warnings,
        }
        return success(body, status_code=status.HTTP_201_CREATED if result.created else 200)


class DeprecateView(WriteView):
    @extend_schema(
        summary="Deprecate a version",
        request=shapes.MessageRequestSerializer,
        responses=VersionSerializer,
    )
    def post(self, request, name: str, version: str):
        form = shapes.MessageRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        found = selectors.version_by_name(name=name, version=version)
        updated = services.deprecate_version(
            actor=request.user,
            token=request.auth if isinstance(request.auth, ApiToken) else None,
            version=found,
            message=form.validated_data["message"],
            ip=client_ip(request),
        )
        return success(VersionSerializer(updated).data)


class YankView(WriteView):
    @extend_schema(
        summary="Yank a version",
        request=shapes.ReasonRequestSerializer,
        responses=VersionSerializer,
    )
    def post(self, request, name: str, version: str):
        form = shapes.ReasonRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        found = selectors.version_by_name(name=name, version=version)
        updated = services.yank_version(
            actor=request.user,
            token=request.auth if isinstance(request.auth, ApiToken) else None,
            version=found,
            reason=form.validated_data["reason"],
            ip=client_ip(request),
        )
        return success(VersionSerializer(updated).data)


class RollbackView(WriteView):
    @extend_schema(
        summary="Roll the deployment back to an earlier version",
        request=shapes.RollbackRequestSerializer,
        responses=DeploymentSerializer,
    )
    def post(self, request, name: str):
        form = shapes.RollbackRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        package = selectors.package_by_name(name=name)
        deployment = services.rollback_deployment(
            actor=request.user,
            token=request.auth if isinstance(request.auth, ApiToken) else None,
            package=package,
            to_version=form.validated_data["version"],
            reason=form.validated_data["reason"],
            ip=client_ip(request),
        )
        return success(DeploymentSerializer(deployment).data)


class SessionWriteView(WriteView):
    """Publishers and tokens are managed by people, not by tokens."""

    permission_classes = [IsAuthenticated, SessionOnly]
    token_refusal_message = "Sign in to manage publishers and tokens; API tokens cannot."


class PublisherCreateView(SessionWriteView):
    parser_classes = [JSONParser, FormParser]

    @extend_schema(
        summary="Create a publisher (you become its owner)",
        request=shapes.PublisherRequestSerializer,
        responses={201: shapes.PublisherSerializer},
    )
    def post(self, request):
        form = shapes.PublisherRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        publisher = services.create_publisher(
            actor=request.user,
            name=data["name"],
            display_name=data["displayName"],
            email=data.get("email", ""),
            website=data.get("website", ""),
            ip=client_ip(request),
        )
        return success(shapes.PublisherSerializer(publisher).data, status_code=201)


class TokenListView(SessionWriteView):
    parser_classes = [JSONParser, FormParser]

    @extend_schema(summary="Your publishers' tokens", responses=shapes.TokenSerializer(many=True))
    def get(self, request):
        rows = (
            ApiToken.objects.filter(publisher__memberships__user=request.user)
            .select_related("publisher")
            .prefetch_related("packages")
            .order_by("-created_at")
        )
        return success(shapes.TokenSerializer(rows, many=True).data)

    @extend_schema(
        summary="Create a token (the secret is returned once, as `token`)",
        request=shapes.TokenRequestSerializer,
        responses={201: shapes.CreatedTokenSerializer},
    )
    def post(self, request):
        form = shapes.TokenRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        publisher = Publisher.objects.filter(name=data["publisher"]).first()
        if publisher is None:
            raise NotFound(f"No publisher named '{data['publisher']}'.", field="publisher")
        token, secret = services.create_api_token(
            actor=request.user,
            publisher=publisher,
            name=data["name"],
            scopes=data["scopes"],
            package_names=data["packages"],
            expires_at=data["expiresAt"],
            ip=client_ip(request),
        )
        token.token = secret
        return success(shapes.CreatedTokenSerializer(token).data, status_code=201)


class TokenRevokeView(SessionWriteView):
    @extend_schema(summary="Revoke a token", responses=shapes.TokenSerializer)
    def delete(self, request, token_id: int):
        token = services.revoke_api_token(
            actor=request.user, token_id=token_id, ip=client_ip(request)
        )
        return success(shapes.TokenSerializer(token).data)
