"""Upstream NaaP's deploy protocol in its own names: the request bodies, the events of a
deployment's stream and the deployment status, read from our deployments, rollouts and field
reports (docs/naap-endpoints.md)."""

from __future__ import annotations

import datetime as dt
import re

from django.utils import timezone
from rest_framework import serializers

from publishing.api.deploy_alerts import abort_alerts, rollout_alerts
from publishing.services.deploys import (
    STRATEGIES,
    event_id,
    previous_version,
    rollout_id,
)
from registry.field_health import version_health
from registry.models import DeploymentEvent, PluginDeployment, PluginPackage, Rollout
from registry.rollouts import (
    MAX_INTERVAL_SECONDS,
    MAX_LATENCY_MS,
    MAX_MIN_SAMPLE,
    MAX_REASON_LENGTH,
)

EVENT_LIMIT = 200  # events per answer of the stream; `after` pages on
STATUS_WINDOW = dt.timedelta(hours=24)  # the metrics' window outside a rollout
Kind = DeploymentEvent.Kind


# ---------------------------------------------------------------------------------------------
# Requests


class CanaryStepsSerializer(serializers.Serializer):
    initialPercent = serializers.IntegerField(min_value=1, max_value=99, required=False)
    incrementPercent = serializers.IntegerField(min_value=1, max_value=100, required=False)
    intervalSeconds = serializers.IntegerField(
        min_value=0, max_value=MAX_INTERVAL_SECONDS, required=False
    )
    successThreshold = serializers.FloatField(min_value=0, max_value=1, required=False)
    minSample = serializers.IntegerField(min_value=1, max_value=MAX_MIN_SAMPLE, required=False)


class HealthCheckSerializer(serializers.Serializer):
    """Upstream's server-side health check: accepted and not used (health here is the field
    reports of real loads)."""

    endpoint = serializers.CharField(max_length=200, required=False, allow_blank=True)
    intervalSeconds = serializers.IntegerField(min_value=0, max_value=86400, required=False)
    timeoutSeconds = serializers.IntegerField(min_value=0, max_value=3600, required=False)
    unhealthyThreshold = serializers.IntegerField(min_value=0, max_value=1000, required=False)


class RollbackPolicySerializer(serializers.Serializer):
    onErrorRate = serializers.FloatField(min_value=0, max_value=1, required=False)
    onLatencyP99 = serializers.IntegerField(min_value=1, max_value=MAX_LATENCY_MS, required=False)
    onHealthCheckFail = serializers.BooleanField(required=False)


class StrategySerializer(serializers.Serializer):
    type = serializers.ChoiceField(choices=STRATEGIES)
    canary = CanaryStepsSerializer(required=False)
    healthCheck = HealthCheckSerializer(required=False)
    rollback = RollbackPolicySerializer(required=False)


class DeployRequestSerializer(serializers.Serializer):
    version = serializers.CharField(max_length=64)
    strategy = StrategySerializer()
    reason = serializers.CharField(
        max_length=MAX_REASON_LENGTH, required=False, allow_blank=True, default=""
    )


class DeploymentRollbackRequestSerializer(serializers.Serializer):
    """`version` (ours) or `targetVersion` (what upstream's CLI sends): the version to serve;
    neither: abort the open rollout, or go back to the previous version."""

    version = serializers.CharField(max_length=64, required=False)
    targetVersion = serializers.CharField(max_length=64, required=False)
    reason = serializers.CharField(max_length=MAX_REASON_LENGTH)

    def validate(self, attrs):
        ours, theirs = attrs.get("version"), attrs.get("targetVersion")
        if ours and theirs and ours != theirs:
            raise serializers.ValidationError(
                {"targetVersion": "Give the version once (version or targetVersion)."}
            )
        attrs["version"] = ours or theirs
        return attrs


# ---------------------------------------------------------------------------------------------
# Answers (documented for the schema; built by the functions below)


class DeployAnswerSerializer(serializers.Serializer):
    deploymentId = serializers.CharField(help_text="rollout-<id> for a canary, deploy-<id> else")
    streamUrl = serializers.URLField(help_text="GET it for the deployment's events")
    strategy = serializers.CharField(help_text="immediate, blue-green or canary, as asked")
    version = serializers.CharField()
    status = serializers.CharField(help_text="running (canary) or complete")


class DeploymentStreamEventSerializer(serializers.Serializer):
    id = serializers.CharField()
    type = serializers.CharField(
        help_text="deploy_start, traffic_shift, health_check, deploy_complete, rollback or failure"
    )
    status = serializers.CharField()
    version = serializers.CharField(allow_null=True)
    slot = serializers.CharField()
    trafficPercent = serializers.IntegerField()
    message = serializers.CharField(allow_blank=True)
    error = serializers.CharField(required=False)
    actor = serializers.CharField(allow_null=True)
    timestamp = serializers.DateTimeField()


class RollbackAnswerSerializer(serializers.Serializer):
    success = serializers.BooleanField()
    rolledBackTo = serializers.CharField(help_text="the slot now serving everyone: stable")
    version = serializers.CharField(allow_null=True)
    previousVersion = serializers.CharField(allow_null=True)
    abortedRolloutId = serializers.CharField(allow_null=True)
    deploymentId = serializers.CharField(allow_null=True)


class AlertSerializer(serializers.Serializer):
    name = serializers.CharField()
    severity = serializers.CharField(help_text="critical (a limit broken) or warning (aborted)")
    message = serializers.CharField()
    triggeredAt = serializers.DateTimeField()


class DeploymentStatusSerializer(serializers.Serializer):
    """Upstream's DeploymentStatus, and ours beside it (strategy, traffic, rollout, health)."""

    deploymentId = serializers.CharField(allow_null=True)
    pluginName = serializers.CharField()
    displayName = serializers.CharField()
    activeSlot = serializers.CharField(allow_null=True)
    activeVersion = serializers.CharField(allow_null=True)
    healthStatus = serializers.CharField()
    deployedAt = serializers.DateTimeField(allow_null=True)
    isDeploying = serializers.BooleanField()
    strategy = serializers.CharField(help_text="canary while a rollout is open, else immediate")
    candidateVersion = serializers.CharField(allow_null=True)
    traffic = serializers.DictField(child=serializers.IntegerField())
    slots = serializers.ListField(child=serializers.DictField())
    rollout = serializers.DictField(allow_null=True)
    health = serializers.DictField(help_text="since, and each version's loads and rates")
    metrics = serializers.DictField(
        help_text="upstream's: the active version's requestCount, errorCount, errorRate, "
        "latencyP50/P95/P99 (ms; 0 without loads) and activeUsers"
    )
    activeAlerts = AlertSerializer(
        many=True,
        help_text="the limits an open rollout's candidate breaks (critical while it runs, "
        "warnings while it is paused), or the health gates' abort of the latest rollout "
        "within the hour",
    )


# ---------------------------------------------------------------------------------------------
# The stream


def _stamp(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _event(row: DeploymentEvent, index: int, type_: str, **fields) -> dict:
    body = {
        "id": f"{row.pk}.{index}",
        "type": type_,
        "status": "in_progress",
        "version": row.to_version.version if row.to_version else None,
        "slot": "canary" if row.rollout_id else "stable",
        "trafficPercent": row.to_percent if row.to_percent is not None else 100,
        "message": row.reason,
        "actor": row.actor.get_username() if row.actor else None,
        "timestamp": _stamp(row.created_at),
    }
    body.update(fields)
    return body


def stream_events(row: DeploymentEvent) -> list[dict]:
    """One DeploymentEvent as upstream's events (one row may be several: a start is a
    `deploy_start` and its first `traffic_shift`). A step taken by the health gates (no actor)
    is preceded by the `health_check` that decided it."""
    by_gate = row.actor_id is None and row.rollout_id is not None
    kind = row.kind
    if not row.rollout_id:  # an immediate move: all at once
        return [
            _event(row, 0, "deploy_start", trafficPercent=0),
            _event(row, 1, "traffic_shift"),
            _event(row, 2, "deploy_complete", status="success"),
        ]
    check = []
    if by_gate and kind in (Kind.ADVANCE, Kind.PROMOTE):
        check = [_event(row, 0, "health_check", status="success", trafficPercent=row.from_percent)]
    if kind == Kind.CANARY:
        return [
            _event(row, 0, "deploy_start", trafficPercent=0),
            _event(row, 1, "traffic_shift"),
        ]
    if kind == Kind.ADVANCE:
        return [*check, _event(row, 1, "traffic_shift")]
    if kind in (Kind.PAUSE, Kind.RESUME):
        status = "paused" if kind == Kind.PAUSE else "in_progress"
        return [_event(row, 0, "traffic_shift", status=status)]
    if kind == Kind.PROMOTE:
        return [
            *check,
            _event(row, 1, "traffic_shift", trafficPercent=100),
            _event(row, 2, "deploy_complete", status="success", slot="stable"),
        ]
    stable = row.from_version.version if row.from_version else None
    if kind == Kind.ABORT:
        events = []
        if by_gate:
            events.append(
                _event(row, 0, "health_check", status="failure", error=row.reason, version=None)
            )
        events.append(
            _event(
                row,
                1,
                "rollback",
                status="success",
                version=stable,
                slot="stable",
                trafficPercent=0,
                error=row.reason,
            )
        )
        return events
    # SUPERSEDE: another deploy took over; the rollout failed to finish.
    return [_event(row, 0, "failure", status="failure", trafficPercent=0, error=row.reason)]


def deployment_events(deployment_id: str, package: PluginPackage, *, after: dt.datetime | None):
    """The events of a deployment (rollout-<id> or deploy-<id>) after a moment, oldest first,
    at most EVENT_LIMIT; None when the package has no such deployment."""
    prefix, _, number = deployment_id.partition("-")
    # ASCII digits only: str.isdigit() admits "²", which int() refuses.
    if not re.fullmatch(r"[0-9]{1,18}", number) or prefix not in ("rollout", "deploy"):
        return None
    rows = DeploymentEvent.objects.filter(deployment__package=package).select_related(
        "from_version", "to_version", "actor"
    )
    if prefix == "rollout":
        if not Rollout.objects.filter(pk=int(number), package=package).exists():
            return None
        rows = rows.filter(rollout_id=int(number))
    else:
        rows = rows.filter(pk=int(number), rollout__isnull=True)
        if not rows.exists():
            return None
    if after is not None:
        rows = rows.filter(created_at__gt=after)
    events = []
    for row in rows.order_by("created_at", "id")[:EVENT_LIMIT]:
        events.extend(stream_events(row))
    return events


# ---------------------------------------------------------------------------------------------
# The status


def _health(health: dict | None, threshold: float) -> dict | None:
    if health is None:
        return None
    loads = health["loads"]
    failed = sum(health["failures_by_phase"].values())
    rate = health["success_rate"]
    return {
        "loads": loads,
        "mounted": health["mounted"],
        "failed": failed,
        "successRate": rate,
        "errorRate": round(min(1.0, failed / loads), 4) if loads else None,
        "latencyP50": health["p50_ms"],
        "latencyP95": health["p95_ms"],
        "latencyP99": health["p99_ms"],
        "healthStatus": None if rate is None else ("healthy" if rate >= threshold else "unhealthy"),
    }


def _slot(name: str, version, percent: int, health: dict | None, *, deploying=False) -> dict:
    return {
        "slot": name,
        "version": version.version,
        "status": "deploying" if deploying else ("active" if percent else "inactive"),
        "trafficPercent": percent,
        "healthStatus": health["healthStatus"] if health else None,
        "frontendUrl": version.bundle_url or None,
        "backendUrl": None,
        "deployedAt": None,
    }


def deployment_status(package: PluginPackage) -> dict:
    """The deployment as upstream's `status` reads it, with our rollout and the field health
    of both versions (since the rollout began, else over the last 24 hours)."""
    deployment = (
        PluginDeployment.objects.filter(package=package)
        .select_related("version", "canary_version")
        .first()
    )
    current = deployment.version if deployment else None
    rollout = (
        Rollout.objects.filter(package=package, status__in=Rollout.OPEN_STATUSES)
        .select_related("candidate", "stable")
        .first()
    )
    other = rollout.candidate if rollout else previous_version(package)
    since = (
        rollout.created_at.replace(second=0, microsecond=0)
        if rollout
        else timezone.now() - STATUS_WINDOW
    )
    ids = [version.pk for version in (current, other) if version is not None]
    health = version_health(ids, since=since) if ids else {}
    threshold = rollout.success_threshold if rollout else 0.95
    stable_health = _health(health.get(current.pk), threshold) if current else None
    other_health = _health(health.get(other.pk), threshold) if other else None
    percent = rollout.percent if rollout else 0
    slots = []
    if current is not None:
        slots.append(_slot("stable", current, 100 - percent, stable_health))
        slots[0]["deployedAt"] = deployment.deployed_at
    if other is not None:
        name = "canary" if rollout else "previous"
        slots.append(_slot(name, other, percent, other_health, deploying=rollout is not None))
    move = (
        DeploymentEvent.objects.filter(deployment=deployment, rollout__isnull=True)
        .order_by("-created_at", "-id")
        .first()
        if deployment
        else None
    )
    metrics = stable_health or {}
    health_status = deployment.health_status if deployment else "unknown"
    if health_status == "unknown" and stable_health and stable_health["healthStatus"]:
        health_status = stable_health["healthStatus"]
    return {
        "deploymentId": rollout_id(rollout) if rollout else (event_id(move) if move else None),
        "pluginName": package.name,
        "displayName": package.display_name or package.name,
        "activeSlot": "stable" if current else None,
        "activeVersion": current.version if current else None,
        "healthStatus": "deploying" if rollout else health_status,
        "deployedAt": deployment.deployed_at if deployment else None,
        "isDeploying": rollout is not None,
        "strategy": "canary" if rollout else "immediate",
        "candidateVersion": rollout.candidate.version if rollout else None,
        "traffic": {"stable": 100 - percent, "candidate": percent},
        "slots": slots,
        "rollout": _rollout(rollout) if rollout else None,
        "health": {
            "since": since,
            "stable": stable_health,
            "candidate": other_health if rollout else None,
        },
        # Upstream's MetricsInfo: numbers only (its CLI prints them as they come), so 0 where
        # there were no loads; `health` keeps the nulls.
        "metrics": {
            "requestCount": metrics.get("loads", 0),
            "errorCount": metrics.get("failed", 0),
            "errorRate": metrics.get("errorRate") or 0,
            "latencyP50": metrics.get("latencyP50") or 0,
            "latencyP95": metrics.get("latencyP95") or 0,
            "latencyP99": metrics.get("latencyP99") or 0,
            "activeUsers": deployment.active_installs if deployment else 0,
        },
        "activeAlerts": (
            rollout_alerts(rollout, since=since, health=health)
            if rollout
            else abort_alerts(package)
        ),
    }


def _rollout(rollout: Rollout) -> dict:
    return {
        "id": rollout_id(rollout),
        "status": rollout.status,
        "percent": rollout.percent,
        "candidate": rollout.candidate.version,
        "stable": rollout.stable.version if rollout.stable else None,
        "initialPercent": rollout.initial_percent,
        "incrementPercent": rollout.increment_percent,
        "intervalSeconds": rollout.interval_seconds,
        "nextStepAt": rollout.next_step_at,
        "startedAt": rollout.created_at,
        "policy": {
            "successThreshold": rollout.success_threshold,
            "onErrorRate": rollout.error_rate_limit,
            "onLatencyP99": rollout.latency_p99_limit_ms,
            "minSample": rollout.min_sample,
        },
    }
