"""Upstream NaaP's deploy protocol, who may use it: deploy a version (at once, or as a staged
rollout), and roll back (abort the open rollout, or serve another version).

The rollouts themselves are registry.rollouts' (which records their events and audit entries);
an immediate move goes through lifecycle.rollback_deployment, which records its audit entry.
Tokens need the `deploy` scope (`publish` and `admin` imply it); people need to be members of
the package's publisher, or staff holding the rollback permission.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from naap.errors import NotFound, ValidationFailed
from publishing.models import ApiToken
from publishing.services.authorization import authorize_package_change
from publishing.services.lifecycle import rollback_deployment
from registry import rollouts
from registry.membership import ROLL_BACK
from registry.models import DeploymentEvent, PluginDeployment, PluginPackage, PluginVersion, Rollout
from registry.rollout_guards import checked_reason

STRATEGIES = ("immediate", "blue-green", "canary")
# Upstream's CLI defaults, used for what a body leaves out.
CANARY_DEFAULTS = {
    "initialPercent": 5,
    "incrementPercent": 25,
    "intervalSeconds": 300,
    "successThreshold": 0.95,
    "minSample": rollouts.DEFAULT_MIN_SAMPLE,
}
ROLLBACK_DEFAULTS = {"onErrorRate": 0.05, "onLatencyP99": 5000, "onHealthCheckFail": True}
MOVE_KINDS = (
    DeploymentEvent.Kind.DEPLOY,
    DeploymentEvent.Kind.ROLLBACK,
    DeploymentEvent.Kind.PROMOTE,
)


@dataclass(frozen=True)
class DeployResult:
    """What a deploy started: a rollout (canary) or a move of the deployment (its event)."""

    deployment_id: str
    strategy: str
    version: str
    rollout: Rollout | None = None
    event: DeploymentEvent | None = None


@dataclass(frozen=True)
class RollbackResult:
    """What a rollback did: which version runs now, which ran before, the rollout it ended."""

    version: str | None
    previous_version: str | None
    aborted_rollout: Rollout | None
    deployment_id: str | None


def rollout_id(rollout: Rollout) -> str:
    return f"rollout-{rollout.pk}"


def event_id(event: DeploymentEvent) -> str:
    return f"deploy-{event.pk}"


def _authorize(actor, token, package) -> None:
    authorize_package_change(
        actor=actor, token=token, package=package, scope="deploy", staff_permission=ROLL_BACK
    )


def _required_reason(reason: str) -> str:
    return checked_reason(reason, required=True, ask="Say why you roll back.")


def _latest_move(package: PluginPackage) -> DeploymentEvent | None:
    return (
        DeploymentEvent.objects.filter(deployment__package=package, kind__in=MOVE_KINDS)
        .select_related("from_version", "to_version")
        .order_by("-created_at", "-id")
        .first()
    )


@transaction.atomic
def deploy_plugin(
    *,
    actor,
    package: PluginPackage,
    version: str,
    strategy: str,
    canary: dict | None = None,
    rollback: dict | None = None,
    reason: str = "",
    token: ApiToken | None = None,
    ip: str | None = None,
) -> DeployResult:
    """Deploy a published version: `immediate` and `blue-green` move everyone at once (the
    files of both versions stay on the CDN, so the switch is one row); `canary` starts a
    staged rollout with the given steps and health policy. Either supersedes an open rollout
    of another version."""
    _authorize(actor, token, package)
    if strategy not in STRATEGIES:
        raise ValidationFailed(
            f"Unknown strategy {strategy!r}; choose {', '.join(STRATEGIES)}.",
            field="strategy.type",
        )
    reason = reason.strip() or f"{strategy} deploy of {version}"
    if strategy != "canary":
        deployment = rollback_deployment(
            actor=actor, package=package, to_version=version, reason=reason, token=token, ip=ip
        )
        event = _latest_move(package)
        return DeployResult(
            deployment_id=event_id(event),
            strategy=strategy,
            version=deployment.version.version,
            event=event,
        )
    steps = {**CANARY_DEFAULTS, **(canary or {})}
    policy = {**ROLLBACK_DEFAULTS, **(rollback or {})}
    limits = {"error_rate_limit": 1.0, "latency_p99_limit_ms": rollouts.MAX_LATENCY_MS}
    if policy["onHealthCheckFail"]:
        limits = {
            "error_rate_limit": policy["onErrorRate"],
            "latency_p99_limit_ms": policy["onLatencyP99"],
        }
    rollout = rollouts.start_rollout(
        actor=actor,
        package=package,
        version=version,
        initial_percent=steps["initialPercent"],
        increment_percent=steps["incrementPercent"],
        interval_seconds=steps["intervalSeconds"],
        success_threshold=steps["successThreshold"],
        min_sample=steps["minSample"],
        reason=reason,
        ip=ip,
        supersede=True,
        **limits,
    )
    return DeployResult(
        deployment_id=rollout_id(rollout),
        strategy=strategy,
        version=rollout.candidate.version,
        rollout=rollout,
    )


def previous_version(package: PluginPackage) -> PluginVersion | None:
    """What a rollback without a version goes back to: the version the deployment ran before
    its latest move, if still published; else the newest published release older than the
    deployed version."""
    deployment = PluginDeployment.objects.filter(package=package).select_related("version").first()
    current = deployment.version if deployment else None
    if current is None:
        return None
    move = _latest_move(package)
    before = move.from_version if move and move.to_version_id == current.pk else None
    if (
        before is not None
        and before.pk != current.pk
        and before.status == PluginVersion.Status.PUBLISHED
    ):
        return before
    return (
        package.versions.filter(
            status=PluginVersion.Status.PUBLISHED, prerelease="", sort_key__lt=current.sort_key
        )
        .order_by("-sort_key")
        .first()
    )


@transaction.atomic
def rollback_plugin(
    *,
    actor,
    package: PluginPackage,
    reason: str,
    version: str | None = None,
    token: ApiToken | None = None,
    ip: str | None = None,
) -> RollbackResult:
    """Roll back: an open rollout is aborted (everyone back on its stable version) unless
    another version is named; otherwise the deployment moves to the named version, or to the
    previous one (previous_version)."""
    _authorize(actor, token, package)
    reason = _required_reason(reason)
    open_one = rollouts.open_rollout(package)
    stable = open_one.stable.version if open_one and open_one.stable else None
    if open_one is not None and version in (None, stable):
        aborted = rollouts.abort_rollout(actor=actor, package=package, reason=reason, ip=ip)
        return RollbackResult(
            version=stable,
            previous_version=aborted.candidate.version,
            aborted_rollout=aborted,
            deployment_id=rollout_id(aborted),
        )
    if version is None:
        target = previous_version(package)
        if target is None:
            raise NotFound(
                f"'{package.name}' has no previous published version to roll back to; "
                "name the version to serve.",
                field="version",
            )
        version = target.version
    reason = _required_reason(reason)
    current = PluginDeployment.objects.filter(package=package).select_related("version").first()
    before = current.version.version if current and current.version else None
    deployment = rollback_deployment(
        actor=actor, package=package, to_version=version, reason=reason, token=token, ip=ip
    )
    event = _latest_move(package)
    return RollbackResult(
        version=deployment.version.version,
        previous_version=before,
        aborted_rollout=None,
        deployment_id=event_id(event) if event else None,
    )
