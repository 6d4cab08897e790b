"""Request and response shapes of the write API (camelCase)."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from naap.errors import PayloadTooLarge
from publishing.models import TOKEN_SCOPES, ApiToken
from publishing.validation import MAX_MANIFEST_BYTES, MAX_MANIFEST_TEXT_BYTES
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


@extend_schema_field(OpenApiTypes.STR)
class ManifestField(serializers.Field):
    """plugin.json as a text field, or as a file part (NaaP's publish client appends a
    `plugin.json` Blob): either way the JSON text, at most MAX_MANIFEST_TEXT_BYTES of UTF-8."""

    default_error_messages = {
        "invalid": "Send plugin.json as a text field or as a file part named 'manifest'.",
        "not_utf8": "The plugin.json file is not UTF-8 text ({reason}); save it as UTF-8.",
    }

    def to_internal_value(self, data):
        if isinstance(data, str):
            return data
        if not (hasattr(data, "read") and hasattr(data, "size")):
            self.fail("invalid")
        if data.size > MAX_MANIFEST_TEXT_BYTES:
            raise PayloadTooLarge(
                f"The plugin.json file is {data.size} bytes; it may be at most "
                f"{MAX_MANIFEST_TEXT_BYTES} (and {MAX_MANIFEST_BYTES} as compact JSON).",
                field="manifest",
                details={"limit": MAX_MANIFEST_TEXT_BYTES, "size": data.size},
            )
        raw = data.read(MAX_MANIFEST_TEXT_BYTES + 1)
        try:
            # An editor's byte order mark is not part of the JSON.
            return raw.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            reason = f"byte 0x{raw[error.start]:02x} at position {error.start}"
            self.fail("not_utf8", reason=reason)

    def to_representation(self, value):
        return value


class PublishRequestSerializer(serializers.Serializer):
    manifest = ManifestField(help_text="plugin.json: JSON text or a file part")
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
