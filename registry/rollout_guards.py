"""What a rollout service checks before it acts: its arguments bounded (shared with the deploy
protocol, publishing/services/deploys.py), the deployment and open rollout rows locked, and the
rollout the person saw still the open one."""

from __future__ import annotations

from naap.errors import Conflict, NotFound, ValidationFailed
from registry.models import PluginDeployment, PluginPackage, Rollout

DEFAULT_MIN_SAMPLE = 20
MAX_INTERVAL_SECONDS = 7 * 24 * 60 * 60
MAX_LATENCY_MS = 600_000
MAX_MIN_SAMPLE = 1_000_000
MAX_REASON_LENGTH = 1000


def checked_number(value, *, field: str, low, high, kind=int):
    """A bounded number from a service argument, or a ValidationFailed naming the field."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValidationFailed(f"{field} must be a number.", field=field)
    if kind is int and value != int(value):
        raise ValidationFailed(f"{field} must be a whole number.", field=field)
    if not low <= value <= high:
        raise ValidationFailed(f"{field} must be between {low} and {high}.", field=field)
    return kind(value)


def checked_reason(reason: str, *, required: bool = False, ask: str = "Say why.") -> str:
    """The reason of a rollout or deployment move, trimmed and bounded; `ask` when required
    and empty."""
    reason = (reason or "").strip()
    if required and not reason:
        raise ValidationFailed(ask, field="reason")
    if len(reason) > MAX_REASON_LENGTH:
        raise ValidationFailed(
            f"The reason is limited to {MAX_REASON_LENGTH} characters.", field="reason"
        )
    return reason


def locked_deployment(package: PluginPackage) -> PluginDeployment:
    deployment = (
        PluginDeployment.objects.select_for_update(of=("self",))
        .select_related("version", "canary_version")
        .get_or_create(package=package)[0]
    )
    deployment.package = package  # the caller's row: no query to read its name
    return deployment


STALE_ROLLOUT = (
    "The rollout changed since you looked (another step, or another person's action); "
    "nothing was done. Look again before acting."
)


def locked_open(
    package: PluginPackage, *, rollout_id: int | None = None
) -> tuple[PluginDeployment, Rollout]:
    """The package's deployment and open rollout, both locked, or NotFound. With rollout_id
    (the rollout the person saw), a Conflict unless that is still the open one: checked under
    the lock, so the act cannot reach a rollout opened since."""
    deployment = locked_deployment(package)
    rollout = (
        Rollout.objects.select_for_update(of=("self",))
        .select_related("candidate", "stable")
        .filter(package=package, status__in=Rollout.OPEN_STATUSES)
        .first()
    )
    if rollout_id is not None and (rollout is None or rollout.pk != rollout_id):
        raise Conflict(STALE_ROLLOUT)
    if rollout is None:
        raise NotFound(f"'{package.name}' has no running or paused rollout.")
    return deployment, rollout
