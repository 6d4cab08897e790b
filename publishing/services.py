"""The write path: publishers, publishing, moderation, deprecate, yank, deploy and rollback.

Every caller (API, CLI through the API, admin, `make dev`'s demo data) goes through these
functions. They take keyword-only arguments, raise naap.errors, and never speak HTTP.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from naap.errors import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    ValidationFailed,
)
from publishing import storage
from publishing.models import ApiToken
from publishing.tokens import require_package_allowed, require_scope
from publishing.validation import (
    check_bundle,
    check_styles,
    facet_category,
    scan_bundle,
    validate_manifest,
)
from registry import semver
from registry.membership import may_act_for_publisher
from registry.models import (
    DeploymentEvent,
    PluginDeployment,
    PluginPackage,
    PluginVersion,
    Publisher,
    PublisherMembership,
)
from registry.names import package_name_problem
from registry.services import (
    invalidate_manifests_on_commit,
    record_audit_event,
    set_search_vector,
)

logger = logging.getLogger(__name__)

MAX_SOURCEMAP_FACTOR = 4
MAX_RELEASE_NOTES = 20_000


@dataclass
class PublishResult:
    """What a publish did: created is False for an idempotent retry of identical content."""

    package: PluginPackage
    version: PluginVersion
    deployment: PluginDeployment | None
    created: bool
    warnings: list[str] = field(default_factory=list)


# --- publishers -----------------------------------------------------------------------------


@transaction.atomic
def create_publisher(
    *,
    actor,
    name: str,
    display_name: str,
    email: str = "",
    website: str = "",
    ip: str | None = None,
) -> Publisher:
    """Create an unverified publisher whose owner is the actor."""
    problem = package_name_problem(name)
    fields = {}
    if problem:
        fields["name"] = problem.replace("a package name", "a publisher name")
    elif Publisher.objects.filter(name=name).exists():
        raise Conflict(f"The publisher name '{name}' is taken.", field="name")
    if not display_name or not display_name.strip():
        fields["displayName"] = "A display name is required."
    if fields:
        raise ValidationFailed("The publisher is invalid.", fields=fields)
    publisher = Publisher.objects.create(
        name=name, display_name=display_name.strip(), email=email, website=website
    )
    PublisherMembership.objects.create(
        publisher=publisher, user=actor, role=PublisherMembership.Role.OWNER
    )
    record_audit_event(actor=actor, action="publisher.create", target=publisher, ip=ip)
    return publisher


def verify_publisher(*, actor, publisher: Publisher, ip: str | None = None) -> Publisher:
    """Staff mark a publisher verified: its next versions publish without review."""
    if not actor.is_staff:
        raise Forbidden("Only staff may verify publishers.")
    if not publisher.verified:
        publisher.verified = True
        publisher.save(update_fields=["verified", "updated_at"])
        record_audit_event(actor=actor, action="publisher.verify", target=publisher, ip=ip)
    return publisher


# --- authorisation --------------------------------------------------------------------------


def authorize_package_change(
    *, actor, token: ApiToken | None, package: PluginPackage, scope: str = "publish"
) -> None:
    """Owner token or publisher member (session), or staff, may change a package."""
    if token is not None:
        require_scope(token, scope)
        if token.publisher_id != package.publisher_id:
            raise Forbidden(
                f"'{package.name}' belongs to publisher '{package.publisher.name}', "
                f"not to '{token.publisher.name}' whose token this is."
            )
        require_package_allowed(token, package.name)
        return
    if may_act_for_publisher(actor, package.publisher):
        return
    raise Forbidden(f"Only members of '{package.publisher.name}' or staff may change it.")


def _publisher_for_publish(
    *, actor, token: ApiToken | None, publisher: Publisher | None, package: PluginPackage | None,
    name: str,
) -> Publisher:  # fmt: skip
    if package is not None:
        authorize_package_change(actor=actor, token=token, package=package)
        return package.publisher
    # A new name: the first publish claims it for the token's (or given) publisher.
    if token is not None:
        require_scope(token, "publish")
        require_package_allowed(token, name)
        return token.publisher
    if publisher is None:
        raise BadRequest("Name the publisher to publish a new package under.", field="publisher")
    if not may_act_for_publisher(actor, publisher):
        raise Forbidden(f"Only members of '{publisher.name}' may publish under it.")
    return publisher


# --- publishing -----------------------------------------------------------------------------


def parse_manifest(raw: str | bytes | dict) -> dict:
    """The manifest as a dict, from JSON text or an already parsed object."""
    if isinstance(raw, dict):
        return raw
    try:
        parsed = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as error:
        raise ValidationFailed(
            f"The manifest is not valid JSON: {error}.", field="manifest"
        ) from error
    if not isinstance(parsed, dict):
        raise ValidationFailed("The manifest must be a JSON object.", field="manifest")
    return parsed


def _validate_files(
    *, name: str, bundle: bytes, styles: bytes | None, sourcemap: bytes | None
) -> None:
    max_bundle = settings.PLUGIN_MAX_BUNDLE_BYTES
    report = check_bundle(bundle, package_name=name, max_bytes=max_bundle)
    problems = dict(report.errors)
    too_large = report.too_large
    if styles is not None:
        styles_report = check_styles(styles, max_bytes=settings.PLUGIN_MAX_STYLES_BYTES)
        problems.update(styles_report.errors)
        too_large = too_large or styles_report.too_large
    if sourcemap is not None:
        limit = max_bundle * MAX_SOURCEMAP_FACTOR
        if len(sourcemap) > limit:
            problems["sourcemap"] = (
                f"The sourcemap is {len(sourcemap)} bytes; the limit is {limit}."
            )
            too_large = True
        else:
            try:
                json.loads(sourcemap)
            except (ValueError, UnicodeDecodeError):
                problems["sourcemap"] = "The sourcemap is not valid JSON."
    if problems:
        message = "; ".join(f"{key}: {text}" for key, text in problems.items())
        error_class = PayloadTooLarge if too_large else ValidationFailed
        raise error_class(message, fields=problems)


def _same_files(version: PluginVersion, *, bundle_sha: str, styles_sha: str) -> bool:
    return version.bundle_sha256 == bundle_sha and version.styles_sha256 == styles_sha


def _conflict(version: PluginVersion) -> Conflict:
    return Conflict(
        f"{version.package.name}@{version.version} already exists with different files; "
        "published versions never change: bump the version.",
        field="version",
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
        raise ValidationFailed(f"The manifest is invalid: {message}", fields=report.errors)
    if len(release_notes) > MAX_RELEASE_NOTES:
        raise ValidationFailed(
            f"Release notes may be at most {MAX_RELEASE_NOTES} characters.", field="releaseNotes"
        )
    version_text = data["version"]
    _validate_files(name=name, bundle=bundle, styles=styles, sourcemap=sourcemap)
    owner = _publisher_for_publish(
        actor=actor, token=token, publisher=publisher, package=package, name=name
    )

    bundle_sha = storage.sha256_hex(bundle)
    styles_sha = storage.sha256_hex(styles) if styles is not None else ""
    if package is not None:
        existing = package.versions.filter(sort_key=semver.parse(version_text).sort_key()).first()
        if existing is not None:
            if existing.version == version_text and _same_files(
                existing, bundle_sha=bundle_sha, styles_sha=styles_sha
            ):
                return PublishResult(package, existing, _deployment_of(package), False)
            raise _conflict(existing)

    findings = scan_bundle(bundle.decode("utf-8-sig"), package_name=name, manifest=data)
    uploaded: list[str] = []
    try:
        assets = {}
        for kind, content, sha in (
            ("bundle", bundle, bundle_sha),
            ("styles", styles, styles_sha),
            ("sourcemap", sourcemap, bundle_sha),
        ):
            if content is None:
                continue
            assets[kind] = storage.store_asset(
                package_name=name, version=version_text, kind=kind, content=content, sha256=sha
            )
            if assets[kind].created:
                uploaded.append(assets[kind].key)
        result = _write_rows(
            actor=actor,
            owner=owner,
            data=data,
            assets=assets,
            findings=findings,
            release_notes=release_notes,
            deploy=deploy,
            ip=ip,
            new_name=package is None,
        )
    except IntegrityError:
        # A concurrent publish of the same version won the race. Identical content shares our
        # content-hashed keys, so they must stay; different content gets our files removed.
        winner = (
            PluginVersion.objects.select_related("package")
            .filter(package__name=name, sort_key=semver.parse(version_text).sort_key())
            .first()
        )
        if winner is not None and _same_files(winner, bundle_sha=bundle_sha, styles_sha=styles_sha):
            return PublishResult(winner.package, winner, _deployment_of(winner.package), False)
        _delete_unreferenced(uploaded)
        if winner is not None:
            raise _conflict(winner) from None
        raise
    except BaseException:
        _delete_unreferenced(uploaded)
        raise
    result.warnings = list(report.warnings)
    _write_version_manifest(result.version)
    return result


def _delete_unreferenced(keys: list[str]) -> None:
    """Remove files this publish uploaded, unless a committed version (a concurrent identical
    publish) now refers to them."""
    if not keys:
        return
    referenced = set()
    for field_name in ("bundle_key", "styles_key", "sourcemap_key", "manifest_key"):
        referenced.update(
            PluginVersion.objects.filter(**{f"{field_name}__in": keys}).values_list(
                field_name, flat=True
            )
        )
    storage.delete_keys([key for key in keys if key not in referenced])


def _deployment_of(package: PluginPackage) -> PluginDeployment | None:
    return PluginDeployment.objects.filter(package=package).select_related("version").first()


@transaction.atomic
def _write_rows(
    *,
    actor,
    owner: Publisher,
    data: dict,
    assets: dict[str, storage.StoredAsset],
    findings: list[dict],
    release_notes: str,
    deploy: bool,
    ip: str | None,
    new_name: bool,
) -> PublishResult:
    now = timezone.now()
    verified = owner.verified
    package, package_created, written_whole = _lock_package(
        owner=owner, data=data, verified=verified, new_name=new_name
    )
    if package.publisher_id != owner.pk:
        # Claimed by another publisher between our check and this transaction.
        raise Forbidden(f"'{package.name}' belongs to another publisher.")
    package.publisher = owner  # the same row, already read: no query for whoever shows it
    bundle = assets["bundle"]
    styles = assets.get("styles")
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
        sourcemap_key=sourcemap.key if sourcemap else "",
        sourcemap_url=sourcemap.url if sourcemap else "",
        # Written once the row is committed (_write_version_manifest), which clears this
        # again if it cannot be stored.
        manifest_key=storage.asset_key(
            package_name=package.name, version=data["version"], kind="manifest"
        ),
        release_notes=release_notes,
        findings=findings,
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
        if _is_newest(package, version):
            _copy_manifest_metadata(package, data)
            set_search_vector(package)  # written by the save below, in one UPDATE
        _advance_status(package, verified=verified)
        package.save()
        deployment, _ = PluginDeployment.objects.select_related("version").get_or_create(
            package=package
        )
        deployment.package = package
    current = deployment.version
    # Like approval: a backport (older than what runs) never moves the deployment back.
    newer = current is None or version.parsed > current.parsed
    if verified and deploy and not version.is_prerelease and newer:
        # _deploy saves the deployment and retires the package's cached manifests.
        deployment = _deploy(
            deployment=deployment, version=version, actor=actor, kind="deploy", reason="publish"
        )
    else:
        if deployment.pk is None:
            deployment.save()
        invalidate_manifests_on_commit(package.name)
    record_audit_event(
        actor=actor,
        action="version.publish",
        target=version,
        ip=ip,
        details={
            "status": version.status,
            "bundleSha256": version.bundle_sha256,
            "newPackage": package_created,
        },
    )
    return PublishResult(package, version, deployment, True)


def _lock_package(
    *, owner: Publisher, data: dict, verified: bool, new_name: bool
) -> tuple[PluginPackage, bool, bool]:
    """The package row, locked for this transaction; whether this publish created it; and
    whether it created it whole (metadata, status and search data from this version).

    A name nobody had when the publish began is inserted whole in one statement; if a
    concurrent first publish claimed it meanwhile, its row is locked instead, as for a name
    that already existed.
    """
    if new_name:
        package = PluginPackage(name=data["name"], publisher=owner)
        _copy_manifest_metadata(package, data)
        _advance_status(package, verified=verified)
        set_search_vector(package)
        try:
            with transaction.atomic():
                package.save(force_insert=True)
        except IntegrityError:
            pass
        else:
            return package, True, True
    package, created = PluginPackage.objects.select_for_update().get_or_create(
        name=data["name"],
        defaults={"publisher": owner, "display_name": data["displayName"]},
    )
    return package, created, False


def _is_newest(package: PluginPackage, version: PluginVersion) -> bool:
    """Whether the version describes the package: the newest release, or the newest
    pre-release while there is no release."""
    by_precedence = package.versions.order_by("-sort_key").values_list("pk", flat=True)
    newest = by_precedence.filter(prerelease="").first() or by_precedence.first()
    return newest == version.pk


def _advance_status(package: PluginPackage, *, verified: bool) -> None:
    """A verified publisher's version lists the package; others' put it up for review."""
    if verified and package.status in {
        PluginPackage.Status.DRAFT,
        PluginPackage.Status.PENDING_REVIEW,
    }:
        package.status = PluginPackage.Status.PUBLISHED
    elif not verified and package.status == PluginPackage.Status.DRAFT:
        package.status = PluginPackage.Status.PENDING_REVIEW


def _copy_manifest_metadata(package: PluginPackage, data: dict) -> None:
    """The newest version's manifest describes the package (as npm and PyPI do)."""
    package.display_name = data["displayName"]
    package.description = data.get("description") or ""
    package.category = facet_category(data.get("category")) if data.get("category") else "other"
    package.keywords = [k for k in data.get("keywords") or [] if isinstance(k, str)]
    package.icon = data.get("icon") or ""
    repository = data.get("repository") or ""
    package.repository = repository.get("url", "") if isinstance(repository, dict) else repository
    package.license = data.get("license") or ""
    author = data.get("author") or {}
    package.author = author if isinstance(author, dict) else {"name": str(author)}
    shell = data.get("shell") or {}
    minimum, maximum = shell.get("minVersion"), shell.get("maxVersion")
    package.shell_min_key = semver.parse(minimum).sort_key() if minimum else ""
    package.shell_max_key = semver.parse(maximum).sort_key() if maximum else ""


def _write_version_manifest(version: PluginVersion) -> None:
    """Store manifest.json beside the files once the row that names it is committed.

    Its key has no content hash, so only the publish that owns the committed row may write
    it (replacing any leftover of a crashed publish).
    """
    try:
        storage.store_asset(
            package_name=version.package.name,
            version=version.version,
            kind="manifest",
            content=json.dumps(version.manifest, indent=2, sort_keys=True).encode(),
            overwrite=True,
        )
    except Exception:
        # The API serves the manifest from the row; the stored copy is a convenience.
        logger.exception("Could not store manifest.json of %s", version)
        PluginVersion.objects.filter(pk=version.pk).update(manifest_key="")
        version.manifest_key = ""


# --- moderation -----------------------------------------------------------------------------


@transaction.atomic
def approve_version(*, actor, version: PluginVersion, ip: str | None = None) -> PluginVersion:
    """Staff approve a pending version: it is published and deploys as it would have."""
    if not actor.is_staff:
        raise Forbidden("Only staff may approve versions.")
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
    if version.deploy_requested and not version.is_prerelease:
        current = deployment.version
        if current is None or version.parsed > current.parsed:
            _deploy(deployment=deployment, version=version, actor=actor, kind="deploy",
                    reason="approved")  # fmt: skip
    record_audit_event(actor=actor, action="version.approve", target=version, ip=ip)
    invalidate_manifests_on_commit(package.name)
    return version


def reject_version(
    *, actor, version: PluginVersion, reason: str, ip: str | None = None
) -> PluginVersion:
    """Staff reject a pending version: its files are deleted and the reason recorded."""
    if not actor.is_staff:
        raise Forbidden("Only staff may reject versions.")
    if not reason or not reason.strip():
        raise ValidationFailed("Say why the version is rejected.", field="reason")
    with transaction.atomic():
        version = (
            PluginVersion.objects.select_for_update().select_related("package").get(pk=version.pk)
        )
        if version.status != PluginVersion.Status.PENDING_REVIEW:
            raise Conflict(f"{version} is not pending review.")
        keys = [version.bundle_key, version.styles_key, version.sourcemap_key, version.manifest_key]
        version.status = PluginVersion.Status.REJECTED
        version.rejection_reason = reason.strip()
        version.reviewed_at = timezone.now()
        version.reviewed_by = actor
        version.bundle_key = version.styles_key = version.sourcemap_key = ""
        version.manifest_key = ""
        version.save()
        package = version.package
        if not package.versions.exclude(status=PluginVersion.Status.REJECTED).exists():
            package.status = PluginPackage.Status.REJECTED
            package.save(update_fields=["status", "updated_at"])
        record_audit_event(
            actor=actor, action="version.reject", target=version, ip=ip,
            details={"reason": version.rejection_reason},
        )  # fmt: skip
        invalidate_manifests_on_commit(package.name)
    # Files go only once the rows no longer point at them.
    storage.delete_keys(keys)
    return version


# --- deprecate, yank, deploy, rollback ------------------------------------------------------


def get_version(*, name: str, version: str) -> PluginVersion:
    """A version by package name and version string, or NotFound."""
    found = (
        PluginVersion.objects.select_related("package__publisher")
        .filter(package__name=name, version=version)
        .first()
    )
    if found is None:
        raise NotFound(f"No version {version} of plugin '{name}'.")
    return found


def get_package(*, name: str) -> PluginPackage:
    """A package by name, or NotFound."""
    package = PluginPackage.objects.select_related("publisher").filter(name=name).first()
    if package is None:
        raise NotFound(f"No plugin named '{name}'.")
    return package


@transaction.atomic
def deprecate_version(
    *, actor, version: PluginVersion, message: str, token: ApiToken | None = None,
    ip: str | None = None,
) -> PluginVersion:  # fmt: skip
    """Mark a version deprecated with a message people will see; it keeps working."""
    authorize_package_change(actor=actor, token=token, package=version.package)
    if not message or not message.strip():
        raise ValidationFailed("Say why it is deprecated and what to use instead.", field="message")
    version.deprecated = True
    version.deprecation_message = message.strip()
    version.save(update_fields=["deprecated", "deprecation_message", "updated_at"])
    record_audit_event(
        actor=actor, action="version.deprecate", target=version, ip=ip,
        details={"message": version.deprecation_message},
    )  # fmt: skip
    invalidate_manifests_on_commit(version.package.name)
    return version


@transaction.atomic
def yank_version(
    *, actor, version: PluginVersion, reason: str, token: ApiToken | None = None,
    ip: str | None = None,
) -> PluginVersion:  # fmt: skip
    """Yank a version: never resolved as latest again; a deployment on it falls back."""
    authorize_package_change(actor=actor, token=token, package=version.package)
    if not reason or not reason.strip():
        raise ValidationFailed("Say why the version is yanked.", field="reason")
    version = PluginVersion.objects.select_for_update().select_related("package").get(pk=version.pk)
    if version.status not in {PluginVersion.Status.PUBLISHED, PluginVersion.Status.YANKED}:
        raise Conflict(f"Only published versions can be yanked; {version} is {version.status}.")
    version.status = PluginVersion.Status.YANKED
    version.yank_reason = reason.strip()
    version.save(update_fields=["status", "yank_reason", "updated_at"])
    deployment = (
        PluginDeployment.objects.select_for_update().filter(package=version.package).first()
    )
    if deployment is not None:
        if deployment.canary_version_id == version.pk:
            deployment.canary_version = None
            deployment.canary_percent = 0
            deployment.save(update_fields=["canary_version", "canary_percent", "updated_at"])
        if deployment.version_id == version.pk:
            fallback = (
                version.package.versions.filter(status=PluginVersion.Status.PUBLISHED,
                                                prerelease="")
                .exclude(pk=version.pk)
                .order_by("-sort_key")
                .first()
            )  # fmt: skip
            _deploy(deployment=deployment, version=fallback, actor=actor, kind="rollback",
                    reason=f"{version.version} yanked: {version.yank_reason}")  # fmt: skip
    record_audit_event(
        actor=actor, action="version.yank", target=version, ip=ip,
        details={"reason": version.yank_reason},
    )  # fmt: skip
    invalidate_manifests_on_commit(version.package.name)
    return version


def _deploy(
    *, deployment: PluginDeployment, version: PluginVersion | None, actor, kind: str, reason: str
) -> PluginDeployment:
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
    invalidate_manifests_on_commit(deployment.package.name)
    return deployment


@transaction.atomic
def rollback_deployment(
    *, actor, package: PluginPackage, to_version: str, reason: str = "",
    token: ApiToken | None = None, ip: str | None = None,
) -> PluginDeployment:  # fmt: skip
    """Re-point the deployment at an earlier published, non-yanked version, at once."""
    authorize_package_change(actor=actor, token=token, package=package)
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
    if current is not None and target.parsed > current.parsed:
        raise BadRequest(
            f"{target.version} is newer than the deployed {current.version}; "
            "rollback goes to an earlier version.",
            field="version",
        )
    deployment = _deploy(deployment=deployment, version=target, actor=actor, kind="rollback",
                         reason=reason.strip())  # fmt: skip
    record_audit_event(
        actor=actor, action="deployment.rollback", target=deployment, ip=ip,
        details={"from": current.version if current else None, "to": target.version,
                 "reason": reason.strip()},
    )  # fmt: skip
    return deployment


# --- staff actions on packages --------------------------------------------------------------


def _require_staff(actor, what: str) -> None:
    if not getattr(actor, "is_staff", False):
        raise Forbidden(f"Only staff may {what}.")


@transaction.atomic
def set_package_listing(
    *, actor, package: PluginPackage, listed: bool, ip: str | None = None
) -> PluginPackage:
    """Staff publish (list) or unlist a package; unlisted packages install but are not shown."""
    _require_staff(actor, "publish or unlist packages")
    if listed and not package.versions.filter(status=PluginVersion.Status.PUBLISHED).exists():
        raise Conflict(f"{package.name} has no published version to list.")
    status = PluginPackage.Status.PUBLISHED if listed else PluginPackage.Status.UNLISTED
    if package.status != status:
        package.status = status
        package.save(update_fields=["status", "updated_at"])
        record_audit_event(
            actor=actor, action="package.list" if listed else "package.unlist",
            target=package, ip=ip,
        )  # fmt: skip
        invalidate_manifests_on_commit(package.name)
    return package


@transaction.atomic
def deprecate_package(
    *, actor, package: PluginPackage, message: str, token: ApiToken | None = None,
    ip: str | None = None,
) -> PluginPackage:  # fmt: skip
    """Mark a whole package deprecated with a message; it leaves the listing, keeps working."""
    authorize_package_change(actor=actor, token=token, package=package)
    if not message or not message.strip():
        raise ValidationFailed("Say why it is deprecated and what to use instead.", field="message")
    package.deprecated = True
    package.deprecation_message = message.strip()
    package.save(update_fields=["deprecated", "deprecation_message", "updated_at"])
    record_audit_event(
        actor=actor, action="package.deprecate", target=package, ip=ip,
        details={"message": package.deprecation_message},
    )  # fmt: skip
    invalidate_manifests_on_commit(package.name)
    return package


@transaction.atomic
def set_package_flag(
    *, actor, package: PluginPackage, flag: str, value: bool, ip: str | None = None
) -> PluginPackage:
    """Staff set `featured` or `is_core` (core packages may use top-level routes)."""
    if flag not in {"featured", "is_core"}:
        raise BadRequest(f"Unknown package flag {flag!r}.")
    _require_staff(actor, "feature packages or mark them core")
    if getattr(package, flag) != value:
        setattr(package, flag, value)
        package.save(update_fields=[flag, "updated_at"])
        record_audit_event(
            actor=actor, action=f"package.{flag}", target=package, ip=ip,
            details={"value": value},
        )  # fmt: skip
        invalidate_manifests_on_commit(package.name)
    return package


def rollback_candidates(package: PluginPackage) -> list[PluginVersion]:
    """Earlier published, non-yanked versions the deployment may roll back to, newest first."""
    deployment = _deployment_of(package)
    versions = package.versions.filter(status=PluginVersion.Status.PUBLISHED).order_by("-sort_key")
    current = deployment.version if deployment else None
    if current is None:
        return list(versions)
    return [version for version in versions if version.parsed < current.parsed]
