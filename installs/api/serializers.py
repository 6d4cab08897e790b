"""Request and response shapes of the installs API (camelCase)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from installs.config_secrets import masked
from installs.models import PluginStorageEntry, TenantPluginInstall, UserPluginPreference
from installs.services import MAX_PREFERENCE_ORDER, MIN_PREFERENCE_ORDER
from installs.storage_rules import MAX_STORAGE_KEYS
from registry import semver


class StrictBooleanField(serializers.BooleanField):
    """A JSON true or false; DRF's own also takes "yes", "on", 1, which hides client bugs."""

    default_error_messages = {"invalid": "Must be true or false."}

    def to_internal_value(self, data):
        if isinstance(data, bool):
            return data
        self.fail("invalid")


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer; strings, fractions and booleans are refused."""

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictRequestSerializer(serializers.Serializer):
    """Refuses keys it does not know, so a misspelt field is an error, not a silent no-op."""

    def to_internal_value(self, data):
        unknown = sorted(set(data) - set(self.fields)) if isinstance(data, dict) else []
        errors = {key: ["Unknown field."] for key in unknown}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as error:
            if isinstance(error.detail, dict):
                error.detail.update(errors)
            raise
        if errors:
            raise serializers.ValidationError(errors)
        return value


# The largest row id the database holds (a 64-bit integer); larger ones overflow the query.
MAX_ROW_ID = 2**63 - 1


class TeamIdField(StrictIntegerField):
    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ROW_ID)
        kwargs.setdefault("help_text", "Act for this team (you must be one of its admins).")
        super().__init__(**kwargs)


@extend_schema_field(OpenApiTypes.OBJECT)
class ConfigField(serializers.JSONField):
    """An installation's config; checked against the plugin's `config.schema` by the service.
    Shown with every secret setting masked; sending the mask back (or leaving a secret out)
    keeps the stored value."""

    def to_representation(self, value):
        return super().to_representation(masked(value))


class InstallRequestSerializer(StrictRequestSerializer):
    teamId = TeamIdField()
    config = ConfigField(required=False, allow_null=True, default=None)


class ConfigRequestSerializer(StrictRequestSerializer):
    teamId = TeamIdField()
    config = ConfigField()


class UninstallRequestSerializer(StrictRequestSerializer):
    teamId = TeamIdField()


class TeamQuerySerializer(serializers.Serializer):
    """`?teamId=` in a query string (a string there, so an ordinary integer field)."""

    teamId = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ROW_ID)


class BootstrapQuerySerializer(TeamQuerySerializer):
    shellVersion = serializers.CharField(required=False, max_length=64)

    def validate_shellVersion(self, value: str) -> str:
        if not semver.is_valid(value):
            raise serializers.ValidationError(f"'{value}' is not a Semantic Version such as 1.2.0.")
        return value


class PreferenceRequestSerializer(StrictRequestSerializer):
    enabled = StrictBooleanField(required=False)
    order = StrictIntegerField(
        required=False, min_value=MIN_PREFERENCE_ORDER, max_value=MAX_PREFERENCE_ORDER
    )
    pinned = StrictBooleanField(required=False)


class StorageValueRequestSerializer(StrictRequestSerializer):
    value = serializers.JSONField(allow_null=True, help_text="any JSON, at most 64 KB as JSON")


class InstallationSerializer(serializers.ModelSerializer):
    id = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="null for a core plugin you have not configured: installed for everyone, "
        "with no installation row of yours yet (GET answers its defaults)",
    )
    plugin = serializers.CharField(source="package.name")
    source = serializers.SerializerMethodField()
    teamId = serializers.IntegerField(source="team_id", allow_null=True)
    config = ConfigField()
    pinnedVersion = serializers.CharField(
        source="pinned_version.version", default=None, allow_null=True
    )
    installedAt = serializers.DateTimeField(source="created_at", allow_null=True)
    updatedAt = serializers.DateTimeField(source="updated_at", allow_null=True)

    class Meta:
        model = TenantPluginInstall
        fields = [
            "id",
            "plugin",
            "source",
            "teamId",
            "config",
            "enabled",
            "pinnedVersion",
            "installedAt",
            "updatedAt",
        ]

    def get_source(self, install: TenantPluginInstall) -> str:
        return "team" if install.team_id else "user"


class InstallResultSerializer(serializers.Serializer):
    installation = InstallationSerializer()
    created = serializers.BooleanField(help_text="false: it was already installed")
    message = serializers.CharField(required=False)


class UninstallResultSerializer(serializers.Serializer):
    uninstalled = serializers.BooleanField()
    plugin = serializers.CharField()
    source = serializers.ChoiceField(choices=["user", "team"])
    teamId = serializers.IntegerField(allow_null=True)
    preferencesKept = serializers.BooleanField()
    storageKept = serializers.BooleanField()


class PreferenceSerializer(serializers.ModelSerializer):
    plugin = serializers.CharField(source="package.name")
    updatedAt = serializers.DateTimeField(source="updated_at")

    class Meta:
        model = UserPluginPreference
        fields = ["plugin", "enabled", "order", "pinned", "updatedAt"]


class InstalledPluginSerializer(serializers.Serializer):
    """One entry of the shell bootstrap (an installs.selectors.EffectivePlugin)."""

    name = serializers.CharField()
    displayName = serializers.CharField(source="display_name")
    source = serializers.ChoiceField(choices=["user", "team"])
    teamId = serializers.IntegerField(
        source="team_id", required=False, help_text="only for a team's installation"
    )
    enabled = serializers.BooleanField()
    pinned = serializers.BooleanField()
    order = serializers.IntegerField()
    isCore = serializers.BooleanField(
        source="is_core", help_text="a core plugin: installed for everyone, cannot be uninstalled"
    )
    config = ConfigField()
    manifest = serializers.DictField(help_text="the production manifest (SPEC §4) for this user")

    def to_representation(self, instance):
        data = super().to_representation(instance)
        if data.get("teamId") is None:
            data.pop("teamId", None)
        return data


class BootstrapSerializer(serializers.Serializer):
    plugins = InstalledPluginSerializer(many=True)
    shellVersion = serializers.CharField(required=False)
    incompatible = serializers.ListField(
        child=serializers.CharField(),
        required=False,
        help_text=(
            "with shellVersion: installed plugins none of whose versions they may run admits it"
        ),
    )
    reportTicket = serializers.CharField(
        help_text=(
            "what the shell sends with its field reports (POST /api/v1/plugins/field-reports): "
            "the versions this answer serves, signed, valid for 3 days"
        )
    )
    generatedAt = serializers.DateTimeField()


class StorageEntrySerializer(serializers.ModelSerializer):
    value = serializers.JSONField(allow_null=True)
    updatedAt = serializers.DateTimeField(source="updated_at")

    class Meta:
        model = PluginStorageEntry
        fields = ["key", "value", "updatedAt"]


class StorageKeySerializer(serializers.ModelSerializer):
    updatedAt = serializers.DateTimeField(source="updated_at")

    class Meta:
        model = PluginStorageEntry
        fields = ["key", "updatedAt"]


class StorageListSerializer(serializers.Serializer):
    keys = StorageKeySerializer(many=True)
    total = serializers.IntegerField()
    limit = serializers.IntegerField(default=MAX_STORAGE_KEYS)


class StorageDeletedSerializer(serializers.Serializer):
    key = serializers.CharField()
    deleted = serializers.BooleanField()


class IntegritySerializer(serializers.Serializer):
    bundle = serializers.CharField(help_text="Subresource Integrity of the bundle")
    styles = serializers.CharField(allow_null=True, help_text="of the stylesheet, if any")


class PersonalizedPluginSerializer(serializers.Serializer):
    """One plugin of the personalized list: upstream NaaP's flat runtime shape of an
    installs.selectors.EffectivePlugin, plus `integrity`. Never the config (it may hold
    secrets; the plugin gets it in its context)."""

    name = serializers.CharField()
    displayName = serializers.CharField(source="display_name")
    version = serializers.CharField(source="version.version")
    bundleUrl = serializers.CharField(source="manifest.bundleUrl")
    stylesUrl = serializers.CharField(source="manifest.stylesUrl", allow_null=True)
    globalName = serializers.CharField(source="manifest.globalName")
    routes = serializers.ListField(child=serializers.CharField(), source="manifest.routes")
    icon = serializers.CharField(source="manifest.icon", allow_null=True)
    order = serializers.IntegerField()
    enabled = serializers.BooleanField()
    pinned = serializers.BooleanField()
    installed = serializers.SerializerMethodField(
        help_text="always true: every plugin listed is installed for you (or your team)"
    )
    isCore = serializers.BooleanField(
        source="is_core", help_text="installed for everyone, as the bootstrap's isCore"
    )
    integrity = IntegritySerializer(source="manifest.integrity")
    bundleHash = serializers.CharField(source="manifest.bundleHash")
    bundleSize = serializers.IntegerField(source="manifest.bundleSize", allow_null=True)
    category = serializers.CharField(source="manifest.category")
    description = serializers.CharField(source="manifest.description")

    def get_installed(self, plugin) -> bool:
        return True


class PersonalizedSerializer(serializers.Serializer):
    plugins = PersonalizedPluginSerializer(many=True)
    context = serializers.ChoiceField(choices=["personal", "team"])
    teamId = serializers.IntegerField(required=False, help_text="with ?teamId=")
