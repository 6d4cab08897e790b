"""A version's and a package's life after publishing: deprecate, yank, roll back, list,
feature. Deployments move through registry.deployments; this module decides who may."""

from __future__ import annotations

from django.db import transaction

from naap.errors import BadRequest, Conflict, ValidationFailed
from publishing.models import ApiToken
from publishing.services.authorization import authorize_package_change, require_staff
from registry.audit import AuditAction
from registry.cache import invalidate_package
from registry.deployments import move_kind, roll_back, withdraw_version
from registry.membership import LIST_PACKAGES, ROLL_BACK, WITHDRAW_VERSIONS
from registry.models import DeploymentEvent, PluginDeployment, PluginPackage, PluginVersion
from registry.services import record_audit_event, refresh_latest_published

# The package flags staff may set, and the audit action each records.
FLAG_ACTIONS = {"featured": AuditAction.PACKAGE_FEATURED, "is_core": AuditAction.PACKAGE_IS_CORE}
# The audit action of an explicit move of the deployment, by the kind of move it was.
MOVE_ACTIONS = {
    DeploymentEvent.Kind.ROLLBACK: AuditAction.DEPLOYMENT_ROLLBACK,
    DeploymentEvent.Kind.DEPLOY: AuditAction.DEPLOYMENT_DEPLOY,
}


@transaction.atomic
def deprecate_version(
    *,
    actor,
    version: PluginVersion,
    message: str,
    token: ApiToken | None = None,
    ip: str | None = None,
) -> PluginVersion:
    """Mark a version deprecated with a message people will see; it keeps working."""
    authorize_package_change(
        actor=actor, token=token, package=version.package, staff_permission=WITHDRAW_VERSIONS
    )
    if not message or not message.strip():
        raise ValidationFailed("Say why it is deprecated and what to use instead.", field="message")
    version.deprecated = True
    version.deprecation_message = message.strip()
    version.save(update_fields=["deprecated", "deprecation_message", "updated_at"])
    details = {"message": version.deprecation_message}
    record_audit_event(actor, AuditAction.VERSION_DEPRECATE, version, ip=ip, details=details)
    invalidate_package(version.package.name)
    return version


@transaction.atomic
def yank_version(
    *,
    actor,
    version: PluginVersion,
    reason: str,
    token: ApiToken | None = None,
    ip: str | None = None,
) -> PluginVersion:
    """Yank a version: never resolved as latest again; a deployment on it falls back."""
    authorize_package_change(
        actor=actor, token=token, package=version.package, staff_permission=WITHDRAW_VERSIONS
    )
    if not reason or not reason.strip():
        raise ValidationFailed("Say why the version is yanked.", field="reason")
    version = PluginVersion.objects.select_for_update().select_related("package").get(pk=version.pk)
    if version.status not in {PluginVersion.Status.PUBLISHED, PluginVersion.Status.YANKED}:
        raise Conflict(f"Only published versions can be yanked; {version} is {version.status}.")
    version.status = PluginVersion.Status.YANKED
    version.yank_reason = reason.strip()
    version.save(update_fields=["status", "yank_reason", "updated_at"])
    # FOR UPDATE without OF locked the package row with the version's (select_related).
    refresh_latest_published(version.package)
    withdraw_version(actor=actor, version=version)
    record_audit_event(
        actor, AuditAction.VERSION_YANK, version, ip=ip, details={"reason": version.yank_reason}
    )
    invalidate_package(version.package.name)
    return version


@transaction.atomic
def rollback_deployment(
    *,
    actor,
    package: PluginPackage,
    to_version: str,
    reason: str = "",
    token: ApiToken | None = None,
    ip: str | None = None,
) -> PluginDeployment:
    """Re-point the deployment at another published, non-yanked version, at once: back to an
    earlier one, or forward again after a rollback."""
    authorize_package_change(
        actor=actor, token=token, package=package, scope="deploy", staff_permission=ROLL_BACK
    )
    deployment, current = roll_back(
        actor=actor, package=package, to_version=to_version, reason=reason.strip()
    )
    target = deployment.version
    details = {
        "from": current.version if current else None,
        "to": target.version,
        "reason": reason.strip(),
    }
    action = MOVE_ACTIONS[move_kind(current, target)]
    record_audit_event(actor, action, deployment, ip=ip, details=details)
    return deployment


@transaction.atomic
def set_package_listing(
    *, actor, package: PluginPackage, listed: bool, ip: str | None = None
) -> PluginPackage:
    """Staff publish (list) or unlist a package; unlisted packages install but are not shown."""
    require_staff(actor, "publish or unlist packages", permission=LIST_PACKAGES)
    if listed and not package.versions.filter(status=PluginVersion.Status.PUBLISHED).exists():
        raise Conflict(f"{package.name} has no published version to list.")
    status = PluginPackage.Status.PUBLISHED if listed else PluginPackage.Status.UNLISTED
    if package.status != status:
        package.status = status
        package.save(update_fields=["status", "updated_at"])
        action = AuditAction.PACKAGE_LIST if listed else AuditAction.PACKAGE_UNLIST
        record_audit_event(actor, action, package, ip=ip)
        invalidate_package(package.name, core=package.is_core)
    return package


@transaction.atomic
def deprecate_package(
    *,
    actor,
    package: PluginPackage,
    message: str,
    token: ApiToken | None = None,
    ip: str | None = None,
) -> PluginPackage:
    """Mark a whole package deprecated with a message; it leaves the listing, keeps working."""
    authorize_package_change(
        actor=actor, token=token, package=package, staff_permission=LIST_PACKAGES
    )
    if not message or not message.strip():
        raise ValidationFailed("Say why it is deprecated and what to use instead.", field="message")
    package.deprecated = True
    package.deprecation_message = message.strip()
    package.save(update_fields=["deprecated", "deprecation_message", "updated_at"])
    details = {"message": package.deprecation_message}
    record_audit_event(actor, AuditAction.PACKAGE_DEPRECATE, package, ip=ip, details=details)
    invalidate_package(package.name, core=package.is_core)
    return package


@transaction.atomic
def set_package_flag(
    *, actor, package: PluginPackage, flag: str, value: bool, ip: str | None = None
) -> PluginPackage:
    """Staff set `featured` or `is_core` (top-level routes are granted by approving a version
    asking for them, publishing.services.moderation)."""
    if flag not in FLAG_ACTIONS:
        raise BadRequest(f"Unknown package flag {flag!r}.")
    require_staff(actor, "feature packages or mark them core", permission=LIST_PACKAGES)
    if getattr(package, flag) != value:
        setattr(package, flag, value)
        package.save(update_fields=[flag, "updated_at"])
        record_audit_event(actor, FLAG_ACTIONS[flag], package, ip=ip, details={"value": value})
        # Marked or unmarked core: the package joins or leaves everyone's bootstrap.
        invalidate_package(package.name, core=flag == "is_core")
    return package
