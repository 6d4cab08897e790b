"""The writes that move a deployment: deploy on publish or approval, roll back, fall back.

A package's deployment names the version the shell loads for `latest`. Publishing,
moderation, the admin, the API and the CLI move it only through these functions; each change
retires the package's cached manifests, and each move of the deployed version records a
DeploymentEvent (dropping a yanked canary records none: the yank's audit row says it). Who
may move it is the caller's question (publishing.services.authorization): these functions
never speak of tokens.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from naap.errors import Conflict, NotFound
from registry.cache import invalidate_package
from registry.models import (
    DeploymentEvent,
    PluginDeployment,
    PluginPackage,
    PluginVersion,
    Rollout,
)
from registry.rollouts import end_open_rollout, open_rollout

__all__ = [
    "deploy_published_version",
    "deploys_on_publish",
    "move_deployment",
    "move_kind",
    "roll_back",
    "withdraw_version",
]


def deploys_on_publish(deployment: PluginDeployment, version: PluginVersion) -> bool:
    """Whether a version that was just published (or approved) becomes the deployed one.

    Only a published release whose publisher asked for the deploy, and only when it is newer
    than what runs: a backport (older than the deployed version) never moves it back.
    """
    if version.status != PluginVersion.Status.PUBLISHED or not version.deploy_requested:
        return False
    if version.is_prerelease:
        return False
    current = deployment.version
    return current is None or version.parsed > current.parsed


def deploy_published_version(
    *, deployment: PluginDeployment, version: PluginVersion, actor, reason: str
) -> PluginDeployment:
    """Move the deployment to a newly published or approved version when the rule says so."""
    if deploys_on_publish(deployment, version):
        return move_deployment(
            deployment=deployment,
            version=version,
            actor=actor,
            kind=DeploymentEvent.Kind.DEPLOY,
            reason=reason,
        )
    if deployment.pk is None:
        deployment.save()
    return deployment


def move_deployment(
    *,
    deployment: PluginDeployment,
    version: PluginVersion | None,
    actor,
    kind: DeploymentEvent.Kind,
    reason: str,
) -> PluginDeployment:
    """Point the deployment at a version (None: nothing deployed) and record the event.

    An open rollout is superseded first (recorded as its own event): a deploy of any version
    ends it explicitly. An open rollout always has its candidate on the deployment as canary,
    so a deployment without one costs no query here.
    """
    if deployment.pk is not None and deployment.canary_version_id is not None:
        open_one = open_rollout(deployment.package)
        if open_one is not None:
            target = version.version if version else "nothing"
            end_open_rollout(
                deployment=deployment,
                rollout=open_one,
                actor=actor,
                status=Rollout.Status.SUPERSEDED,
                reason=f"superseded by a {kind} of {target}: {reason}".rstrip(": "),
            )
    previous = deployment.version
    deployment.version = version
    deployment.status = (
        PluginDeployment.Status.ACTIVE if version else PluginDeployment.Status.INACTIVE
    )
    deployment.deployed_at = timezone.now()
    deployment.deployed_by = actor if getattr(actor, "is_authenticated", False) else None
    deployment.save()
    DeploymentEvent.objects.create(
        deployment=deployment,
        kind=kind,
        from_version=previous,
        to_version=version,
        actor=deployment.deployed_by,
        reason=reason,
    )
    invalidate_package(deployment.package.name)
    return deployment


def move_kind(current: PluginVersion | None, target: PluginVersion) -> DeploymentEvent.Kind:
    """What an explicit move from the deployed version to another is: a rollback when it goes
    to an earlier version, a deploy otherwise (forward again after a rollback, or onto a
    version published without deploying)."""
    if current is not None and target.parsed < current.parsed:
        return DeploymentEvent.Kind.ROLLBACK
    return DeploymentEvent.Kind.DEPLOY


@transaction.atomic
def roll_back(
    *, actor, package: PluginPackage, to_version: str, reason: str
) -> tuple[PluginDeployment, PluginVersion | None]:
    """Re-point the deployment at another published, non-yanked version, at once: back to an
    earlier one, or forward again to a newer one (see move_kind).

    Returns the deployment and the version it ran before.
    """
    target = package.versions.filter(version=to_version).first()
    if target is None:
        raise NotFound(f"No version {to_version} of plugin '{package.name}'.", field="version")
    if target.status != PluginVersion.Status.PUBLISHED:
        raise Conflict(
            f"{target} is {target.get_status_display().lower()}; roll back only to a published, "
            "non-yanked version.",
            field="version",
        )
    deployment, _ = PluginDeployment.objects.select_for_update().get_or_create(package=package)
    current = deployment.version
    if current is not None and current.pk == target.pk:
        raise Conflict(f"{target} is already the deployed version.", field="version")
    deployment = move_deployment(
        deployment=deployment,
        version=target,
        actor=actor,
        kind=move_kind(current, target),
        reason=reason,
    )
    return deployment, current


def withdraw_version(*, actor, version: PluginVersion) -> None:
    """A yanked version leaves the deployment: as canary it is dropped, as the deployed
    version the deployment falls back to the newest other published release (or nothing)."""
    deployment = (
        PluginDeployment.objects.select_for_update().filter(package=version.package).first()
    )
    if deployment is None:
        return
    open_one = open_rollout(version.package) if deployment.canary_version_id == version.pk else None
    if open_one is not None and open_one.candidate_id == version.pk:
        end_open_rollout(
            deployment=deployment,
            rollout=open_one,
            actor=actor,
            status=Rollout.Status.ABORTED,
            reason=f"{version.version} yanked: {version.yank_reason}",
        )
    if deployment.canary_version_id == version.pk:
        deployment.canary_version = None
        deployment.canary_percent = 0
        deployment.save(update_fields=["canary_version", "canary_percent", "updated_at"])
        invalidate_package(version.package.name)
    if deployment.version_id == version.pk:
        fallback = (
            version.package.versions.filter(status=PluginVersion.Status.PUBLISHED, prerelease="")
            .exclude(pk=version.pk)
            .order_by("-sort_key")
            .first()
        )
        move_deployment(
            deployment=deployment,
            version=fallback,
            actor=actor,
            kind=DeploymentEvent.Kind.ROLLBACK,
            reason=f"{version.version} yanked: {version.yank_reason}",
        )
