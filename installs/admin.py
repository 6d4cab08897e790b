"""Staff views of teams, installs, preferences and plugin storage."""

import json

from django.contrib import admin

from installs.cache import bump_tenants
from installs.config_secrets import masked
from installs.models import (
    PluginStorageEntry,
    PreviewTester,
    Team,
    TeamMembership,
    TenantPluginInstall,
    UserPluginPreference,
)


def _tenants_of(row) -> tuple[list[int | None], list[int | None]]:
    """The people and teams whose bootstraps show a team, membership, installation or
    preference (read before a delete, which forgets the row's primary key)."""
    team_id = row.pk if isinstance(row, Team) else getattr(row, "team_id", None)
    return [getattr(row, "user_id", None)], [team_id]


def _retire_bootstraps(tenants: list[tuple[list[int | None], list[int | None]]]) -> None:
    bump_tenants(
        user_ids=[pk for users, _ in tenants for pk in users],
        team_ids=[pk for _, teams in tenants for pk in teams],
    )


class RetiresBootstraps:
    """Staff edits retire cached bootstraps as the services' writes do (installs/cache.py):
    the row as it was before the edit and as it is after, bumped once the rows are written.
    ("Delete selected" runs outside a transaction, so a bump before the delete would let a
    bootstrap built in between keep the deleted rows.)"""

    def save_model(self, request, obj, form, change) -> None:
        before = [_tenants_of(type(obj).objects.get(pk=obj.pk))] if change else []
        super().save_model(request, obj, form, change)
        _retire_bootstraps([*before, _tenants_of(obj)])

    def delete_model(self, request, obj) -> None:
        tenants = [_tenants_of(obj)]
        super().delete_model(request, obj)
        _retire_bootstraps(tenants)

    def delete_queryset(self, request, queryset) -> None:
        tenants = [_tenants_of(row) for row in queryset]
        super().delete_queryset(request, queryset)
        _retire_bootstraps(tenants)

    def save_formset(self, request, form, formset, change) -> None:
        super().save_formset(request, form, formset, change)
        # Inline rows are memberships: their person and team survive their deletion.
        rows = [
            *formset.new_objects,
            *(obj for obj, _ in formset.changed_objects),
            *formset.deleted_objects,
        ]
        _retire_bootstraps([_tenants_of(row) for row in rows])


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(RetiresBootstraps, admin.ModelAdmin):
    list_display = ["name", "display_name", "created_at"]
    search_fields = ["name", "display_name"]
    inlines = [TeamMembershipInline]


@admin.register(TeamMembership)
class TeamMembershipAdmin(RetiresBootstraps, admin.ModelAdmin):
    list_display = ["team", "user", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["team__name", "user__username"]
    list_select_related = ["team", "user"]
    autocomplete_fields = ["team", "user"]


@admin.register(TenantPluginInstall)
class TenantPluginInstallAdmin(RetiresBootstraps, admin.ModelAdmin):
    list_display = ["package", "tenant", "enabled", "pinned_version", "installed_by", "created_at"]
    list_filter = ["enabled", "created_at"]
    search_fields = ["package__name", "user__username", "team__name"]
    list_select_related = ["package", "user", "team", "pinned_version__package", "installed_by"]
    # The config is edited on the Settings page or through the API, never here: the admin shows
    # it with every secret masked.
    exclude = ["config"]
    readonly_fields = ["settings", "created_at", "updated_at"]
    raw_id_fields = ["package", "user", "team", "pinned_version", "installed_by"]

    @admin.display(description="Config")
    def settings(self, install: TenantPluginInstall) -> str:
        return json.dumps(masked(install.config), indent=2, ensure_ascii=False)

    @admin.display(description="Tenant")
    def tenant(self, install: TenantPluginInstall) -> str:
        return f"team {install.team}" if install.team_id else f"user {install.user}"


@admin.register(UserPluginPreference)
class UserPluginPreferenceAdmin(RetiresBootstraps, admin.ModelAdmin):
    list_display = ["user", "package", "enabled", "pinned", "order"]
    list_filter = ["enabled", "pinned"]
    search_fields = ["user__username", "package__name"]
    list_select_related = ["user", "package"]
    raw_id_fields = ["user", "package"]


@admin.register(PreviewTester)
class PreviewTesterAdmin(RetiresBootstraps, admin.ModelAdmin):
    # Whether the package is a preview is set on its Testers page (installs.testers), with
    # its testers; here staff see who tests what and may add or remove one.
    list_display = ["package", "tester", "added_by", "created_at", "installed_at"]
    readonly_fields = ["installed_at"]
    search_fields = ["package__name", "user__username", "team__name"]
    list_select_related = ["package", "user", "team", "added_by"]
    raw_id_fields = ["package", "user", "team", "added_by"]

    @admin.display(description="Tester")
    def tester(self, row: PreviewTester) -> str:
        return f"team {row.team}" if row.team_id else f"user {row.user}"


@admin.register(PluginStorageEntry)
class PluginStorageEntryAdmin(admin.ModelAdmin):
    list_display = ["package", "user", "key", "updated_at"]
    search_fields = ["package__name", "user__username", "key"]
    list_select_related = ["package", "user"]
    readonly_fields = ["package", "user", "key", "value", "created_at", "updated_at"]
