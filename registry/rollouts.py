"""Staged rollouts: a candidate version reaches a growing share of people, then everyone.

A rollout starts a published version at an initial share, advances by its increment (reaching
100 promotes it), is promoted (it becomes the deployed version), aborted (everyone back on the
stable version), paused and resumed. One rollout per package is open (running or paused) at a
time; moving the deployment to another version supersedes it (registry.deployments).

While a rollout is open the package's deployment carries its candidate and share as
canary_version and canary_percent: bootstraps read those (installs.versions), so a person's
stable bucket decides which version they run. Each transition locks the deployment row, records
a DeploymentEvent (who, why, versions, shares) and an audit entry; each that changes who runs
which version (all but pause and resume) retires the package's cached manifests and bootstraps
(invalidate_package). Who may act is the caller's question.
"""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from naap.errors import Conflict, NotFound
from registry.audit import AuditAction
from registry.cache import invalidate_package
from registry.models import (
    DeploymentEvent,
    PluginDeployment,
    PluginPackage,
    PluginVersion,
    Rollout,
)
from registry.rollout_guards import (
    DEFAULT_MIN_SAMPLE,
    MAX_INTERVAL_SECONDS,
    MAX_LATENCY_MS,
    MAX_MIN_SAMPLE,
    MAX_REASON_LENGTH,
    STALE_ROLLOUT,
    checked_number,
    checked_reason,
    locked_deployment,
    locked_open,
)
from registry.services import record_audit_event

__all__ = [
    "DEFAULT_MIN_SAMPLE",
    "MAX_INTERVAL_SECONDS",
    "MAX_LATENCY_MS",
    "MAX_MIN_SAMPLE",
    "MAX_REASON_LENGTH",
    "STALE_ROLLOUT",
    "abort_rollout",
    "advance_rollout",
    "end_open_rollout",
    "open_rollout",
    "pause_rollout",
    "promote_rollout",
    "resume_rollout",
    "start_rollout",
]

_ACTIONS = {
    DeploymentEvent.Kind.CANARY: AuditAction.ROLLOUT_START,
    DeploymentEvent.Kind.ADVANCE: AuditAction.ROLLOUT_ADVANCE,
    DeploymentEvent.Kind.PROMOTE: AuditAction.ROLLOUT_PROMOTE,
    DeploymentEvent.Kind.ABORT: AuditAction.ROLLOUT_ABORT,
    DeploymentEvent.Kind.PAUSE: AuditAction.ROLLOUT_PAUSE,
    DeploymentEvent.Kind.RESUME: AuditAction.ROLLOUT_RESUME,
    DeploymentEvent.Kind.SUPERSEDE: AuditAction.ROLLOUT_SUPERSEDE,
}


def open_rollout(package: PluginPackage) -> Rollout | None:
    """The package's running or paused rollout, if any (one query)."""
    return (
        Rollout.objects.filter(package=package, status__in=Rollout.OPEN_STATUSES)
        .select_related("candidate", "stable")
        .first()
    )


def _record(
    *,
    deployment: PluginDeployment,
    rollout: Rollout,
    kind: DeploymentEvent.Kind,
    actor,
    reason: str,
    from_percent: int,
    to_percent: int,
    ip: str | None = None,
    shown: bool = True,
) -> None:
    """The transition's DeploymentEvent and audit entry, and, when it changes who runs which
    version (`shown`), the retirement of the package's cached manifests and bootstraps."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    DeploymentEvent.objects.create(
        deployment=deployment,
        rollout=rollout,
        kind=kind,
        from_version=rollout.stable,
        to_version=rollout.candidate,
        actor=user,
        reason=reason,
        from_percent=from_percent,
        to_percent=to_percent,
    )
    record_audit_event(
        actor,
        _ACTIONS[kind],
        deployment.package,
        ip=ip,
        details={
            "rollout": rollout.pk,
            "candidate": rollout.candidate.version,
            "stable": rollout.stable.version if rollout.stable else None,
            "fromPercent": from_percent,
            "toPercent": to_percent,
            "reason": reason,
        },
    )
    if shown:
        invalidate_package(deployment.package.name)


def _set_canary(deployment: PluginDeployment, version: PluginVersion | None, percent: int):
    deployment.canary_version = version
    deployment.canary_percent = percent
    deployment.save(update_fields=["canary_version", "canary_percent", "updated_at"])


@transaction.atomic
def start_rollout(
    *,
    actor,
    package: PluginPackage,
    version: str,
    initial_percent: int,
    increment_percent: int,
    interval_seconds: int,
    success_threshold: float = 0.95,
    error_rate_limit: float = 0.05,
    latency_p99_limit_ms: int = 5000,
    min_sample: int = DEFAULT_MIN_SAMPLE,
    reason: str = "",
    ip: str | None = None,
    supersede: bool = False,
) -> Rollout:
    """Start rolling a published version out to `initial_percent` % of people.

    Refused while another rollout of the package is open (unless `supersede`: an open rollout
    of another version is then ended as superseded first; one of the same version is still
    refused), when nothing is deployed yet (there is no stable version to keep the others on)
    and for the deployed version itself.
    """
    initial = checked_number(initial_percent, field="initialPercent", low=1, high=99)
    increment = checked_number(increment_percent, field="incrementPercent", low=1, high=100)
    interval = checked_number(
        interval_seconds, field="intervalSeconds", low=0, high=MAX_INTERVAL_SECONDS
    )
    threshold = checked_number(
        success_threshold, field="successThreshold", low=0, high=1, kind=float
    )
    error_rate = checked_number(error_rate_limit, field="onErrorRate", low=0, high=1, kind=float)
    latency = checked_number(latency_p99_limit_ms, field="onLatencyP99", low=1, high=MAX_LATENCY_MS)
    sample = checked_number(min_sample, field="minSample", low=1, high=MAX_MIN_SAMPLE)
    reason = checked_reason(reason)
    deployment = locked_deployment(package)
    candidate = package.versions.filter(version=version).first()
    if candidate is None:
        raise NotFound(f"No version {version} of plugin '{package.name}'.", field="version")
    if candidate.status != PluginVersion.Status.PUBLISHED:
        raise Conflict(
            f"{candidate} is {candidate.get_status_display().lower()}; only a published, "
            "non-yanked version can be rolled out.",
            field="version",
        )
    if deployment.version is None:
        raise Conflict(
            f"Nothing of '{package.name}' is deployed yet, so there is no stable version to "
            "keep the others on: deploy a first version directly.",
            field="version",
        )
    if deployment.version_id == candidate.pk:
        raise Conflict(f"{candidate} is already the deployed version.", field="version")
    current = (
        Rollout.objects.select_for_update(of=("self",))
        .select_related("candidate", "stable")
        .filter(package=package, status__in=Rollout.OPEN_STATUSES)
        .first()
    )
    if current is not None and supersede and current.candidate_id != candidate.pk:
        end_open_rollout(
            deployment=deployment,
            rollout=current,
            actor=actor,
            status=Rollout.Status.SUPERSEDED,
            reason=f"superseded by a rollout of {candidate.version}: {reason}".rstrip(": "),
            ip=ip,
        )
        current = None
    if current is not None:
        raise Conflict(
            f"'{package.name}' already has a {current.status} rollout of "
            f"{current.candidate.version}; promote or abort it first.",
            details={"rolloutId": current.pk},
        )
    rollout = Rollout.objects.create(
        package=package,
        candidate=candidate,
        stable=deployment.version,
        percent=initial,
        initial_percent=initial,
        increment_percent=increment,
        interval_seconds=interval,
        success_threshold=threshold,
        error_rate_limit=error_rate,
        latency_p99_limit_ms=latency,
        min_sample=sample,
        next_step_at=timezone.now() + timedelta(seconds=interval),
        started_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    _set_canary(deployment, candidate, initial)
    _record(
        deployment=deployment,
        rollout=rollout,
        kind=DeploymentEvent.Kind.CANARY,
        actor=actor,
        reason=reason,
        from_percent=0,
        to_percent=initial,
        ip=ip,
    )
    return rollout


@transaction.atomic
def advance_rollout(
    *,
    actor,
    package: PluginPackage,
    reason: str = "",
    ip: str | None = None,
    rollout_id: int | None = None,
) -> Rollout:
    """Give the candidate its increment more of people; at 100 % it is promoted.
    rollout_id: act only if that is still the open rollout (locked_open)."""
    reason = checked_reason(reason)
    deployment, rollout = locked_open(package, rollout_id=rollout_id)
    if rollout.status != Rollout.Status.RUNNING:
        raise Conflict("The rollout is paused; resume it before advancing it.")
    target = min(100, rollout.percent + rollout.increment_percent)
    if target >= 100:
        return _promote(deployment, rollout, actor=actor, reason=reason, ip=ip)
    previous = rollout.percent
    rollout.percent = target
    rollout.next_step_at = timezone.now() + timedelta(seconds=rollout.interval_seconds)
    rollout.save(update_fields=["percent", "next_step_at", "updated_at"])
    _set_canary(deployment, rollout.candidate, target)
    _record(
        deployment=deployment,
        rollout=rollout,
        kind=DeploymentEvent.Kind.ADVANCE,
        actor=actor,
        reason=reason,
        from_percent=previous,
        to_percent=target,
        ip=ip,
    )
    return rollout


@transaction.atomic
def promote_rollout(
    *,
    actor,
    package: PluginPackage,
    reason: str = "",
    ip: str | None = None,
    rollout_id: int | None = None,
) -> Rollout:
    """Make the candidate the deployed version for everyone (running or paused rollouts).
    rollout_id: act only if that is still the open rollout (locked_open)."""
    reason = checked_reason(reason)
    deployment, rollout = locked_open(package, rollout_id=rollout_id)
    return _promote(deployment, rollout, actor=actor, reason=reason, ip=ip)


def _promote(deployment, rollout, *, actor, reason: str, ip: str | None) -> Rollout:
    if rollout.candidate.status != PluginVersion.Status.PUBLISHED:
        raise Conflict(f"{rollout.candidate} is no longer published; it cannot be promoted.")
    previous = rollout.percent
    _close(rollout, Rollout.Status.PROMOTED, reason=reason, percent=100)
    deployment.version = rollout.candidate
    deployment.status = PluginDeployment.Status.ACTIVE
    deployment.deployed_at = timezone.now()
    deployment.deployed_by = actor if getattr(actor, "is_authenticated", False) else None
    deployment.canary_version = None
    deployment.canary_percent = 0
    deployment.save()
    _record(
        deployment=deployment,
        rollout=rollout,
        kind=DeploymentEvent.Kind.PROMOTE,
        actor=actor,
        reason=reason,
        from_percent=previous,
        to_percent=100,
        ip=ip,
    )
    return rollout


def _close(rollout: Rollout, status: Rollout.Status, *, reason: str, percent: int) -> None:
    rollout.status = status
    rollout.percent = percent
    rollout.ended_at = timezone.now()
    rollout.end_reason = reason
    rollout.next_step_at = None
    rollout.save(
        update_fields=["status", "percent", "ended_at", "end_reason", "next_step_at", "updated_at"]
    )


@transaction.atomic
def abort_rollout(
    *,
    actor,
    package: PluginPackage,
    reason: str,
    ip: str | None = None,
    rollout_id: int | None = None,
) -> Rollout:
    """Put everyone back on the stable version and end the rollout; the reason is required.
    rollout_id: act only if that is still the open rollout (locked_open)."""
    reason = checked_reason(reason, required=True)
    deployment, rollout = locked_open(package, rollout_id=rollout_id)
    end_open_rollout(
        deployment=deployment,
        rollout=rollout,
        actor=actor,
        status=Rollout.Status.ABORTED,
        reason=reason,
        ip=ip,
    )
    return rollout


def end_open_rollout(
    *,
    deployment: PluginDeployment,
    rollout: Rollout,
    actor,
    status: Rollout.Status,
    reason: str,
    ip: str | None = None,
) -> None:
    """End an open rollout without promoting it (aborted or superseded): the candidate leaves
    the deployment. The caller holds the deployment's row lock."""
    kind = (
        DeploymentEvent.Kind.ABORT
        if status == Rollout.Status.ABORTED
        else DeploymentEvent.Kind.SUPERSEDE
    )
    previous = rollout.percent
    _close(rollout, status, reason=reason, percent=0)
    if deployment.canary_version_id == rollout.candidate_id:
        _set_canary(deployment, None, 0)
    _record(
        deployment=deployment,
        rollout=rollout,
        kind=kind,
        actor=actor,
        reason=reason,
        from_percent=previous,
        to_percent=0,
        ip=ip,
    )


def _hold_or_run(*, actor, package, reason, ip, paused: bool, rollout_id=None) -> Rollout:
    """Pause (hold the share, no step due) or resume (next step one interval from now)."""
    reason = checked_reason(reason)
    deployment, rollout = locked_open(package, rollout_id=rollout_id)
    wanted = Rollout.Status.PAUSED if paused else Rollout.Status.RUNNING
    if rollout.status == wanted:
        raise Conflict(
            "The rollout is already paused." if paused else "The rollout is running, not paused."
        )
    rollout.status = wanted
    rollout.next_step_at = (
        None if paused else timezone.now() + timedelta(seconds=rollout.interval_seconds)
    )
    rollout.save(update_fields=["status", "next_step_at", "updated_at"])
    _record(
        deployment=deployment,
        rollout=rollout,
        kind=DeploymentEvent.Kind.PAUSE if paused else DeploymentEvent.Kind.RESUME,
        actor=actor,
        reason=reason,
        from_percent=rollout.percent,
        to_percent=rollout.percent,
        ip=ip,
        shown=False,  # the share and both versions stay: nothing served changes
    )
    return rollout


@transaction.atomic
def pause_rollout(
    *,
    actor,
    package: PluginPackage,
    reason: str = "",
    ip: str | None = None,
    rollout_id: int | None = None,
) -> Rollout:
    """Hold the candidate at its share: nobody moves, no step is due until resumed."""
    return _hold_or_run(
        actor=actor, package=package, reason=reason, ip=ip, paused=True, rollout_id=rollout_id
    )


@transaction.atomic
def resume_rollout(
    *,
    actor,
    package: PluginPackage,
    reason: str = "",
    ip: str | None = None,
    rollout_id: int | None = None,
) -> Rollout:
    """Run a paused rollout again; its next step is due one interval from now."""
    return _hold_or_run(
        actor=actor, package=package, reason=reason, ip=ip, paused=False, rollout_id=rollout_id
    )
