"""The catalog: publishers, packages, versions, deployments, download counts and the audit log."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

from naap.models import TimestampedModel
from registry import semver
from registry.names import global_name_for, package_name_problem


def validate_package_name(value: str) -> None:
    problem = package_name_problem(value)
    if problem:
        raise ValidationError(problem, code="invalid_name")


def validate_semver(value: str) -> None:
    try:
        semver.parse(value)
    except semver.InvalidVersion as error:
        raise ValidationError(str(error), code="invalid_version") from error


class Publisher(TimestampedModel):
    name = models.SlugField(max_length=64, unique=True, validators=[validate_package_name])
    display_name = models.CharField(max_length=100)
    email = models.EmailField(blank=True)
    website = models.URLField(blank=True)
    verified = models.BooleanField(default=False)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="PublisherMembership", related_name="publishers"
    )

    class Meta:
        ordering = ["name"]
        permissions = [("verify_publisher", "Can verify publishers")]

    def __str__(self) -> str:
        return self.name


class PublisherRole(models.TextChoices):
    OWNER = "owner", "Owner"
    MAINTAINER = "maintainer", "Maintainer"


class PublisherMembership(TimestampedModel):
    Role = PublisherRole

    publisher = models.ForeignKey(Publisher, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="publisher_memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MAINTAINER)

    class Meta:
        ordering = ["publisher__name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["publisher", "user"], name="publisher_member_unique"),
            models.CheckConstraint(
                condition=Q(role__in=PublisherRole.values), name="publisher_member_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.publisher}"


class PackageStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING_REVIEW = "pending_review", "Pending review"
    PUBLISHED = "published", "Published"
    UNLISTED = "unlisted", "Unlisted"
    REJECTED = "rejected", "Rejected"


class PluginPackage(TimestampedModel):
    Status = PackageStatus

    name = models.CharField(max_length=64, unique=True, validators=[validate_package_name])
    display_name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    category = models.SlugField(max_length=50, default="other")
    keywords = models.JSONField(default=list, blank=True)
    icon = models.CharField(max_length=200, blank=True)
    repository = models.CharField(max_length=500, blank=True)
    license = models.CharField(max_length=100, blank=True)
    author = models.JSONField(default=dict, blank=True)
    publisher = models.ForeignKey(Publisher, on_delete=models.PROTECT, related_name="packages")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    deprecated = models.BooleanField(default=False)
    deprecation_message = models.TextField(blank=True)
    is_core = models.BooleanField(default=False)
    # Routes outside /plugins/<name> that staff granted by approving a version asking for them
    # (registry.routes); later versions within them publish without review.
    granted_routes = models.JSONField(default=list, blank=True)
    # Origins (scheme://host[:port]) its versions declare that staff approved by approving a
    # version declaring them (registry.origins): the shell's frame lets the package's loaded
    # version connect to those of them it declares; later versions within them need no review.
    granted_origins = models.JSONField(default=list, blank=True)
    featured = models.BooleanField(default=False)
    # A preview: seen only by its testers (installs.PreviewTester, users or teams), its
    # publisher's members and staff; 404 for everyone else on every read path
    # (registry.visibility). Upstream NaaP's `visibleToUsers: false`.
    preview = models.BooleanField(default=False)
    downloads = models.BigIntegerField(default=0)
    install_count = models.IntegerField(default=0)
    # The newest version's `shell` range as semver sort keys ("" = unbounded), for filtering
    # the registry by the shell version asking.
    shell_min_key = models.CharField(max_length=255, blank=True, editable=False)
    shell_max_key = models.CharField(max_length=255, blank=True, editable=False)
    # Full-text data: filled by registry.services on PostgreSQL, left empty on SQLite.
    search_vector = SearchVectorField(null=True, blank=True, editable=False)
    # Its reviews' ratings that staff have not hidden, recounted by the reviews app in each
    # review write's transaction (docs/decisions.md, "Ratings and reviews"): browse sorts on
    # them without a join. The distribution counts 1 to 5 stars, in that order.
    rating_count = models.PositiveIntegerField(default=0, editable=False)
    rating_average = models.FloatField(null=True, blank=True, editable=False)
    rating_distribution = models.JSONField(default=list, blank=True, editable=False)
    # When its newest published version was published; null while none is published (never,
    # or all yanked). Kept in step by the services that publish, approve and yank
    # (registry.services.refresh_latest_published): the listing's "has a published version"
    # and sort=newest read this column instead of asking every package's versions.
    latest_published_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("list_pluginpackage", "Can list, unlist, feature, mark core or deprecate packages")
        ]
        indexes = [
            models.Index(fields=["status", "deprecated", "-downloads"], name="package_listing_idx"),
            models.Index(fields=["category", "status"], name="package_category_idx"),
            # sort=rating's order has an index on PostgreSQL only (SQLite cannot index NULLS
            # LAST): migration 0012_package_ratings.
            # The listing by downloads (the browse page's default order), walked in order and
            # stopped at the page: no sort of every listed package.
            models.Index(
                fields=["-downloads", "name"],
                condition=Q(status="published", deprecated=False),
                name="package_downloads_idx",
            ),
            # sort=newest, walked in order and stopped at the page, as by downloads.
            models.Index(
                fields=["-latest_published_at", "name"],
                # The date in the condition, not only the key: no plan can read the packages
                # having one from this index in place of a search's matches.
                condition=Q(
                    status="published", deprecated=False, latest_published_at__isnull=False
                ),
                name="package_newest_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PackageStatus.values),
                name="package_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(downloads__gte=0) & Q(install_count__gte=0),
                name="package_counters_not_negative",
            ),
            # No ratings, no average; an average is within the stars.
            models.CheckConstraint(
                condition=(Q(rating_count=0) & Q(rating_average__isnull=True))
                | (Q(rating_count__gt=0) & Q(rating_average__gte=1) & Q(rating_average__lte=5)),
                name="package_rating_in_step",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def global_name(self) -> str:
        return global_name_for(self.name)


class VersionStatus(models.TextChoices):
    PENDING_REVIEW = "pending_review", "Pending review"
    PUBLISHED = "published", "Published"
    REJECTED = "rejected", "Rejected"
    YANKED = "yanked", "Yanked"


# The fields of PluginVersion that hold storage keys, named once: publishing, moderation and
# the asset collector read and clear them together.
ASSET_KEY_FIELDS = (
    "bundle_key",
    "styles_key",
    "scoped_styles_key",
    "sourcemap_key",
    "manifest_key",
)


class PluginVersion(TimestampedModel):
    Status = VersionStatus

    package = models.ForeignKey(PluginPackage, on_delete=models.CASCADE, related_name="versions")
    version = models.CharField(max_length=64, validators=[validate_semver])
    # Parsed parts for ordering in SQL: sort_key's lexical order is SemVer precedence.
    major = models.PositiveIntegerField(default=0)
    minor = models.PositiveIntegerField(default=0)
    patch = models.PositiveIntegerField(default=0)
    prerelease = models.CharField(max_length=64, blank=True)
    sort_key = models.CharField(max_length=255, editable=False)
    manifest = models.JSONField(default=dict)
    bundle_key = models.CharField(max_length=500, blank=True)
    bundle_url = models.URLField(max_length=1000, blank=True)
    bundle_sha256 = models.CharField(max_length=64, blank=True)
    bundle_integrity = models.CharField(max_length=100, blank=True)
    bundle_size = models.PositiveIntegerField(null=True, blank=True)
    styles_key = models.CharField(max_length=500, blank=True)
    styles_url = models.URLField(max_length=1000, blank=True)
    styles_sha256 = models.CharField(max_length=64, blank=True)
    styles_integrity = models.CharField(max_length=100, blank=True)
    styles_size = models.PositiveIntegerField(null=True, blank=True)
    # The stylesheet scoped to the plugin's host (publishing/scoped_styles.py), which our shell
    # loads instead of styles_url; styles_url stays the file as published, for NaaP's shell.
    # Empty without styles, and for a version published before this was derived, until
    # `manage.py scope_styles`.
    scoped_styles_key = models.CharField(max_length=500, blank=True)
    scoped_styles_url = models.URLField(max_length=1000, blank=True)
    scoped_styles_integrity = models.CharField(max_length=100, blank=True)
    sourcemap_key = models.CharField(max_length=500, blank=True)
    sourcemap_url = models.URLField(max_length=1000, blank=True)
    manifest_key = models.CharField(max_length=500, blank=True)
    release_notes = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING_REVIEW)
    deprecated = models.BooleanField(default=False)
    deprecation_message = models.TextField(blank=True)
    yank_reason = models.TextField(blank=True)
    rejection_reason = models.TextField(blank=True)
    # Automated checks run at publish time (SPEC §7), shown to publisher and staff.
    findings = models.JSONField(default=list, blank=True)
    # The shell globals the shell loads before the bundle runs (["React", "ReactDOM"] or []),
    # read from the bundle's UMD wrapper when it is published (registry/umd.py). None for a
    # version published before this was recorded, until `manage.py record_shell_globals`.
    shell_globals = models.JSONField(null=True, blank=True, default=None)
    # Whether the publisher asked this version to become active once it is published.
    deploy_requested = models.BooleanField(default=True)
    downloads = models.BigIntegerField(default=0)
    published_at = models.DateTimeField(null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="published_versions",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="reviewed_versions",
    )
    # Deprecated: the pre-registry URL of a bundle, kept so migrate_legacy_urls can move it.
    frontend_url = models.URLField(max_length=1000, blank=True)

    class Meta:
        ordering = ["package__name", "-sort_key"]
        permissions = [
            ("review_pluginversion", "Can approve or reject versions waiting for review"),
            ("withdraw_pluginversion", "Can deprecate or yank any package's versions"),
        ]
        indexes = [
            models.Index(fields=["package", "-sort_key"], name="version_order_idx"),
            models.Index(fields=["status", "created_at"], name="version_review_idx"),
            # Per-package questions, each one probe of a small index (read alone, with no
            # table visit, once vacuumed): when was its newest published
            # (refresh_latest_published), which is its newest release (the listing's rows).
            models.Index(
                fields=["package", "-published_at"],
                condition=Q(status="published"),
                name="version_published_idx",
            ),
            models.Index(
                fields=["package", "-sort_key"],
                condition=Q(status="published", prerelease=""),
                name="version_release_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["package", "version"], name="version_unique"),
            # 1.0.0+a and 1.0.0+b have the same precedence; a registry may hold only one.
            models.UniqueConstraint(
                fields=["package", "sort_key"], name="version_precedence_unique"
            ),
            models.CheckConstraint(
                condition=Q(status__in=VersionStatus.values),
                name="version_status_valid",
            ),
            # A published version says when: PluginPackage.latest_published_at is read from it.
            models.CheckConstraint(
                condition=~Q(status="published") | Q(published_at__isnull=False),
                name="version_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.package.name}@{self.version}" if self.package_id else self.version

    @property
    def asset_keys(self) -> list[str]:
        """The storage keys of this version's files, empty ones left out."""
        return [key for key in (getattr(self, name) for name in ASSET_KEY_FIELDS) if key]

    def forget_assets(self) -> None:
        """Clear every storage key (before saving), once the files are to be deleted."""
        for name in ASSET_KEY_FIELDS:
            setattr(self, name, "")

    @property
    def parsed(self) -> semver.Version:
        return semver.parse(self.version)

    @property
    def is_prerelease(self) -> bool:
        return bool(self.prerelease)

    @property
    def bundle_hash(self) -> str:
        return self.bundle_sha256[:8]

    def save(self, *args, **kwargs):
        # The ordering columns are derived from the version string, never set by hand.
        parsed = semver.parse(self.version)
        self.major, self.minor, self.patch = parsed.major, parsed.minor, parsed.patch
        self.prerelease = ".".join(parsed.prerelease)
        self.sort_key = parsed.sort_key()
        super().save(*args, **kwargs)


class PluginDeployment(TimestampedModel):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ACTIVE = "active", "Active"
        INACTIVE = "inactive", "Inactive"

    class Health(models.TextChoices):
        UNKNOWN = "unknown", "Unknown"
        HEALTHY = "healthy", "Healthy"
        DEGRADED = "degraded", "Degraded"
        UNHEALTHY = "unhealthy", "Unhealthy"

    package = models.OneToOneField(
        PluginPackage, on_delete=models.CASCADE, related_name="deployment"
    )
    version = models.ForeignKey(
        PluginVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    deployed_at = models.DateTimeField(null=True, blank=True)
    deployed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    health_status = models.CharField(max_length=16, choices=Health.choices, default=Health.UNKNOWN)
    active_installs = models.IntegerField(default=0)
    canary_version = models.ForeignKey(
        PluginVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    canary_percent = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(100)]
    )

    class Meta:
        ordering = ["package__name"]
        permissions = [("rollback_plugindeployment", "Can roll back any package's deployment")]
        constraints = [
            models.CheckConstraint(
                condition=Q(canary_percent__gte=0) & Q(canary_percent__lte=100),
                name="deployment_canary_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(active_installs__gte=0), name="deployment_installs_not_negative"
            ),
        ]

    def __str__(self) -> str:
        version = self.version.version if self.version_id else "none"
        return f"{self.package.name} -> {version}"


class DeploymentEventKind(models.TextChoices):
    DEPLOY = "deploy", "Deploy"
    ROLLBACK = "rollback", "Rollback"
    CANARY = "canary", "Canary"
    PROMOTE = "promote", "Promote"
    ABORT = "abort", "Abort"
    # Staged rollouts (registry.rollouts): CANARY starts one, PROMOTE and ABORT end one.
    ADVANCE = "advance", "Advance"
    PAUSE = "pause", "Pause"
    RESUME = "resume", "Resume"
    SUPERSEDE = "supersede", "Supersede"


class DeploymentEvent(TimestampedModel):
    Kind = DeploymentEventKind

    deployment = models.ForeignKey(
        PluginDeployment, on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(max_length=16, choices=Kind.choices)
    from_version = models.ForeignKey(
        PluginVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    to_version = models.ForeignKey(
        PluginVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.TextField(blank=True)
    rollout = models.ForeignKey(
        "Rollout", null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    # The candidate's share of people before and after a rollout's step (null outside one).
    from_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    to_percent = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=DeploymentEventKind.values),
                name="deployment_event_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.deployment.package.name} at {self.created_at:%Y-%m-%d %H:%M}"


# Field reports', rollouts' and history's rows live in their own modules; importing them here
# registers them with the app.
from registry.field_models import PluginVersionMinute  # noqa: E402, F401
from registry.history_models import AuditEvent, DownloadStat  # noqa: E402, F401
from registry.rollout_models import Rollout, RolloutStatus  # noqa: E402, F401
