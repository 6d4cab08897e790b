"""The package row a publish writes: locked or inserted whole, its status, and the metadata
the newest version's manifest gives it (publishing.services.publish)."""

from __future__ import annotations

from datetime import datetime

from django.db import IntegrityError, transaction

from publishing.validation import facet_category
from registry import semver
from registry.models import PluginPackage, PluginVersion, Publisher
from registry.services import set_search_vector


def lock_package(
    *, owner: Publisher, data: dict, verified: bool, new_name: bool, now: datetime
) -> tuple[PluginPackage, bool, bool]:
    """The package row, locked for this transaction; whether this publish created it; and
    whether it created it whole (metadata, status and search data from this version).

    A name nobody had when the publish began is inserted whole in one statement; if a
    concurrent first publish claimed it meanwhile, its row is locked instead, as for a name
    that already existed.
    """
    if new_name:
        package = PluginPackage(name=data["name"], publisher=owner)
        copy_manifest_metadata(package, data)
        advance_status(package, verified=verified, now=now)
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


def is_newest(package: PluginPackage, version: PluginVersion) -> bool:
    """Whether the version describes the package: the newest release, or the newest
    pre-release while there is no release."""
    by_precedence = package.versions.order_by("-sort_key").values_list("pk", flat=True)
    newest = by_precedence.filter(prerelease="").first() or by_precedence.first()
    return newest == version.pk


def advance_status(package: PluginPackage, *, verified: bool, now: datetime) -> None:
    """A verified publisher's version lists the package, published `now` (its newest
    published version, PluginPackage.latest_published_at); others' put it up for review."""
    if verified:  # a concurrent publish that took its time later may have committed first
        package.latest_published_at = max(package.latest_published_at or now, now)
    if verified and package.status in {
        PluginPackage.Status.DRAFT,
        PluginPackage.Status.PENDING_REVIEW,
    }:
        package.status = PluginPackage.Status.PUBLISHED
    elif not verified and package.status == PluginPackage.Status.DRAFT:
        package.status = PluginPackage.Status.PENDING_REVIEW


def copy_manifest_metadata(package: PluginPackage, data: dict) -> None:
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
    # npm ranges ("2.x"): the keys bound the versions they admit (registry.semver).
    low, high = semver.shell_bounds(minimum=minimum, maximum=maximum)
    package.shell_min_key = semver.low_key(low)
    package.shell_max_key = semver.high_key(high)
