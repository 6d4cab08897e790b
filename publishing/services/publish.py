"""Publishing a version: validate, upload content-hashed files, write rows in one transaction."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.utils import timezone

from naap.errors import Conflict, Forbidden, PayloadTooLarge, ValidationFailed
from publishing import storage
from publishing.models import ApiToken
from publishing.scoped_styles import ScopedTooLarge, ScopeError, scope_stylesheet
from publishing.services.authorization import publisher_for_publish
from publishing.services.package_rows import (
    advance_status,
    copy_manifest_metadata,
    is_newest,
    lock_package,
)
from publishing.services.preview_manifests import write_version_manifest
from publishing.services.publish_inputs import parse_manifest, validate_files
from publishing.validation import (
    origin_finding,
    route_finding,
    scan_bundle,
    validate_manifest,
)
from registry import semver
from registry.audit import AuditAction
from registry.cache import invalidate_package
from registry.deployments import deploy_published_version
from registry.models import (
    ASSET_KEY_FIELDS,
    PluginDeployment,
    PluginPackage,
    PluginVersion,
    Publisher,
)
from registry.origins import new_origins
from registry.routes import route_request, top_level_routes
from registry.selectors import deployment_of, route_collision
from registry.services import record_audit_event, set_search_vector
from registry.umd import read_bundle_globals

logger = logging.getLogger(__name__)

MAX_RELEASE_NOTES = 20_000


@dataclass
class PublishResult:
    """What a publish did: created is False for an idempotent retry of identical content."""

    package: PluginPackage
    version: PluginVersion
    deployment: PluginDeployment | None
    created: bool
    warnings: list[str] = field(default_factory=list)


def _same_content(
    version: PluginVersion, *, version_text: str, data: dict, bundle_sha: str, styles_sha: str
) -> bool:
    """Whether a publish repeats this version exactly (a retry): the same version string,
    files and manifest."""
    return (
        version.version == version_text
        and version.bundle_sha256 == bundle_sha
        and version.styles_sha256 == styles_sha
        and version.manifest == data
    )


def _conflict(version: PluginVersion, *, data: dict) -> Conflict:
    """Published versions never change: say what differs from the stored one."""
    keys = sorted(set(version.manifest) | set(data))
    changed = [key for key in keys if version.manifest.get(key) != data.get(key)]
    if changed:
        what = f"with a different plugin.json ({', '.join(changed)} differ)"
    else:
        what = "with different files"
    return Conflict(
        f"{version.package.name}@{version.version} already exists {what}; "
        "published versions never change: bump the version.",
        field="version",
        details={"changed": changed} if changed else None,
    )


def publish_version(
    *,
    actor,
    manifest: str | bytes | dict,
    bundle: bytes,
    styles: bytes | None = None,
    sourcemap: bytes | None = None,
    release_notes: str = "",
    deploy: bool = True,
    token: ApiToken | None = None,
    publisher: Publisher | None = None,
    ip: str | None = None,
) -> PublishResult:
    """Validate, upload content-hashed files, then write rows in one transaction.

    Any failure removes the files this publish uploaded; an identical retry returns the
    existing version (created=False); other content under an existing version is a Conflict.
    """
    data = parse_manifest(manifest)
    name = data.get("name") if isinstance(data.get("name"), str) else ""
    package = PluginPackage.objects.select_related("publisher").filter(name=name).first()
    report = validate_manifest(data, is_core=bool(package and package.is_core))
    if report.errors:
        message = "; ".join(f"{key}: {text}" for key, text in list(report.errors.items())[:5])
        error_class = PayloadTooLarge if report.too_large else ValidationFailed
        raise error_class(f"The manifest is invalid: {message}", fields=report.errors)
    if len(release_notes) > MAX_RELEASE_NOTES:
        raise ValidationFailed(
            f"Release notes may be at most {MAX_RELEASE_NOTES} characters.", field="releaseNotes"
        )
    version_text = data["version"]
    validate_files(name=name, bundle=bundle, styles=styles, sourcemap=sourcemap)
    owner = publisher_for_publish(
        actor=actor, token=token, publisher=publisher, package=package, name=name
    )

    bundle_sha = storage.sha256_hex(bundle)
    styles_sha = storage.sha256_hex(styles) if styles is not None else ""
    identity = {
        "version_text": version_text,
        "data": data,
        "bundle_sha": bundle_sha,
        "styles_sha": styles_sha,
    }
    if package is not None:
        existing = package.versions.filter(sort_key=semver.parse(version_text).sort_key()).first()
        if existing is not None:
            if _same_content(existing, **identity):
                return PublishResult(package, existing, deployment_of(package), False)
            raise _conflict(existing, data=data)

    # Derived after the retry check: an identical retry does no work and is never refused.
    scoped_styles = scoped_styles_for(name, styles) if styles is not None else None
    collision = route_collision(top_level_routes(data, name=name), package_name=name)
    if collision is not None:
        raise collision
    # Parsed once: the review reports what the wrapper reads, the row records what the shell
    # must load before the bundle runs.
    bundle_globals = read_bundle_globals(bundle)
    findings = scan_bundle(
        bundle.decode("utf-8-sig"),
        package_name=name,
        manifest=data,
        bundle_globals=bundle_globals,
    )
    # Routes outside /plugins/<name> or core status not granted yet: staff decide, even for a
    # verified publisher; approving grants them (publishing.services.moderation).
    request = route_request(
        data,
        name=name,
        granted=package.granted_routes if package else [],
        is_core=bool(package and package.is_core),
    )
    if request:
        findings.append(route_finding(request, name=name))
    # Origins the plugin would connect to that staff have not approved for the package: the
    # same (registry.origins); approving adds them to the package's grant.
    origins = new_origins(data, granted=package.granted_origins if package else [])
    if origins:
        findings.append(origin_finding(origins, name=name))
    # A version that waits for review keeps its files out of the public CDN until approved.
    in_review = not owner.verified or bool(request) or bool(origins)
    uploaded: list[str] = []
    try:
        assets = {}
        for kind, content, sha in (
            ("bundle", bundle, bundle_sha),
            ("styles", styles, styles_sha),
            ("scoped_styles", scoped_styles, None),
            ("sourcemap", sourcemap, bundle_sha),
        ):
            if content is None:
                continue
            assets[kind] = storage.store_asset(
                package_name=name,
                version=version_text,
                kind=kind,
                content=content,
                sha256=sha,
                in_review=in_review,
            )
            if assets[kind].created:
                uploaded.append(assets[kind].key)
        result = _write_rows(
            actor=actor,
            owner=owner,
            data=data,
            assets=assets,
            findings=findings,
            shell_globals=bundle_globals.shell_globals,
            release_notes=release_notes,
            deploy=deploy,
            ip=ip,
            new_name=package is None,
            in_review=in_review,
        )
    except IntegrityError:
        # A concurrent publish of the same version won the race. Identical content shares our
        # content-hashed keys, so they must stay; different content gets our files removed.
        winner = (
            PluginVersion.objects.select_related("package")
            .filter(package__name=name, sort_key=semver.parse(version_text).sort_key())
            .first()
        )
        # Ours may also lie under the other prefix, when the publisher was verified meanwhile.
        _delete_unreferenced(uploaded)
        if winner is not None and _same_content(winner, **identity):
            return PublishResult(winner.package, winner, deployment_of(winner.package), False)
        if winner is not None:
            raise _conflict(winner, data=data) from None
        raise
    except storage.StorageUnavailable as error:
        _delete_unreferenced(uploaded)
        raise storage.StorageUnavailable(
            "The asset storage is unavailable (it did not answer in time), so nothing was "
            "published; try again in a minute.",
            details={"reason": error.message},
        ) from error
    except BaseException:
        _delete_unreferenced(uploaded)
        raise
    result.warnings = list(report.warnings)
    write_version_manifest(result.version)
    return result


def scoped_styles_for(name: str, styles: bytes) -> bytes:
    """The stylesheet scoped to plugin `name`'s host (checked by validate_files first: UTF-8,
    at most PLUGIN_MAX_STYLES_BYTES); a stylesheet that cannot be scoped is refused, naming
    where and why."""
    try:
        scoped = scope_stylesheet(styles.decode("utf-8-sig"), name=name)
    except ScopedTooLarge as error:
        raise PayloadTooLarge(f"styles: {error}", field="styles") from None
    except ScopeError as error:
        raise ValidationFailed(
            f"styles: the stylesheet cannot be scoped to the plugin: {error}", field="styles"
        ) from None
    return scoped.text.encode()


def _delete_unreferenced(keys: list[str]) -> None:
    """Remove files this publish uploaded, unless a committed version (a concurrent identical
    publish) now refers to them."""
    if not keys:
        return
    referenced = set()
    for field_name in ASSET_KEY_FIELDS:
        referenced.update(
            PluginVersion.objects.filter(**{f"{field_name}__in": keys}).values_list(
                field_name, flat=True
            )
        )
    try:
        storage.delete_keys([key for key in keys if key not in referenced])
    except storage.StorageUnavailable:
        # The publish's own error is the one to report; gc_assets removes these later.
        logger.warning("Could not remove %s after a failed publish; gc_assets will", keys)


@transaction.atomic
def _write_rows(
    *,
    actor,
    owner: Publisher,
    data: dict,
    assets: dict[str, storage.StoredAsset],
    findings: list[dict],
    shell_globals: list[str],
    release_notes: str,
    deploy: bool,
    ip: str | None,
    new_name: bool,
    in_review: bool,
) -> PublishResult:
    now = timezone.now()
    # Published at once: a verified publisher's version that asks for nothing staff must grant.
    verified = not in_review
    package, package_created, written_whole = lock_package(
        owner=owner, data=data, verified=verified, new_name=new_name, now=now
    )
    if package.publisher_id != owner.pk:
        # Claimed by another publisher between our check and this transaction.
        raise Forbidden(f"'{package.name}' belongs to another publisher.")
    package.publisher = owner  # the same row, already read: no query for whoever shows it
    bundle = assets["bundle"]
    styles = assets.get("styles")
    scoped = assets.get("scoped_styles")
    sourcemap = assets.get("sourcemap")
    version = PluginVersion(
        package=package,
        version=data["version"],
        manifest=data,
        bundle_key=bundle.key,
        bundle_url=bundle.url,
        bundle_sha256=bundle.sha256,
        bundle_integrity=bundle.integrity,
        bundle_size=bundle.size,
        styles_key=styles.key if styles else "",
        styles_url=styles.url if styles else "",
        styles_sha256=styles.sha256 if styles else "",
        styles_integrity=styles.integrity if styles else "",
        styles_size=styles.size if styles else None,
        scoped_styles_key=scoped.key if scoped else "",
        scoped_styles_url=scoped.url if scoped else "",
        scoped_styles_integrity=scoped.integrity if scoped else "",
        sourcemap_key=sourcemap.key if sourcemap else "",
        sourcemap_url=sourcemap.url if sourcemap else "",
        # Written once the row is committed (write_version_manifest), which clears this
        # again if it cannot be stored.
        manifest_key=storage.asset_key(
            package_name=package.name,
            version=data["version"],
            kind="manifest",
            in_review=not verified,
        ),
        release_notes=release_notes,
        findings=findings,
        shell_globals=shell_globals,
        deploy_requested=deploy,
        status=PluginVersion.Status.PUBLISHED if verified else PluginVersion.Status.PENDING_REVIEW,
        published_at=now if verified else None,
        published_by=actor if getattr(actor, "is_authenticated", False) else None,
    )
    version.save()
    if written_whole:
        # _lock_package wrote the row from this, its first, version; nothing is deployed yet.
        deployment = PluginDeployment(package=package)
    else:
        if is_newest(package, version):
            copy_manifest_metadata(package, data)
            set_search_vector(package)  # written by the save below, in one UPDATE
        advance_status(package, verified=verified, now=now)
        package.save()
        deployment, _ = PluginDeployment.objects.select_related("version").get_or_create(
            package=package
        )
        deployment.package = package
    deployment = deploy_published_version(
        deployment=deployment, version=version, actor=actor, reason="publish"
    )
    # A core package's first published version puts it in everyone's bootstrap.
    invalidate_package(package.name, core=package.is_core)
    details = {
        "status": version.status,
        "bundleSha256": version.bundle_sha256,
        "newPackage": package_created,
    }
    record_audit_event(actor, AuditAction.VERSION_PUBLISH, version, ip=ip, details=details)
    return PublishResult(package, version, deployment, True)
