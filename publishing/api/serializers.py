"""Request and response shapes of the write API (camelCase)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from publishing.models import TOKEN_SCOPES, ApiToken
from registry.models import Publisher
from registry.names import MAX_PACKAGE_NAME_LENGTH, PACKAGE_NAME_PATTERN


@extend_schema_field(
    {
        "type": "string",
        "pattern": f"^{PACKAGE_NAME_PATTERN.pattern}$",
        "maxLength": MAX_PACKAGE_NAME_LENGTH,
        "description": "a publisher name: lowercase letters, digits and hyphens",
    }
)
class PublisherNameField(serializers.CharField):
    """A publisher's name; its rules (the package name rules) are checked by the service,
    and shown in the schema."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", MAX_PACKAGE_NAME_LENGTH)
        super().__init__(**kwargs)


class PublishRequestSerializer(serializers.Serializer):
    manifest = serializers.CharField(help_text="plugin.json as JSON text")
    bundle = serializers.FileField()
    styles = serializers.FileField(required=False)
    sourcemap = serializers.FileField(required=False)
    releaseNotes = serializers.CharField(required=False, allow_blank=True, default="")
    deploy = serializers.BooleanField(required=False, default=True)
    publisher = serializers.CharField(
        required=False, help_text="Staff sessions only: the publisher of a new package"
    )


class MessageRequestSerializer(serializers.Serializer):
    message = serializers.CharField(max_length=2000)


class ReasonRequestSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000)


class RollbackRequestSerializer(serializers.Serializer):
    version = serializers.CharField(max_length=64)
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class PublisherRequestSerializer(serializers.Serializer):
    name = PublisherNameField()
    displayName = serializers.CharField(max_length=100)
    email = serializers.EmailField(required=False, allow_blank=True)
    website = serializers.URLField(required=False, allow_blank=True)


class PublisherSerializer(serializers.ModelSerializer):
    displayName = serializers.CharField(source="display_name")
    createdAt = serializers.DateTimeField(source="created_at")

    class Meta:
        model = Publisher
        fields = ["name", "displayName", "email", "website", "verified", "createdAt"]


class TokenRequestSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    publisher = PublisherNameField()
    scopes = serializers.ListField(
        child=serializers.ChoiceField(choices=TOKEN_SCOPES), allow_empty=False
    )
    packages = serializers.ListField(child=serializers.CharField(), required=False, default=list)
    expiresAt = serializers.DateTimeField(required=False, allow_null=True, default=None)


class TokenSerializer(serializers.ModelSerializer):
    publisher = serializers.CharField(source="publisher.name")
    packages = serializers.SerializerMethodField()
    expiresAt = serializers.DateTimeField(source="expires_at", allow_null=True)
    lastUsedAt = serializers.DateTimeField(source="last_used_at", allow_null=True)
    revokedAt = serializers.DateTimeField(source="revoked_at", allow_null=True)
    createdAt = serializers.DateTimeField(source="created_at")
    active = serializers.BooleanField(source="is_active")

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "name",
            "prefix",
            "publisher",
            "scopes",
            "packages",
            "expiresAt",
            "lastUsedAt",
            "revokedAt",
            "createdAt",
            "active",
        ]

    def get_packages(self, token: ApiToken) -> list[str]:
        return sorted(package.name for package in token.packages.all())


class CreatedTokenSerializer(TokenSerializer):
    token = serializers.CharField(help_text="The secret, shown once and never again")

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "token"]
