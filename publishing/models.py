"""Publishing credentials: API tokens of publishers."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from naap.models import TimestampedModel
from registry.membership import TokenReader
from registry.models import PluginPackage, PluginVersion, Publisher

TOKEN_SCOPES = ("read", "publish", "deploy", "admin")
# Scopes a scope includes: admin every one; publish deploy, as a publish already deploys and
# rolls back (docs/decisions.md, "Upstream's deploy protocol").
IMPLIED_SCOPES = {"admin": frozenset(TOKEN_SCOPES), "publish": frozenset({"deploy"})}


class ApiToken(TimestampedModel):
    name = models.CharField(max_length=100)
    publisher = models.ForeignKey(Publisher, on_delete=models.CASCADE, related_name="tokens")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="api_tokens"
    )
    # The first 12 characters of the secret, shown so people can tell tokens apart.
    prefix = models.CharField(max_length=12, db_index=True)
    # sha256 of the whole secret; the secret itself is shown once and never stored.
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    packages = models.ManyToManyField(PluginPackage, blank=True, related_name="+")
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("revoke_apitoken", "Can revoke any publisher's API tokens")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…) for {self.publisher}"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return not self.is_revoked and not self.is_expired

    def as_reader(self) -> TokenReader:
        """Who reads with this token (registry.visibility.reader): its publisher, limited to
        its packages, never its creator's own standing."""
        names = frozenset(package.name for package in self.packages.all())
        return TokenReader(publisher_id=self.publisher_id, package_names=names)


class PendingVersion(PluginVersion):
    """The moderation queue: versions waiting for staff review (a proxy, no table)."""

    class Meta:
        proxy = True
        verbose_name = "version awaiting review"
        verbose_name_plural = "moderation queue"
