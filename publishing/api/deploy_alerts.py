"""The deploy protocol status's `activeAlerts`, in upstream's AlertInfo shape (name, severity,
message, triggeredAt), from what the health gates (registry.rollout_gates) know:

- while a rollout is open, each limit of its policy the candidate breaks over the gate's
  window (the current step's, as the gate will judge it), once the candidate has the policy's
  minimum sample: error rate above `onErrorRate`, p99 load time above `onLatencyP99`, error
  rate clearly worse than the stable version's. `triggeredAt` is the start of that window.
  Running: critical, at its next step the gate aborts. Paused: a warning, since the gates
  judge only running rollouts; the candidate keeps its share meanwhile, and once resumed the
  gate judges it again over the numbers from the resume on;
- after the gates aborted the package's latest rollout, for ABORT_ALERT_PERIOD, the abort and
  its reason (a warning: everyone is back on the stable version).

The numbers are the ones the status already read when the gate's window starts with the
rollout (its first step); a later step's window costs one more read.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from registry.field_health import version_health
from registry.models import DeploymentEvent, PluginPackage, Rollout
from registry.rollout_gates import breaches, window_start

ABORT_ALERT_PERIOD = dt.timedelta(hours=1)
BREACH_NAMES = {
    "error_rate": "Candidate error rate above limit",
    "latency_p99": "Candidate p99 load time above limit",
    "worse_than_stable": "Candidate worse than stable",
}
RUNNING_OUTCOME = "the health gates abort the rollout at its next step."
PAUSED_OUTCOME = (
    "the rollout is paused at {percent}%, so the health gates do not act on it; "
    "once it resumes they judge it again over the numbers from then on."
)


def _alert(name: str, severity: str, message: str, moment: dt.datetime) -> dict:
    return {"name": name, "severity": severity, "message": message, "triggeredAt": moment}


def rollout_alerts(rollout: Rollout, *, since: dt.datetime, health: dict[int, dict]) -> list:
    """The limits the open rollout's candidate breaks over the gate's window: critical while
    it runs, a warning while it is paused; `health` is version_health's answer from `since`,
    reused when the window starts then."""
    window = window_start(rollout)
    ids = [rollout.candidate_id] + ([rollout.stable_id] if rollout.stable_id else [])
    if window != since or any(version_id not in health for version_id in ids):
        health = version_health(ids, since=window)
    candidate = health[rollout.candidate_id]
    if candidate["loads"] < rollout.min_sample:
        return []
    stable = health.get(rollout.stable_id) if rollout.stable_id else None
    version = rollout.candidate.version
    if rollout.status == Rollout.Status.PAUSED:
        severity, outcome = "warning", PAUSED_OUTCOME.format(percent=rollout.percent)
    else:
        severity, outcome = "critical", RUNNING_OUTCOME
    return [
        _alert(
            BREACH_NAMES[which],
            severity,
            f"{version}: {what} since {window:%H:%M} UTC ({candidate['loads']} loads); {outcome}",
            window,
        )
        for which, what in breaches(rollout, candidate, stable)
    ]


def abort_alerts(package: PluginPackage, *, now: dt.datetime | None = None) -> list:
    """The gates' abort of the package's latest rollout, within ABORT_ALERT_PERIOD of it."""
    now = now or timezone.now()
    latest = (
        Rollout.objects.filter(package=package)
        .select_related("candidate")
        .order_by("-created_at", "-id")
        .first()
    )
    if latest is None or latest.status != Rollout.Status.ABORTED:
        return []
    abort = (
        DeploymentEvent.objects.filter(
            rollout=latest,
            kind=DeploymentEvent.Kind.ABORT,
            actor__isnull=True,
            created_at__gte=now - ABORT_ALERT_PERIOD,
        )
        .order_by("-created_at")
        .first()
    )
    if abort is None:
        return []
    message = f"The health gates aborted {latest.candidate.version}: {abort.reason}"
    return [_alert("Rollout aborted", "warning", message, abort.created_at)]
