"""Moving versions published before the registry (a bare `frontend_url`) onto stored assets."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction

from publishing import storage
from registry.cache import invalidate_package
from registry.models import PluginVersion
from registry.umd import shell_globals_of_bundle

DOWNLOAD_TIMEOUT_SECONDS = 15


@dataclass
class LegacyOutcome:
    """What happened (or would happen) to one legacy version."""

    version: PluginVersion
    action: str  # "stored" | "marked"
    detail: str


def legacy_versions_to_migrate():
    """Versions with a legacy frontend_url and no bundle_url yet."""
    return (
        PluginVersion.objects.select_related("package")
        .exclude(frontend_url="")
        .filter(bundle_url="")
        .order_by("package__name", "sort_key")
    )


def _download(url: str) -> tuple[bytes | None, str]:
    if urlsplit(url).scheme not in {"http", "https"}:
        return None, f"not an http(s) URL: {url}"
    limit = settings.PLUGIN_MAX_BUNDLE_BYTES
    try:
        with requests.get(url, timeout=DOWNLOAD_TIMEOUT_SECONDS, stream=True) as response:
            if response.status_code != 200:
                return None, f"{url} answered {response.status_code}"
            content = b""
            for chunk in response.iter_content(64 * 1024):
                content += chunk
                if len(content) > limit:
                    return None, f"{url} is larger than the {limit}-byte bundle limit"
            return content, f"downloaded {len(content)} bytes"
    except requests.RequestException as error:
        return None, f"{url} is unreachable: {type(error).__name__}"


def migrate_legacy_version(version: PluginVersion, *, dry_run: bool) -> LegacyOutcome:
    """Store a reachable legacy bundle under its content-hashed key, or mark it unverified."""
    content, detail = _download(version.frontend_url)
    if dry_run:
        return LegacyOutcome(version, "stored" if content is not None else "marked", detail)
    if content is None:
        # Keep the shell working with the old URL, but say nobody vouched for its bytes.
        finding = {
            "check": "legacy",
            "severity": "warning",
            "message": f"Legacy bundle URL kept unverified: {detail}.",
            "detail": version.frontend_url,
        }
        with transaction.atomic():
            PluginVersion.objects.filter(pk=version.pk, bundle_url="").update(
                bundle_url=version.frontend_url, findings=[*version.findings, finding]
            )
            # The bundle URL is part of the manifest: cached copies without it must go.
            invalidate_package(version.package.name)
        return LegacyOutcome(version, "marked", detail)
    asset = storage.store_asset(
        package_name=version.package.name,
        version=version.version,
        kind="bundle",
        content=content,
        in_review=version.status == PluginVersion.Status.PENDING_REVIEW,
    )
    try:
        with transaction.atomic():
            updated = PluginVersion.objects.filter(pk=version.pk, bundle_url="").update(
                bundle_key=asset.key,
                bundle_url=asset.url,
                bundle_sha256=asset.sha256,
                bundle_integrity=asset.integrity,
                bundle_size=asset.size,
                shell_globals=shell_globals_of_bundle(content),
            )
            if updated:
                invalidate_package(version.package.name)
    except BaseException:
        storage.delete_keys([asset.key])
        raise
    if not updated:
        # Another run migrated it meanwhile; our copy is not referenced.
        if not PluginVersion.objects.filter(bundle_key=asset.key).exists():
            storage.delete_keys([asset.key])
        return LegacyOutcome(version, "skipped", "already migrated")
    return LegacyOutcome(version, "stored", f"{detail}, stored as {asset.key}")
