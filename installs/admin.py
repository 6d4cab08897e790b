"""Staff views of teams, installs, preferences and plugin storage."""

from django.contrib import admin

from installs.models import (
    PluginStorageEntry,
    Team,
    TeamMembership,
    TenantPluginInstall,
    UserPluginPreference,
)


class TeamMembershipInline(admin.TabularInline):
    model = TeamMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "display_name", "created_at"]
    search_fields = ["name", "display_name"]
    inlines = [TeamMembershipInline]


@admin.register(TeamMembership)
class TeamMembershipAdmin(admin.ModelAdmin):
    list_display = ["team", "user", "role", "created_at"]
    list_filter = ["role"]
    search_fields = ["team__name", "user__username"]
    list_select_related = ["team", "user"]
    autocomplete_fields = ["team", "user"]


@admin.register(TenantPluginInstall)
class TenantPluginInstallAdmin(admin.ModelAdmin):
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
class UserPluginPreferenceAdmin(admin.ModelAdmin):
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
