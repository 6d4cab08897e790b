"""Read routes of the catalog: package detail, production manifests, deployments."""

from __future__ import annotations

import hashlib
import json

from django.utils.http import quote_etag
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework.response import Response
from rest_framework.views import APIView

from naap.api import success
from registry import selectors
from registry.api.serializers import (
    DeploymentEventSerializer,
    DeploymentSerializer,
    PackageSerializer,
    VersionSerializer,
)

MANIFEST_MAX_AGE = 300


class PackageDetailView(APIView):
    @extend_schema(
        summary="A plugin and its versions, newest first",
        responses=inline_serializer(
            "PackageDetail",
            {
                "plugin": PackageSerializer(),
                "versions": VersionSerializer(many=True),
                "deployment": DeploymentSerializer(allow_null=True),
            },
        ),
    )
    def get(self, request, name: str):
        package = selectors.visible_package(name=name, user=request.user)
        is_member = request.user.is_authenticated and (
            request.user.is_staff
            or package.publisher.memberships.filter(user=request.user).exists()
        )
        versions = selectors.versions_newest_first(package, include_unpublished=is_member)
        deployment = getattr(package, "deployment", None)
        return success(
            {
                "plugin": PackageSerializer(package).data,
                "versions": VersionSerializer(versions, many=True).data,
                "deployment": DeploymentSerializer(deployment).data if deployment else None,
            }
        )


class ManifestView(APIView):
    """The production manifest (bare document, cacheable, conditional)."""

    @extend_schema(
        summary="Production manifest of a version (`latest` = the deployed version)",
        responses={200: OpenApiTypes.OBJECT, 304: OpenApiResponse(description="Not modified")},
    )
    def get(self, request, name: str, version: str):
        found = selectors.resolve_version(name=name, version=version)
        document = selectors.production_manifest(found)
        body = json.dumps(document, separators=(",", ":"), sort_keys=True)
        etag = quote_etag(hashlib.sha256(body.encode()).hexdigest()[:32])
        headers = {"Cache-Control": f"public, max-age={MANIFEST_MAX_AGE}", "ETag": etag}
        if etag in [tag.strip() for tag in request.headers.get("If-None-Match", "").split(",")]:
            return Response(status=304, headers=headers)
        return Response(document, headers=headers)


class DeploymentView(APIView):
    @extend_schema(
        summary="A plugin's deployment and recent events",
        responses=inline_serializer(
            "DeploymentDetail",
            {"deployment": DeploymentSerializer(), "events": DeploymentEventSerializer(many=True)},
        ),
    )
    def get(self, request, name: str):
        selectors.visible_package(name=name, user=request.user)
        deployment, events = selectors.deployment_with_events(name=name)
        return success(
            {
                "deployment": DeploymentSerializer(deployment).data,
                "events": DeploymentEventSerializer(events, many=True).data,
            }
        )
