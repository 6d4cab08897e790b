"""Upstream NaaP's deploy protocol: deploy, the deployment's event stream, its status and
rollback. The answers are bare documents in upstream's shapes, as its CLI reads them; errors
keep the failure envelope and repeat its message as a top-level `message`, which is where that
CLI looks (docs/decisions.md, "Upstream's deploy protocol")."""

from __future__ import annotations

import datetime as dt
import re

from django.urls import reverse
from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.response import Response

from naap.api import JSONParser
from naap.errors import NotFound, ValidationFailed
from naap.schema import DocumentSchema, errors
from publishing.api import deploy_shapes as shapes
from publishing.api.views import WriteView
from publishing.services.authorization import authorize_package_read
from publishing.services.deploys import deploy_plugin, rollback_plugin, rollout_id
from registry import selectors


class ProtocolView(WriteView):
    """Bare answers; errors in the envelope with the message also at the top. A plugin that
    does not exist (or that the caller may not see: the same answer) or a version it lacks is
    "… not found.": upstream's CLI looks for those words to tell its user what to do next
    (publish first, deploy first)."""

    schema = DocumentSchema()
    parser_classes = [JSONParser]

    def handle_exception(self, exc):
        if isinstance(exc, NotFound):
            exc = _in_upstreams_words(exc, self.kwargs.get("name"))
        response = super().handle_exception(exc)
        error = response.data.get("error") if isinstance(response.data, dict) else None
        if isinstance(error, dict) and "message" in error:
            response.data["message"] = error["message"]
        return response

    def package(self, request, name: str):
        return selectors.package_by_name(name=name)


def _in_upstreams_words(exc: NotFound, name: str | None) -> NotFound:
    if exc.message == f"No plugin named '{name}'.":
        return NotFound(f"Plugin '{name}' not found.")
    version = re.fullmatch(rf"No version (.+) of plugin '{re.escape(str(name))}'\.", exc.message)
    if version:
        return NotFound(f"Version {version[1]} of plugin '{name}' not found.", field="version")
    return exc


class DeployView(ProtocolView):
    @extend_schema(
        summary="Deploy a published version: at once (immediate, blue-green) or as a canary",
        request=shapes.DeployRequestSerializer,
        responses={201: shapes.DeployAnswerSerializer, **errors(409)},
    )
    def post(self, request, name: str):
        data = self.parsed(request, shapes.DeployRequestSerializer)
        strategy = data["strategy"]
        result = deploy_plugin(
            **self.acting(request),
            package=self.package(request, name),
            version=data["version"],
            strategy=strategy["type"],
            canary=strategy.get("canary"),
            rollback=strategy.get("rollback"),
            reason=data["reason"],
        )
        path = reverse(
            "deployment-events", kwargs={"name": name, "deployment_id": result.deployment_id}
        )
        body = {
            "deploymentId": result.deployment_id,
            "streamUrl": request.build_absolute_uri(path),
            "strategy": result.strategy,
            "version": result.version,
            "status": "running" if result.rollout is not None else "complete",
        }
        return Response(body, status=201)


def _after(request) -> dt.datetime | None:
    text = request.query_params.get("after")
    if not text:
        return None
    try:
        moment = parse_datetime(text.strip().replace(" ", "+")) if len(text) <= 40 else None
    except ValueError:  # well-formed but impossible (month 13)
        moment = None
    if moment is None:
        raise ValidationFailed(
            "after must be an ISO 8601 time such as 2026-11-30T10:00:00.000000Z "
            "(an event's timestamp).",
            field="after",
        )
    if moment.tzinfo is None:
        return moment.replace(tzinfo=dt.UTC)
    try:
        return moment.astimezone(dt.UTC)  # as the database compares it
    except OverflowError:  # an offset that takes it past year 1 or 9999
        raise ValidationFailed(
            "after must be a time between the years 1 and 9999 in UTC.", field="after"
        ) from None


class DeploymentEventsView(ProtocolView):
    @extend_schema(
        summary="A deployment's events, oldest first (after= a timestamp: only later ones)",
        parameters=[
            OpenApiParameter(
                "after",
                OpenApiTypes.DATETIME,
                description="only events after this time (the last event's timestamp)",
            )
        ],
        responses={200: shapes.DeploymentStreamEventSerializer(many=True), **errors(403)},
    )
    def get(self, request, name: str, deployment_id: str):
        package = self.package(request, name)
        authorize_package_read(
            actor=request.user, token=self.acting(request)["token"], package=package
        )
        after = _after(request)
        events = shapes.deployment_events(deployment_id, package, after=after)
        if events is None:
            raise NotFound(
                f"No deployment {deployment_id} of plugin '{name}'.", field="deploymentId"
            )
        return Response(events)


class DeploymentStatusView(ProtocolView):
    @extend_schema(
        summary="The deployment's status: versions, traffic split, rollout and field health",
        responses={200: shapes.DeploymentStatusSerializer, **errors(403)},
    )
    def get(self, request, name: str):
        package = self.package(request, name)
        authorize_package_read(
            actor=request.user, token=self.acting(request)["token"], package=package
        )
        return Response(shapes.deployment_status(package))


class DeploymentRollbackView(ProtocolView):
    @extend_schema(
        summary="Roll back: abort the open rollout, or serve the given or previous version",
        request=shapes.DeploymentRollbackRequestSerializer,
        responses={200: shapes.RollbackAnswerSerializer, **errors(409)},
    )
    def post(self, request, name: str):
        data = self.parsed(request, shapes.DeploymentRollbackRequestSerializer)
        result = rollback_plugin(
            **self.acting(request),
            package=self.package(request, name),
            version=data["version"],
            reason=data["reason"],
        )
        aborted = result.aborted_rollout
        return Response(
            {
                "success": True,
                "rolledBackTo": "stable",
                "version": result.version,
                "previousVersion": result.previous_version,
                "abortedRolloutId": rollout_id(aborted) if aborted else None,
                "deploymentId": result.deployment_id,
            }
        )
