"""What people allowed to preview a version in review load: its files through temporary URLs.

The files of a version waiting for review are stored under storage.REVIEW_PREFIX, which the
public CDN never serves (docs/decisions.md, "Files in review"). Whoever may preview it gets a
manifest whose file URLs are temporary: signed /cdn/ URLs on local disk, presigned GETs on S3,
working from any origin for about an hour.
"""

from __future__ import annotations

from typing import Any

from publishing import storage
from registry.models import PluginVersion
from registry.selectors import production_manifest

# Manifest fields that name a file, and the key field of the file each names.
_URL_FIELDS = {
    "bundleUrl": "bundle_key",
    "stylesUrl": "styles_key",
    "scopedStylesUrl": "scoped_styles_key",
    "sourcemapUrl": "sourcemap_key",
}


def review_manifest(version: PluginVersion) -> dict[str, Any]:
    """The version's production manifest, with temporary URLs for files that are in review;
    a published version's manifest as it is."""
    manifest = production_manifest(version)
    for url_field, key_field in _URL_FIELDS.items():
        key = getattr(version, key_field)
        if manifest.get(url_field) and key and storage.is_review_key(key):
            manifest[url_field] = storage.temporary_url(key)
    return manifest


def bundle_link(version: PluginVersion) -> str:
    """The URL staff open to read the version's bundle: a temporary one while it is in review."""
    if version.bundle_key and storage.is_review_key(version.bundle_key):
        return storage.temporary_url(version.bundle_key)
    return version.bundle_url
