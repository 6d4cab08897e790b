"""Tenants and what they installed: teams, installs, preferences and plugin storage."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from naap.models import TimestampedModel
from registry.models import PluginPackage, PluginVersion, validate_package_name

MAX_STORAGE_VALUE_BYTES = 64 * 1024


class Team(TimestampedModel):
    name = models.SlugField(max_length=64, unique=True, validators=[validate_package_name])
    display_name = models.CharField(max_length=100)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="TeamMembership", related_name="teams"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TeamRole(models.TextChoices):
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"


class TeamMembership(TimestampedModel):
    Role = TeamRole

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        ordering = ["team__name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["team", "user"], name="team_member_unique"),
            models.CheckConstraint(
                condition=Q(role__in=TeamRole.values), name="team_member_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.role}) in {self.team}"


# A row that belongs to a user or to a team: exactly one of the two (installations, testers).
USER_XOR_TEAM = (Q(user__isnull=False) & Q(team__isnull=True)) | (
    Q(user__isnull=True) & Q(team__isnull=False)
)


class TenantPluginInstall(TimestampedModel):
    package = models.ForeignKey(PluginPackage, on_delete=models.CASCADE, related_name="installs")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="plugin_installs",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="plugin_installs"
    )
    config = models.JSONField(default=dict, blank=True)
    pinned_version = models.ForeignKey(
        PluginVersion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    installed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    enabled = models.BooleanField(default=True)

    class Meta:
        ordering = ["package__name"]
        constraints = [
            # A row belongs to exactly one tenant: a user or a team, never both, never neither.
            models.CheckConstraint(
                condition=USER_XOR_TEAM,
                name="install_exactly_one_tenant",
            ),
            models.UniqueConstraint(
                fields=["user", "package"],
                condition=Q(user__isnull=False),
                name="install_unique_per_user",
            ),
            models.UniqueConstraint(
                fields=["team", "package"],
                condition=Q(team__isnull=False),
                name="install_unique_per_team",
            ),
        ]

    def __str__(self) -> str:
        tenant = f"team {self.team}" if self.team_id else f"user {self.user}"
        return f"{self.package} for {tenant}"


class UserPluginPreference(TimestampedModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plugin_preferences"
    )
    package = models.ForeignKey(PluginPackage, on_delete=models.CASCADE, related_name="preferences")
    enabled = models.BooleanField(default=True)
    order = models.IntegerField(default=0)
    pinned = models.BooleanField(default=False)

    class Meta:
        ordering = ["user__username", "-pinned", "order", "package__name"]
        constraints = [
            models.UniqueConstraint(fields=["user", "package"], name="preference_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} / {self.package}"


class PluginStorageEntry(TimestampedModel):
    package = models.ForeignKey(
        PluginPackage, on_delete=models.CASCADE, related_name="storage_entries"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plugin_storage"
    )
    key = models.CharField(max_length=128)
    value = models.JSONField(null=True)

    class Meta:
        ordering = ["package__name", "user__username", "key"]
        verbose_name_plural = "plugin storage entries"
        constraints = [
            models.UniqueConstraint(fields=["package", "user", "key"], name="storage_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.package}:{self.user}:{self.key}"


class PreviewTester(TimestampedModel):
    """A person or a team named to test a preview package (registry's `PluginPackage.preview`).

    It lives here, not in registry, because teams do: registry asks whether someone tests a
    package through the check installs registers (registry.visibility). A tester's first boot
    installs the preview for them (a team: for the team, once) and notes it in `installed_at`;
    an install, configure or uninstall of the preview by that tenant claims the row too.
    """

    package = models.ForeignKey(
        PluginPackage, on_delete=models.CASCADE, related_name="preview_testers"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="preview_tests",
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="preview_tests"
    )
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # When the row was claimed: by the boot that installed the preview (the person, or the
    # team once), or by the tenant's own install, configure or uninstall of it. Set once, so
    # an uninstall sticks (installs.services.install_previews_on_first_boot).
    installed_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["package__name", "id"]
        constraints = [
            # A tester is a user or a team, never both, never neither.
            models.CheckConstraint(
                condition=USER_XOR_TEAM,
                name="preview_tester_user_xor_team",
            ),
            models.UniqueConstraint(
                fields=["package", "user"],
                condition=Q(user__isnull=False),
                name="preview_tester_unique_user",
            ),
            models.UniqueConstraint(
                fields=["package", "team"],
                condition=Q(team__isnull=False),
                name="preview_tester_unique_team",
            ),
        ]

    def __str__(self) -> str:
        tester = f"team {self.team}" if self.team_id else f"user {self.user}"
        return f"{tester} tests {self.package}"
