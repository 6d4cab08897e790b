"""Write routes: publish, deprecate, yank, rollback, publishers and tokens."""

from __future__ import annotations

from django.conf import settings
from drf_spectacular.utils import extend_schema, extend_schema_view, inline_serializer
from rest_framework import status
from rest_framework.authentication import SessionAuthentication
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.views import APIView

from naap.api import JSONParser, success
from naap.errors import Forbidden, NotFound
from naap.http import client_ip, refuse_large_body
from naap.permissions import SessionOnly
from naap.schema import errors
from naap.throttles import ScopedThrottle
from publishing import services
from publishing.api import serializers as shapes
from publishing.authentication import BearerTokenAuthentication, SessionAuthenticationCsrfLater
from publishing.models import ApiToken
from publishing.services.authorization import hide_unseen_preview
from publishing.tokens import require_scope
from registry import selectors
from registry.api.serializers import DeploymentSerializer, PackageSerializer, VersionSerializer
from registry.models import Publisher


def publisher_named(name: str) -> Publisher:
    """The publisher a request names, or NotFound on its `publisher` field."""
    publisher = Publisher.objects.filter(name=name).first()
    if publisher is None:
        raise NotFound(f"No publisher named '{name}'.", field="publisher")
    return publisher


class WriteView(APIView):
    permission_classes = [IsAuthenticated]

    def parsed(self, request, serializer_class) -> dict:
        """The request body, validated by the serializer (a 400 envelope when it is not)."""
        form = serializer_class(data=request.data)
        form.is_valid(raise_exception=True)
        return form.validated_data

    def acting(self, request) -> dict:
        """Who acts, as the services take it: the person, the API token used (if any) and
        the client's address."""
        token = request.auth if isinstance(request.auth, ApiToken) else None
        return {"actor": request.user, "token": token, "ip": client_ip(request)}


class MayPublish(BasePermission):
    """A token with the publish scope, or a staff session: who may publish at all, known
    before the upload is read (which publisher and package are checked once it is)."""

    def has_permission(self, request, view) -> bool:
        token = request.auth if isinstance(request.auth, ApiToken) else None
        if token is not None:
            require_scope(token, "publish")
        elif not request.user.is_staff:
            raise Forbidden("Publish with an API token (Authorization: Bearer naap_…).")
        return True


PUBLISH_RESULT = inline_serializer(
    "PublishResult",
    {
        "package": PackageSerializer(),
        "version": VersionSerializer(),
        "deployment": DeploymentSerializer(allow_null=True),
        "warnings": shapes.serializers.ListField(child=shapes.serializers.CharField()),
    },
)


class PublishView(WriteView):
    parser_classes = [MultiPartParser, FormParser]
    authentication_classes = [BearerTokenAuthentication, SessionAuthenticationCsrfLater]
    permission_classes = [IsAuthenticated, MayPublish]
    throttle_classes = [*APIView.throttle_classes, ScopedThrottle]
    throttle_scope = "publish"
    # Publishes take larger bodies than other routes (naap.middleware): checked here, after
    # the sender is known, so a stranger's upload is a 401 and is never read.
    checks_body_size = True

    def initial(self, request, *args, **kwargs) -> None:
        """Who sends, whether they may publish and how often (DRF), then the body's declared
        size and, for a session, the CSRF check: all before any byte of the body is read."""
        super().initial(request, *args, **kwargs)
        refuse_large_body(request, limit=settings.PUBLISH_MAX_REQUEST_BYTES)
        if isinstance(request.successful_authenticator, SessionAuthenticationCsrfLater):
            SessionAuthentication().enforce_csrf(request)

    @extend_schema(
        summary="Publish a plugin version (201; 200 when the same files were published before)",
        request=shapes.PublishRequestSerializer,
        responses={
            201: PUBLISH_RESULT,
            200: PUBLISH_RESULT,
            # 503: the asset storage did not answer (nothing was published).
            **errors(404, 409, 503),
        },
    )
    def post(self, request):
        data = self.parsed(request, shapes.PublishRequestSerializer)
        acting = self.acting(request)
        publisher = publisher_named(data["publisher"]) if data.get("publisher") else None
        result = services.publish_version(
            **acting,
            publisher=publisher,
            manifest=data["manifest"],
            bundle=data["bundle"].read(),
            styles=data["styles"].read() if data.get("styles") else None,
            sourcemap=data["sourcemap"].read() if data.get("sourcemap") else None,
            release_notes=data["releaseNotes"],
            deploy=data["deploy"],
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


class VersionChangeView(WriteView):
    """A change of one version that takes one text: the service, and the field it comes in."""

    form_class: type
    text_field: str

    @staticmethod
    def change(**kwargs):
        raise NotImplementedError

    def post(self, request, name: str, version: str):
        text = self.parsed(request, self.form_class)[self.text_field]
        acting = self.acting(request)
        # The package first: a hidden preview answers as a missing name, naming no version.
        package = selectors.package_by_name(name=name)
        hide_unseen_preview(actor=acting["actor"], token=acting["token"], package=package)
        found = selectors.version_by_name(name=name, version=version)
        updated = self.change(**acting, version=found, **{self.text_field: text})
        return success(VersionSerializer(updated).data)


@extend_schema_view(
    post=extend_schema(
        summary="Deprecate a version",
        request=shapes.MessageRequestSerializer,
        responses={200: VersionSerializer},
    )
)
class DeprecateView(VersionChangeView):
    """Mark a version deprecated with a message people will see; it keeps working."""

    form_class = shapes.MessageRequestSerializer
    text_field = "message"
    change = staticmethod(services.deprecate_version)


@extend_schema_view(
    post=extend_schema(
        summary="Yank a version",
        request=shapes.ReasonRequestSerializer,
        responses={200: VersionSerializer, **errors(409)},
    )
)
class YankView(VersionChangeView):
    """Yank a version: never resolved as latest again; a deployment on it falls back."""

    form_class = shapes.ReasonRequestSerializer
    text_field = "reason"
    change = staticmethod(services.yank_version)


class RollbackView(WriteView):
    @extend_schema(
        summary="Serve another published version: roll back, or forward again after a rollback",
        request=shapes.RollbackRequestSerializer,
        responses={200: DeploymentSerializer, **errors(409)},
    )
    def post(self, request, name: str):
        data = self.parsed(request, shapes.RollbackRequestSerializer)
        deployment = services.rollback_deployment(
            **self.acting(request),
            package=selectors.package_by_name(name=name),
            to_version=data["version"],
            reason=data["reason"],
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
        responses={201: shapes.PublisherSerializer, **errors(409)},
    )
    def post(self, request):
        data = self.parsed(request, shapes.PublisherRequestSerializer)
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
        responses={201: shapes.CreatedTokenSerializer, **errors(404)},
    )
    def post(self, request):
        data = self.parsed(request, shapes.TokenRequestSerializer)
        publisher = publisher_named(data["publisher"])
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
    @extend_schema(summary="Revoke a token", responses={200: shapes.TokenSerializer})
    def delete(self, request, token_id: int):
        token = services.revoke_api_token(
            actor=request.user, token_id=token_id, ip=client_ip(request)
        )
        return success(shapes.TokenSerializer(token).data)
