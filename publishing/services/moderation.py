"""Moderation: staff approve or reject versions of unverified publishers."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from naap.errors import Conflict, ValidationFailed
from publishing import storage
from publishing.services.authorization import require_staff
from registry.audit import AuditAction
from registry.cache import invalidate_package
from registry.deployments import deploy_published_version
from registry.membership import REVIEW_VERSIONS
from registry.models import PluginDeployment, PluginPackage, PluginVersion
from registry.services import record_audit_event


@transaction.atomic
def approve_version(*, actor, version: PluginVersion, ip: str | None = None) -> PluginVersion:
    """Staff approve a pending version: it is published and deploys as it would have."""
    require_staff(actor, "approve versions", permission=REVIEW_VERSIONS)
    version = PluginVersion.objects.select_for_update().select_related("package").get(pk=version.pk)
    if version.status != PluginVersion.Status.PENDING_REVIEW:
        raise Conflict(f"{version} is {version.get_status_display().lower()}, not pending review.")
    now = timezone.now()
    version.status = PluginVersion.Status.PUBLISHED
    version.published_at = now
    version.reviewed_at = now
    version.reviewed_by = actor
    version.save()
    package = version.package
    if package.status in {PluginPackage.Status.DRAFT, PluginPackage.Status.PENDING_REVIEW}:
        package.status = PluginPackage.Status.PUBLISHED
        package.save(update_fields=["status", "updated_at"])
    deployment, _ = PluginDeployment.objects.get_or_create(package=package)
    deploy_published_version(deployment=deployment, version=version, actor=actor, reason="approved")
    record_audit_event(actor, AuditAction.VERSION_APPROVE, version, ip=ip)
    invalidate_package(package.name)
    return version


def reject_version(
    *, actor, version: PluginVersion, reason: str, ip: str | None = None
) -> PluginVersion:
    """Staff reject a pending version: its files are deleted and the reason recorded."""
    require_staff(actor, "reject versions", permission=REVIEW_VERSIONS)
    if not reason or not reason.strip():
        raise ValidationFailed("Say why the version is rejected.", field="reason")
    with transaction.atomic():
        version = (
            PluginVersion.objects.select_for_update().select_related("package").get(pk=version.pk)
        )
        if version.status != PluginVersion.Status.PENDING_REVIEW:
            raise Conflict(f"{version} is not pending review.")
        keys = version.asset_keys
        version.status = PluginVersion.Status.REJECTED
        version.rejection_reason = reason.strip()
        version.reviewed_at = timezone.now()
        version.reviewed_by = actor
        version.forget_assets()
        version.save()
        package = version.package
        if not package.versions.exclude(status=PluginVersion.Status.REJECTED).exists():
            package.status = PluginPackage.Status.REJECTED
            package.save(update_fields=["status", "updated_at"])
        details = {"reason": version.rejection_reason}
        record_audit_event(actor, AuditAction.VERSION_REJECT, version, ip=ip, details=details)
        invalidate_package(package.name)
    # Files go only once the rows no longer point at them.
    storage.delete_keys(keys)
    return version
