"""Moderation: staff approve or reject versions of unverified publishers.

A version in review keeps its files under storage.REVIEW_PREFIX, which the public CDN never
serves; approval moves them to their public keys (docs/decisions.md, "Files in review").
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator

from django.db import connection, transaction
from django.utils import timezone

from naap.errors import Conflict, ValidationFailed
from publishing import storage
from publishing.services.authorization import require_staff
from publishing.services.preview_manifests import write_version_manifest
from registry.audit import AuditAction
from registry.cache import invalidate_package
from registry.deployments import deploy_published_version
from registry.membership import REVIEW_VERSIONS
from registry.models import PluginDeployment, PluginPackage, PluginVersion
from registry.origins import new_origins
from registry.routes import route_request, top_level_routes
from registry.selectors import route_collision
from registry.services import record_audit_event

logger = logging.getLogger(__name__)

# Each storage key field of a version, and the URL field that shows the same file.
_URL_OF_KEY = {
    "bundle_key": "bundle_url",
    "styles_key": "styles_url",
    "scoped_styles_key": "scoped_styles_url",
    "sourcemap_key": "sourcemap_url",
    "manifest_key": None,
}


@contextlib.contextmanager
def _moving_files(moves: dict[str, str]) -> Iterator[None]:
    """Around a transaction that copies files (moves: source key → target key, filled in by
    the block) and points a row at the copies: when the block fails, the copies go and the
    sources stay; once it commits, the sources go. Nothing is ever half-moved."""
    try:
        yield
    except BaseException:
        try:
            storage.delete_keys(moves.values())
        except Exception:  # the store failing is likely why we are here; gc_assets finishes
            logger.exception("Could not remove the copies of %s", sorted(moves))
        raise
    sources = list(moves)
    # robust: the rows are committed already; leftovers are orphans gc_assets removes.
    transaction.on_commit(lambda: storage.delete_keys(sources), robust=True)


def _move_files(
    version: PluginVersion, moves: dict[str, str], key_for: Callable[[str], str]
) -> None:
    """Copy the version's files whose keys key_for maps elsewhere, and point the row (keys and
    URLs, saved by the caller) at the copies; moves records what was copied."""
    wanted = {}
    for key in version.asset_keys:
        with contextlib.suppress(ValueError):  # a key already where key_for leads
            wanted[key] = key_for(key)
    moves.update(wanted)
    storage.copy_assets(wanted)
    for key_field, url_field in _URL_OF_KEY.items():
        target = wanted.get(getattr(version, key_field))
        if target is None:
            continue
        setattr(version, key_field, target)
        if url_field:
            # Same bytes, so bundle_integrity, sizes and hashes stay as they are.
            setattr(version, url_field, storage.public_url(target))


def approve_version(*, actor, version: PluginVersion, ip: str | None = None) -> PluginVersion:
    """Staff approve a pending version: its files become public, it is published and deploys
    as it would have. If its files cannot be copied, it stays pending with its files in review.

    A version asking for top-level routes or core status is granted them (for the package's
    later versions too), and the origins it declares are approved for the package
    (registry.origins), unless another package holds one of its routes by now: a Conflict
    naming that package, and the version stays pending.
    """
    require_staff(actor, "approve versions", permission=REVIEW_VERSIONS)
    moves: dict[str, str] = {}
    with _moving_files(moves), transaction.atomic():
        # The package row is read (and locked) once, below.
        version = PluginVersion.objects.select_for_update().get(pk=version.pk)
        if version.status != PluginVersion.Status.PENDING_REVIEW:
            raise Conflict(
                f"{version} is {version.get_status_display().lower()}, not pending review."
            )
        package = PluginPackage.objects.select_for_update().get(pk=version.package_id)
        version.package = package
        _grant_routes(actor=actor, version=version, ip=ip)
        _grant_origins(actor=actor, version=version, ip=ip)
        # A preview keeps no manifest.json (preview_manifests.py): its review copy is not
        # made public but removed once this commits.
        review_manifest = version.manifest_key if package.preview else ""
        if review_manifest:
            version.manifest_key = ""
        _move_files(version, moves, storage.published_key)
        # A manifest.json that could not be stored at publish time is written after commit.
        manifest_missing = not version.manifest_key and not package.preview
        if manifest_missing:
            version.manifest_key = storage.asset_key(
                package_name=version.package.name, version=version.version, kind="manifest"
            )
        now = timezone.now()
        version.status = PluginVersion.Status.PUBLISHED
        version.published_at = now
        version.reviewed_at = now
        version.reviewed_by = actor
        version.save()
        package.latest_published_at = now
        if package.status in {PluginPackage.Status.DRAFT, PluginPackage.Status.PENDING_REVIEW}:
            package.status = PluginPackage.Status.PUBLISHED
        package.save(update_fields=["status", "latest_published_at", "updated_at"])
        deployment, _ = PluginDeployment.objects.get_or_create(package=package)
        deploy_published_version(
            deployment=deployment, version=version, actor=actor, reason="approved"
        )
        record_audit_event(actor, AuditAction.VERSION_APPROVE, version, ip=ip)
        # An approval may list a core package, or make it core (_grant_routes).
        invalidate_package(package.name, core=package.is_core)
    if manifest_missing:
        transaction.on_commit(lambda: write_version_manifest(version), robust=True)
    if review_manifest:
        transaction.on_commit(lambda: storage.delete_keys([review_manifest]), robust=True)
    return version


# Two approvals granting overlapping routes to two packages would each lock only their own
# package: grants are made one at a time, under one transaction-scoped lock.
ROUTE_GRANT_LOCK = 0x6E616170_726F7574  # "naap" "rout"


def _serialize_route_grants() -> None:
    """Wait for any other grant in progress to commit, so its routes are seen. PostgreSQL: an
    advisory lock held to the end of the transaction; SQLite allows one writer at a time."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [ROUTE_GRANT_LOCK])


def _grant_routes(*, actor, version: PluginVersion, ip: str | None) -> None:
    """Grant the package (locked by the caller) what the version asks beyond its grant:
    top-level routes and core status, recorded in the audit log."""
    package = version.package
    request = route_request(
        version.manifest,
        name=package.name,
        granted=package.granted_routes,
        is_core=package.is_core,
    )
    if not request:
        return
    _serialize_route_grants()
    # Another package may have been granted one of these routes since this one was published.
    collision = route_collision(
        top_level_routes(version.manifest, name=package.name), package_name=package.name
    )
    if collision is not None:
        raise Conflict(
            f"{version} cannot be approved: {collision.message} Reject it, or ask its publisher "
            "for a version with other routes.",
            details=collision.details,
        )
    package.granted_routes = [*package.granted_routes, *request.routes]
    if request.core:
        package.is_core = True
    package.save(update_fields=["granted_routes", "is_core", "updated_at"])
    details = {"routes": list(request.routes), "isCore": request.core, "version": version.version}
    record_audit_event(actor, AuditAction.PACKAGE_ROUTES_GRANT, package, ip=ip, details=details)
    if request.core:
        core_details = {"value": True, "version": version.version}
        record_audit_event(actor, AuditAction.PACKAGE_IS_CORE, package, ip=ip, details=core_details)


def _grant_origins(*, actor, version: PluginVersion, ip: str | None) -> None:
    """Approve for the package (locked by the caller) the origins the version declares that it
    was not approved yet, recorded in the audit log."""
    package = version.package
    origins = new_origins(version.manifest, granted=package.granted_origins)
    if not origins:
        return
    package.granted_origins = [*package.granted_origins, *origins]
    package.save(update_fields=["granted_origins", "updated_at"])
    details = {"origins": origins, "version": version.version}
    record_audit_event(actor, AuditAction.PACKAGE_ORIGINS_GRANT, package, ip=ip, details=details)


def move_files_to_review(*, version: PluginVersion) -> PluginVersion:
    """Move the public files of a version that waits for review (stored before files in review
    had their own prefix) under storage.REVIEW_PREFIX; anything else is left as it is."""
    moves: dict[str, str] = {}
    with _moving_files(moves), transaction.atomic():
        version = (
            PluginVersion.objects.select_for_update().select_related("package").get(pk=version.pk)
        )
        if version.status != PluginVersion.Status.PENDING_REVIEW:
            return version
        _move_files(version, moves, storage.review_key)
        if moves:
            version.save()
            invalidate_package(version.package.name)
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
