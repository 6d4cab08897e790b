"""Staff views of teams, installs, preferences and plugin storage."""

from django.contrib import admin

from installs.cache import bump_tenants
from installs.models import (
    PluginStorageEntry,
    Team,
    TeamMembership,
    TenantPluginInstall,
    UserPluginPreference,
)


def _retire_bootstraps_of(row) -> None:
    """Retire the cached bootstraps a team, membership, installation or preference shows in."""
    team_id = row.pk if isinstance(row, Team) else getattr(row, "team_id", None)
    bump_tenants(user_ids=[getattr(row, "user_id", None)], team_ids=[team_id])


class RetiresBootstraps:
    """Staff edits retire cached bootstraps as the services' writes do (installs/cache.py):
    the row as it was before the edit and as it is after."""

    def save_model(self, request, obj, form, change) -> None:
        if change:
            _retire_bootstraps_of(type(obj).objects.get(pk=obj.pk))
        super().save_model(request, obj, form, change)
        _retire_bootstraps_of(obj)

    def delete_model(self, request, obj) -> None:
        _retire_bootstraps_of(obj)
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset) -> None:
        for row in queryset:
            _retire_bootstraps_of(row)
        super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change) -> None:
        super().save_formset(request, form, formset, change)
        for row in [*formset.new_objects, *(obj for obj, _ in formset.changed_objects)]:
            _retire_bootstraps_of(row)
        for row in formset.deleted_objects:
            _retire_bootstraps_of(row)


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
    readonly_fields = ["created_at", "updated_at"]
    raw_id_fields = ["package", "user", "team", "pinned_version", "installed_by"]

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


@admin.register(PluginStorageEntry)
class PluginStorageEntryAdmin(admin.ModelAdmin):
    list_display = ["package", "user", "key", "updated_at"]
    search_fields = ["package__name", "user__username", "key"]
    list_select_related = ["package", "user"]
    readonly_fields = ["package", "user", "key", "value", "created_at", "updated_at"]
