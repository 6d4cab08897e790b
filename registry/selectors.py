"""Read queries of the catalog and the documents built from them."""

from __future__ import annotations

from datetime import timedelta
from functools import cache as once
from typing import Any

from django.core.cache import cache
from django.core.files.storage import storages
from django.db.models import Count, OuterRef, QuerySet, Subquery, Sum
from django.utils import timezone

from naap.errors import Conflict, NotFound
from registry.audit import AuditAction
from registry.cache import (
    MANIFEST_TIMEOUT,
    ManifestEntry,
    manifest_cache_key,
    package_generation,
    package_generations,
    render_manifest,
)
from registry.charts import bar_chart_svg, daily_series
from registry.membership import may_act_for_publisher
from registry.models import (
    AuditEvent,
    DeploymentEvent,
    DownloadStat,
    PluginDeployment,
    PluginPackage,
    PluginVersion,
)
from registry.routes import own_prefix, routes_overlap
from registry.visibility import may_see, without_previews


def iso(moment) -> str | None:
    """An ISO 8601 UTC timestamp ending in Z, or None."""
    if moment is None:
        return None
    return moment.isoformat().replace("+00:00", "Z")


def production_manifest(version: PluginVersion) -> dict[str, Any]:
    """The document the shell loads (SPEC §4), from a version row and its package."""
    package = version.package
    source = version.manifest or {}
    frontend = source.get("frontend") or {}
    document: dict[str, Any] = {
        "name": package.name,
        "displayName": source.get("displayName") or package.display_name,
        "version": version.version,
        "globalName": package.global_name,
        "bundleUrl": version.bundle_url,
        "stylesUrl": version.styles_url or None,
        "bundleHash": version.bundle_hash,
        "bundleSize": version.bundle_size,
        "stylesSize": version.styles_size,
        "integrity": {
            "bundle": version.bundle_integrity,
            "styles": version.styles_integrity or None,
        },
        "routes": frontend.get("routes") or [],
        "navigation": frontend.get("navigation") or None,
        "permissions": source.get("permissions") or {},
        "category": package.category,
        "description": source.get("description") or "",
        "icon": source.get("icon") or package.icon or None,
        "shell": source.get("shell") or {},
        "config": source.get("config") or None,
        "deprecated": version.deprecated or package.deprecated,
        "publishedAt": iso(version.published_at),
    }
    if version.deprecated or package.deprecated:
        document["deprecationMessage"] = version.deprecation_message or package.deprecation_message
    if version.scoped_styles_url:
        # The stylesheet scoped to the plugin's host, which our shell loads instead of
        # stylesUrl (kept as published, for NaaP's shell); docs/shell-runtime.md, "Styles".
        document["scopedStylesUrl"] = version.scoped_styles_url
        document["integrity"]["scopedStyles"] = version.scoped_styles_integrity
    if version.sourcemap_url:
        document["sourcemapUrl"] = version.sourcemap_url
    if version.shell_globals is not None:
        # What the shell loads before the bundle (React, ReactDOM); without it the shell asks
        # /shell-globals (versions published before it was recorded).
        document["shellGlobals"] = list(version.shell_globals)
    if version.status == PluginVersion.Status.YANKED:
        document["yanked"] = True
        document["yankReason"] = version.yank_reason
    return document


def stored_bundle(version: PluginVersion) -> bytes | None:
    """The bytes of a version's stored bundle, or None when it has none or it cannot be read.

    Opens the plugin storage directly: registry may not import publishing's AssetBackend, and
    reading one file needs nothing backend-specific.
    """
    if not version.bundle_key:
        return None
    try:
        with storages["plugins"].open(version.bundle_key, "rb") as bundle:
            return bundle.read()
    except OSError:  # FileNotFoundError included
        return None


def visible_package(*, name: str, user=None) -> PluginPackage:
    """A package people may see: published, unlisted or deprecated; others only to members;
    a preview only to those registry.visibility.may_see lets see it."""
    package = (
        PluginPackage.objects.select_related("publisher", "deployment__version")
        .filter(name=name)
        .first()
    )
    if package is None or not may_see(user, package):
        raise NotFound(f"No plugin named '{name}'.")
    if package.status in {PluginPackage.Status.PUBLISHED, PluginPackage.Status.UNLISTED}:
        return package
    if may_act_for_publisher(user, package.publisher):
        return package
    raise NotFound(f"No plugin named '{name}'.")


def versions_newest_first(package: PluginPackage, *, include_unpublished: bool) -> QuerySet:
    """A package's versions in SemVer order, newest first."""
    versions = package.versions.select_related("package").order_by("-sort_key")
    if not include_unpublished:
        versions = versions.filter(
            status__in=[PluginVersion.Status.PUBLISHED, PluginVersion.Status.YANKED]
        )
    return versions


def resolve_version(*, name: str, version: str) -> PluginVersion:
    """The version a manifest request names: `latest` is the deployed version, never yanked."""
    if version == "latest":
        deployment = (
            PluginDeployment.objects.select_related("version__package", "package")
            .filter(package__name=name)
            .first()
        )
        found = deployment.version if deployment else None
        if found is None or found.status != PluginVersion.Status.PUBLISHED:
            raise no_such_version(name=name, version=version)
        if found.package.status not in {
            PluginPackage.Status.PUBLISHED,
            PluginPackage.Status.UNLISTED,
        }:
            raise NotFound(f"No plugin named '{name}'.")
        return found
    found = (
        PluginVersion.objects.select_related("package")
        .filter(
            package__name=name,
            version=version,
            status__in=[PluginVersion.Status.PUBLISHED, PluginVersion.Status.YANKED],
            package__status__in=[PluginPackage.Status.PUBLISHED, PluginPackage.Status.UNLISTED],
        )
        .first()
    )
    if found is None:
        raise no_such_version(name=name, version=version)
    return found


def no_such_version(*, name: str, version: str) -> NotFound:
    """The 404 of a manifest request naming nothing servable, the same whether the package
    does not exist or the person may not see it (a preview)."""
    if version == "latest":
        return NotFound(f"Plugin '{name}' has no deployed version.")
    return NotFound(f"No published version {version} of plugin '{name}'.")


def deployment_with_events(*, name: str, limit: int = 20) -> tuple[PluginDeployment, list]:
    """A package's deployment and its most recent events."""
    deployment = (
        PluginDeployment.objects.select_related("package", "version", "canary_version")
        .filter(package__name=name)
        .first()
    )
    if deployment is None:
        raise NotFound(f"Plugin '{name}' has no deployment.")
    events = list(
        DeploymentEvent.objects.filter(deployment=deployment)
        .select_related("from_version", "to_version", "actor")
        .order_by("-created_at", "-id")[:limit]
    )
    return deployment, events


def package_by_name(*, name: str) -> PluginPackage:
    """A package by name whatever its status (for its owners and staff), or NotFound."""
    package = PluginPackage.objects.select_related("publisher").filter(name=name).first()
    if package is None:
        raise NotFound(f"No plugin named '{name}'.")
    return package


def version_by_name(*, name: str, version: str) -> PluginVersion:
    """A version by package name and version string whatever its status, or NotFound."""
    found = (
        PluginVersion.objects.select_related("package__publisher")
        .filter(package__name=name, version=version)
        .first()
    )
    if found is None:
        raise NotFound(f"No version {version} of plugin '{name}'.")
    return found


def deployment_of(package: PluginPackage) -> PluginDeployment | None:
    """The package's deployment with its version, or None before the first publish."""
    return PluginDeployment.objects.filter(package=package).select_related("version").first()


def rollback_candidates(package: PluginPackage) -> list[PluginVersion]:
    """Earlier published, non-yanked versions the deployment may roll back to, newest first."""
    deployment = deployment_of(package)
    versions = package.versions.filter(status=PluginVersion.Status.PUBLISHED).order_by("-sort_key")
    current = deployment.version if deployment else None
    if current is None:
        return list(versions)
    return [version for version in versions if version.parsed < current.parsed]


def cached_manifest(*, name: str, reference: str, user=None) -> ManifestEntry:
    """The rendered manifest for a version or `latest`, via the cache; a preview package's
    only for those who may see it (the same 404 as a missing one for anybody else).

    The generation is read before the database, so an entry written from data that a
    concurrent change has since replaced lands under a retired key (see registry.cache).
    """
    generation = package_generation(name)
    key = manifest_cache_key(name, reference, generation)
    entry: ManifestEntry | None = cache.get(key) if generation.known else None
    if entry is None:
        version = resolve_version(name=name, version=reference)
        entry = _rendered(version)
        if generation.known:
            cache.set(key, entry, MANIFEST_TIMEOUT)
    if entry.preview:
        package = PluginPackage.objects.select_related("publisher").filter(name=name).first()
        if package is None or not may_see(user, package):
            raise no_such_version(name=name, version=reference)
    return entry


def _rendered(version: PluginVersion) -> ManifestEntry:
    return render_manifest(
        production_manifest(version), version_id=version.pk, preview=version.package.preview
    )


def manifests_for_versions(versions: list[PluginVersion]) -> dict[int, ManifestEntry]:
    """Rendered manifests of many versions (package loaded) in two cache round trips."""
    generations = package_generations(sorted({version.package.name for version in versions}))
    keys = {
        version.pk: manifest_cache_key(
            version.package.name, version.version, generations[version.package.name]
        )
        for version in versions
    }
    known = all(generation.known for generation in generations.values())
    found = cache.get_many(list(keys.values())) if known else {}
    rendered: dict[int, ManifestEntry] = {}
    missing: dict[str, ManifestEntry] = {}
    for version in versions:
        entry = found.get(keys[version.pk])
        if entry is None:
            entry = _rendered(version)
            missing[keys[version.pk]] = entry
        rendered[version.pk] = entry
    if missing and known:
        cache.set_many(missing, MANIFEST_TIMEOUT)
    return rendered


def listed_packages() -> QuerySet:
    """Packages the registry lists: published, not a preview, with a published version (the
    FilterSet drops deprecated ones unless asked)."""
    # A copy of a queryset built once: resolving its subqueries took ~3 ms a request. The
    # template is never evaluated (no result cache to share) and holds no per-request value.
    return _listed_packages_template().all()


@once
def _listed_packages_template() -> QuerySet:
    # "Has a published version" is the stored date of the newest one (kept in step by the
    # services that publish, approve and yank): no per-package question to the versions.
    return (
        without_previews(
            PluginPackage.objects.filter(
                status=PluginPackage.Status.PUBLISHED, latest_published_at__isnull=False
            )
        )
        .select_related("publisher", "deployment__version")
        # Read by the search's SQL only, and by no card or list serializer (the deployed
        # version's manifest: kilobytes of JSON decoded per row).
        .defer("search_vector", "deployment__version__manifest")
        .annotate(
            newest_release=Subquery(
                PluginVersion.objects.filter(
                    package=OuterRef("pk"), status=PluginVersion.Status.PUBLISHED, prerelease=""
                )
                .order_by("-sort_key")
                .values("version")[:1]
            ),
        )
    )


# The columns `GET /api/v1/plugins/registry` answers with (registry.api.serializers
# `package_summaries`), read from listed_packages() as dicts: no model instances, and no
# manifest or other wide column of the package, its deployment or its deployed version.
SUMMARY_VALUES = (
    "id",
    "name",
    "display_name",
    "description",
    "category",
    "keywords",
    "icon",
    "publisher__name",
    "publisher__display_name",
    "publisher__verified",
    "deployment__version__version",
    "deployment__version__status",
    "newest_release",
    "downloads",
    "install_count",
    "rating_average",
    "rating_count",
    "deprecated",
    "featured",
    "is_core",
    "updated_at",
)


def latest_version_of(package: PluginPackage) -> str | None:
    """The version people get: the deployed one, else the newest published release."""
    deployment = getattr(package, "deployment", None)
    deployed = deployment.version if deployment is not None else None
    if deployed is not None and deployed.status == PluginVersion.Status.PUBLISHED:
        return deployed.version
    return getattr(package, "newest_release", None)


def category_facets(queryset: QuerySet) -> list[tuple[str, int]]:
    """(category, count) pairs of a listing, largest first."""
    rows = queryset.order_by().values("category").annotate(total=Count("pk"))
    return sorted(((row["category"], row["total"]) for row in rows), key=lambda r: (-r[1], r[0]))


def downloads_by_day(*, package: PluginPackage | None = None, days: int = 90) -> list[tuple]:
    """Daily download counts of one package (or all) over the last `days` days, zeros filled."""
    today = timezone.now().date()
    stats = DownloadStat.objects.filter(day__gt=today - timedelta(days=days))
    if package is not None:
        stats = stats.filter(package=package)
    counts = {row["day"]: row["total"] for row in stats.values("day").annotate(total=Sum("count"))}
    return daily_series(counts, days=days, today=today)


def staff_dashboard(*, days: int = 7) -> dict[str, Any]:
    """Numbers for the admin index: reviews waiting, recent publishes and installs, top plugins."""
    since = timezone.now() - timedelta(days=days)
    return {
        "pending_reviews": PluginVersion.objects.filter(
            status=PluginVersion.Status.PENDING_REVIEW
        ).count(),
        "recent_publishes": PluginVersion.objects.filter(created_at__gte=since).count(),
        "recent_installs": AuditEvent.objects.filter(
            created_at__gte=since, action=AuditAction.PLUGIN_INSTALL
        ).count(),
        "top_plugins": list(
            PluginPackage.objects.filter(downloads__gt=0)
            .order_by("-downloads", "name")
            .values("name", "downloads")[:5]
        ),
        "downloads_chart": bar_chart_svg(
            downloads_by_day(days=30), title="Downloads per day, last 30 days", height=120
        ),
        "days": days,
    }


def route_collision(routes: list[str], *, package_name: str) -> Conflict | None:
    """A Conflict naming the other package when one of these routes overlaps a route another
    package holds (its grant, which includes every top-level route it has published), else
    None. Routes under /plugins/<name> never collide: only their package may use them."""
    if not routes:
        return None
    holders = (
        PluginPackage.objects.exclude(name=package_name)
        .exclude(granted_routes=[])
        .only("name", "granted_routes", "preview")
        .order_by("name")
    )
    for other in holders:
        # A preview's name is not told to other publishers.
        holder = None if other.preview else other.name
        for theirs in other.granted_routes:
            for ours in routes:
                if routes_overlap(ours, theirs):
                    return Conflict(
                        f"The route {ours} collides with {theirs}, which "
                        f"{'another package' if holder is None else f'the package {holder!r}'}"
                        f" holds; use a route under {own_prefix(package_name)} "
                        "or another top-level path.",
                        field="frontend.routes",
                        details={"route": ours, "package": holder, "heldRoute": theirs},
                    )
    return None
