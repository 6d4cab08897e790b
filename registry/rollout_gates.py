"""Health gates: a running rollout whose step is due advances, waits or aborts by itself.

For each running rollout whose `next_step_at` has passed, `evaluate_due_rollouts` reads the
field reports (registry.field_health.version_health) of the candidate and of the stable version
over the current step's window: from the minute the step began (the rollout's latest start,
advance or resume) to now. Then, in this order:

1. fewer candidate loads than the policy's minimum sample: wait (nothing recorded; the next
   pass looks again);
2. the candidate's error rate (failed loads, any phase, over loads) above the policy's limit,
   its p99 load time above the policy's limit, or it is clearly worse than the stable version
   (both have the minimum sample and the candidate's error rate is higher by more than
   `STABLE_MARGIN`, 5 points): abort, the numbers as the reason;
3. its success rate at or above the policy's threshold: advance (at 100 % this promotes), the
   numbers as the reason;
4. otherwise hold: nothing recorded, the next pass looks again.

Two loops at once act once: each due rollout is judged inside a transaction that first locks
its package's deployment row with SKIP LOCKED (the row every transition locks first), so a
second loop, or a staff action in progress, makes this pass skip it; the rollout is re-read under
the lock, so one already advanced (its next step no longer due) is left alone. On SQLite
(development, tests) write transactions queue instead, and the same re-read keeps it to one act.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from registry import rollouts
from registry.field_health import version_health
from registry.models import DeploymentEvent, PluginDeployment, Rollout

__all__ = [
    "STABLE_MARGIN",
    "Decision",
    "breaches",
    "evaluate_due_rollouts",
    "evaluate_rollout",
    "window_start",
]

STABLE_MARGIN = 0.05  # error-rate points by which a candidate is "clearly worse" than stable
_STEP_KINDS = (
    DeploymentEvent.Kind.CANARY,
    DeploymentEvent.Kind.ADVANCE,
    DeploymentEvent.Kind.RESUME,
)


@dataclass(frozen=True)
class Decision:
    """What a gate decided for one rollout: advance, abort, wait or hold, and why."""

    package: str
    action: str
    reason: str

    def __str__(self) -> str:
        return f"{self.package}: {self.action} ({self.reason})"


def _error_rate(health: dict) -> float | None:
    loads = health["loads"]
    if not loads:
        return None
    return min(1.0, sum(health["failures_by_phase"].values()) / loads)


def _percent(value: float | None) -> str:
    return "n/a" if value is None else f"{value * 100:.1f}%"


def window_start(rollout: Rollout) -> dt.datetime:
    """The minute the rollout's current step began (its latest start, advance or resume)."""
    began = (
        DeploymentEvent.objects.filter(rollout=rollout, kind__in=_STEP_KINDS)
        .order_by("-created_at", "-id")
        .values_list("created_at", flat=True)
        .first()
    ) or rollout.created_at
    return began.replace(second=0, microsecond=0)


def _describe(label: str, health: dict | None) -> str:
    if health is None:
        return f"{label} n/a"
    return (
        f"{label} {health['loads']} loads, success {_percent(health['success_rate'])}, "
        f"errors {_percent(_error_rate(health))}, p99 "
        f"{'n/a' if health['p99_ms'] is None else str(health['p99_ms']) + ' ms'}"
    )


def breaches(rollout: Rollout, candidate: dict, stable: dict | None) -> list[tuple[str, str]]:
    """The limits of the rollout's policy that the candidate's numbers (version_health's, with
    loads) break, in the order the gate checks them: (which, what) with which one of
    `error_rate`, `latency_p99`, `worse_than_stable`. The deploy protocol's status shows them
    as alerts."""
    errors = _error_rate(candidate)
    if errors is None:
        return []
    found = []
    if errors > rollout.error_rate_limit:
        limit = _percent(rollout.error_rate_limit)
        found.append(("error_rate", f"error rate {_percent(errors)} above the limit {limit}"))
    if candidate["p99_ms"] is not None and candidate["p99_ms"] > rollout.latency_p99_limit_ms:
        limit = rollout.latency_p99_limit_ms
        found.append(("latency_p99", f"p99 {candidate['p99_ms']} ms above the limit {limit} ms"))
    if stable is not None and stable["loads"] >= rollout.min_sample:
        stable_errors = _error_rate(stable)
        if errors - stable_errors > STABLE_MARGIN:
            found.append(
                (
                    "worse_than_stable",
                    f"error rate {_percent(errors)} clearly worse than the stable version's "
                    f"{_percent(stable_errors)}",
                )
            )
    return found


def judge(rollout: Rollout) -> tuple[str, str]:
    """The gate's verdict for a rollout over its current step's window: (action, reason)."""
    since = window_start(rollout)
    ids = [rollout.candidate_id] + ([rollout.stable_id] if rollout.stable_id else [])
    health = version_health(ids, since=since)
    candidate = health[rollout.candidate_id]
    stable = health.get(rollout.stable_id) if rollout.stable_id else None
    numbers = (
        f"{_describe(f'candidate {rollout.candidate.version}:', candidate)}; "
        f"{_describe(f'stable {rollout.stable.version}:' if stable else 'stable:', stable)}; "
        f"since {since:%H:%M} UTC"
    )
    sample = rollout.min_sample
    if candidate["loads"] < sample:
        return "wait", f"{candidate['loads']} of {sample} loads needed; {numbers}"
    broken = breaches(rollout, candidate, stable)
    if broken:
        return "abort", f"{broken[0][1]}; {numbers}"
    if candidate["success_rate"] >= rollout.success_threshold:
        threshold = _percent(rollout.success_threshold)
        return "advance", f"success {_percent(candidate['success_rate'])} ≥ {threshold}; {numbers}"
    threshold = _percent(rollout.success_threshold)
    return "hold", f"success {_percent(candidate['success_rate'])} below {threshold}; {numbers}"


def evaluate_rollout(rollout_id: int, *, now: dt.datetime | None = None) -> Decision | None:
    """Judge one rollout and act on it if it is running, due and not locked by another loop or
    a staff action; None when it was skipped."""
    now = now or timezone.now()
    with transaction.atomic():
        package_id = (
            Rollout.objects.filter(pk=rollout_id).values_list("package_id", flat=True).first()
        )
        if package_id is None:
            return None
        locked = (
            PluginDeployment.objects.select_for_update(skip_locked=True)
            .filter(package_id=package_id)
            .values_list("pk", flat=True)
            .first()
        )
        if locked is None:
            return None  # another loop or a staff action holds it: the next pass looks again
        rollout = (
            Rollout.objects.select_for_update(of=("self",))
            .select_related("package", "candidate", "stable")
            .filter(
                pk=rollout_id,
                status=Rollout.Status.RUNNING,
                next_step_at__isnull=False,
                next_step_at__lte=now,
            )
            .first()
        )
        if rollout is None:
            return None
        action, reason = judge(rollout)
        if action == "abort":
            rollouts.abort_rollout(actor=None, package=rollout.package, reason=reason)
        elif action == "advance":
            step = rollouts.advance_rollout(actor=None, package=rollout.package, reason=reason)
            if step.status == Rollout.Status.PROMOTED:
                action = "promote"
        return Decision(package=rollout.package.name, action=action, reason=reason)


def evaluate_due_rollouts(*, now: dt.datetime | None = None) -> list[Decision]:
    """One pass of the loop: every running rollout whose next step is due, judged and acted on
    (each in its own transaction); the decisions taken."""
    now = now or timezone.now()
    due = Rollout.objects.filter(
        status=Rollout.Status.RUNNING, next_step_at__isnull=False, next_step_at__lte=now
    ).values_list("pk", flat=True)
    decisions = []
    for rollout_id in list(due):
        decision = evaluate_rollout(rollout_id, now=now)
        if decision is not None:
            decisions.append(decision)
    return decisions
