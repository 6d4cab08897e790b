"""Shapes of catalog objects in the API (camelCase)."""

from __future__ import annotations

from rest_framework import serializers

from registry.filters import SORT_CHOICES
from registry.models import DeploymentEvent, PluginDeployment, PluginPackage, PluginVersion
from registry.selectors import latest_version_of


class PublisherSummarySerializer(serializers.Serializer):
    name = serializers.CharField()
    displayName = serializers.CharField(source="display_name")
    verified = serializers.BooleanField()


class VersionSerializer(serializers.ModelSerializer):
    isPrerelease = serializers.BooleanField(source="is_prerelease", read_only=True)
    bundleUrl = serializers.CharField(source="bundle_url")
    bundleHash = serializers.CharField(source="bundle_hash", read_only=True)
    bundleSize = serializers.IntegerField(source="bundle_size", allow_null=True)
    bundleIntegrity = serializers.CharField(source="bundle_integrity")
    stylesUrl = serializers.CharField(source="styles_url")
    stylesSize = serializers.IntegerField(source="styles_size", allow_null=True)
    stylesIntegrity = serializers.CharField(source="styles_integrity")
    # The stylesheet scoped to the plugin's element, which our shell loads (docs/shell-runtime.md).
    scopedStylesUrl = serializers.CharField(source="scoped_styles_url")
    scopedStylesIntegrity = serializers.CharField(source="scoped_styles_integrity")
    sourcemapUrl = serializers.CharField(source="sourcemap_url")
    releaseNotes = serializers.CharField(source="release_notes")
    deprecationMessage = serializers.CharField(source="deprecation_message")
    yankReason = serializers.CharField(source="yank_reason")
    rejectionReason = serializers.CharField(source="rejection_reason")
    findings = serializers.ListField(child=serializers.DictField())
    shellGlobals = serializers.ListField(
        source="shell_globals", child=serializers.CharField(), allow_null=True
    )
    publishedAt = serializers.DateTimeField(source="published_at", allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")

    class Meta:
        model = PluginVersion
        fields = [
            "version",
            "status",
            "isPrerelease",
            "deprecated",
            "deprecationMessage",
            "yankReason",
            "rejectionReason",
            "bundleUrl",
            "bundleHash",
            "bundleSize",
            "bundleIntegrity",
            "stylesUrl",
            "stylesSize",
            "stylesIntegrity",
            "scopedStylesUrl",
            "scopedStylesIntegrity",
            "sourcemapUrl",
            "releaseNotes",
            "findings",
            "shellGlobals",
            "downloads",
            "publishedAt",
            "createdAt",
        ]


# The fields a package's card shows, first in every view of a package.
PACKAGE_CARD_FIELDS = ["name", "displayName", "description", "category", "keywords", "icon"]


class PackageSummarySerializer(serializers.ModelSerializer):
    displayName = serializers.CharField(source="display_name")
    publisher = PublisherSummarySerializer()
    latestVersion = serializers.SerializerMethodField()
    installCount = serializers.IntegerField(source="install_count")
    isCore = serializers.BooleanField(source="is_core")
    updatedAt = serializers.DateTimeField(source="updated_at")
    # Upstream's name for the average of the visible reviews' ratings (null: none yet).
    rating = serializers.SerializerMethodField()
    ratingCount = serializers.IntegerField(source="rating_count")

    class Meta:
        model = PluginPackage
        fields = [
            *PACKAGE_CARD_FIELDS,
            "publisher",
            "latestVersion",
            "downloads",
            "installCount",
            "rating",
            "ratingCount",
            "deprecated",
            "featured",
            "isCore",
            "updatedAt",
        ]

    def get_latestVersion(self, package: PluginPackage) -> str | None:
        return latest_version_of(package)

    def get_rating(self, package: PluginPackage) -> float | None:
        average = package.rating_average
        return None if average is None else round(average, 2)


def package_summaries(rows: list[dict]) -> list[dict]:
    """PackageSummarySerializer's output for rows of `selectors.listed_package_summaries()`
    (dicts, no model instances): the same keys, order and values, built without a serializer
    per row. tests/registry/test_search_speed.py holds them equal."""
    updated_at = serializers.DateTimeField().to_representation
    published = PluginVersion.Status.PUBLISHED
    return [
        {
            "name": row["name"],
            "displayName": row["display_name"],
            "description": row["description"],
            "category": row["category"],
            "keywords": row["keywords"],
            "icon": row["icon"],
            "publisher": {
                "name": row["publisher__name"],
                "displayName": row["publisher__display_name"],
                "verified": row["publisher__verified"],
            },
            "latestVersion": (
                row["deployment__version__version"]
                if row["deployment__version__status"] == published
                else row["newest_release"]
            ),
            "downloads": row["downloads"],
            "installCount": row["install_count"],
            "rating": None if row["rating_average"] is None else round(row["rating_average"], 2),
            "ratingCount": row["rating_count"],
            "deprecated": row["deprecated"],
            "featured": row["featured"],
            "isCore": row["is_core"],
            "updatedAt": updated_at(row["updated_at"]),
        }
        for row in rows
    ]


class PackageSerializer(PackageSummarySerializer):
    """Everything about a package; shares the card's fields with its summary."""

    deprecationMessage = serializers.CharField(source="deprecation_message")
    globalName = serializers.CharField(source="global_name", read_only=True)
    createdAt = serializers.DateTimeField(source="created_at")

    class Meta:
        model = PluginPackage
        fields = [
            *PACKAGE_CARD_FIELDS,
            "repository",
            "license",
            "author",
            "publisher",
            "status",
            "deprecated",
            "deprecationMessage",
            "isCore",
            "featured",
            "downloads",
            "installCount",
            "rating",
            "ratingCount",
            "globalName",
            "createdAt",
            "updatedAt",
        ]


class DeploymentEventSerializer(serializers.ModelSerializer):
    fromVersion = serializers.CharField(
        source="from_version.version", default=None, allow_null=True
    )
    toVersion = serializers.CharField(source="to_version.version", default=None, allow_null=True)
    actor = serializers.CharField(source="actor.username", default=None, allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")
    # A staged rollout's step: the candidate's share before and after (null outside one).
    fromPercent = serializers.IntegerField(source="from_percent", allow_null=True)
    toPercent = serializers.IntegerField(source="to_percent", allow_null=True)

    class Meta:
        model = DeploymentEvent
        fields = [
            "kind",
            "fromVersion",
            "toVersion",
            "actor",
            "reason",
            "fromPercent",
            "toPercent",
            "createdAt",
        ]


class DeploymentSerializer(serializers.ModelSerializer):
    package = serializers.CharField(source="package.name")
    version = serializers.CharField(source="version.version", default=None, allow_null=True)
    canaryVersion = serializers.CharField(
        source="canary_version.version", default=None, allow_null=True
    )
    canaryPercent = serializers.IntegerField(source="canary_percent")
    deployedAt = serializers.DateTimeField(source="deployed_at", allow_null=True)
    healthStatus = serializers.CharField(source="health_status")
    activeInstalls = serializers.IntegerField(source="active_installs")

    class Meta:
        model = PluginDeployment
        fields = [
            "package",
            "version",
            "status",
            "deployedAt",
            "healthStatus",
            "activeInstalls",
            "canaryVersion",
            "canaryPercent",
        ]


class RegistryQuerySerializer(serializers.Serializer):
    # Bounded, so an offset never overflows the database: 100,000 pages of 100 is far past
    # any catalog, and a page past the last one is simply empty.
    page = serializers.IntegerField(min_value=1, max_value=100_000, default=1)
    limit = serializers.IntegerField(min_value=1, max_value=100, default=20)


class RegistryPackageSerializer(PackageSerializer):
    """A package of `GET /api/v1/registry/packages` (upstream NaaP's listing): everything
    about it and the version people get."""

    class Meta(PackageSerializer.Meta):
        # Not `status`: every package listed is published.
        fields = [
            *(field for field in PackageSerializer.Meta.fields if field != "status"),
            "latestVersion",
        ]


# Upstream's sorts are the catalog's (`rating` included).
PACKAGES_SORTS = [choice for choice, _ in SORT_CHOICES]


class RegistryPackagesQuerySerializer(serializers.Serializer):
    """The query of `GET /api/v1/registry/packages`: upstream's names, bounded."""

    search = serializers.CharField(required=False, allow_blank=True, max_length=100)
    category = serializers.CharField(
        required=False, allow_blank=True, max_length=50, help_text="`all` or empty: every one"
    )
    sort = serializers.ChoiceField(choices=PACKAGES_SORTS, required=False)
    page = serializers.IntegerField(min_value=1, max_value=100_000, default=1)
    pageSize = serializers.IntegerField(min_value=1, max_value=100, default=20)
