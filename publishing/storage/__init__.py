"""Plugin asset storage: content-hashed keys, write-once objects, public URLs (SPEC §5).

STORAGES["plugins"] says where assets live; asset_backend() wraps it, once, in the matching
backend: local disk (local.py, served by publishing.cdn_views.serve_asset under /cdn/) or S3
through django-storages (s3.py). Everything else works through that one interface (base.py).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.files.storage import FileSystemStorage, storages
from django.core.signals import setting_changed
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage

from publishing.storage.base import AssetBackend, AssetConflict, StorageUnavailable, StoredObject
from publishing.storage.keys import (
    ASSET_KEY_PATTERN,
    ASSET_KINDS,
    CONTENT_TYPES,
    KEY_PREFIX,
    KEY_PREFIXES,
    REVIEW_PREFIX,
    asset_key,
    cache_control_for_key,
    content_type_for_key,
    is_review_key,
    published_key,
    review_key,
    sha256_hex,
    sri_sha384,
)
from publishing.storage.local import LocalAssetBackend
from publishing.storage.s3 import S3AssetBackend

__all__ = [
    "ASSET_KEY_PATTERN",
    "ASSET_KINDS",
    "KEY_PREFIX",
    "KEY_PREFIXES",
    "REVIEW_PREFIX",
    "AssetBackend",
    "AssetConflict",
    "StorageUnavailable",
    "StoredAsset",
    "StoredObject",
    "asset_backend",
    "asset_key",
    "cache_control_for_key",
    "content_type_for_key",
    "copy_assets",
    "delete_keys",
    "is_review_key",
    "list_objects",
    "public_url",
    "published_key",
    "reset_asset_backend",
    "review_key",
    "sha256_hex",
    "sri_sha384",
    "store_asset",
    "temporary_url",
]


@dataclass(frozen=True)
class StoredAsset:
    key: str
    url: str
    sha256: str
    integrity: str
    size: int
    content_type: str
    # Whether this call put the object there: nothing was stored under the key before. A
    # failed publish deletes only such keys (the others may belong to a concurrent publish).
    created: bool = field(default=False, compare=False)


@functools.cache
def asset_backend() -> AssetBackend:
    """The backend of the configured plugin storage (STORAGES["plugins"]), chosen once."""
    storage = storages["plugins"]
    if isinstance(storage, S3Storage):
        return S3AssetBackend(storage)
    if isinstance(storage, FileSystemStorage):
        return LocalAssetBackend(storage)
    raise ImproperlyConfigured(
        f'STORAGES["plugins"] must be a FileSystemStorage or an S3Storage, '
        f"not {type(storage).__name__}"
    )


def reset_asset_backend() -> None:
    """Forget the chosen backend, so the next asset_backend() reads STORAGES again."""
    asset_backend.cache_clear()


def _storages_changed(*, setting: str, **kwargs) -> None:
    # Tests swap STORAGES (override_settings, pytest-django's settings fixture); Django then
    # rebuilds its storages, and the backend must wrap the new one.
    if setting == "STORAGES":
        reset_asset_backend()


setting_changed.connect(_storages_changed)


def public_url(key: str) -> str:
    """The URL browsers load key from: PLUGIN_CDN_URL when set, else the storage's own."""
    cdn_url = settings.PLUGIN_CDN_URL.rstrip("/")
    if cdn_url:
        # Quoted like storage.url() quotes: S3 reads a bare "+" (SemVer build metadata) as " ".
        return f"{cdn_url}/{filepath_to_uri(key)}"
    return asset_backend().url(key)


def store_asset(
    *,
    package_name: str,
    version: str,
    kind: str,
    content: bytes,
    sha256: str | None = None,
    overwrite: bool = False,
    in_review: bool = False,
) -> StoredAsset:
    """Write one file of a version under its final key, with its Content-Type and caching.

    Objects are write-once: the same bytes again only renew the object's date (a retry);
    different bytes under an existing key raise AssetConflict, because a published
    version's files never change. For the content-hashed kinds that can only be a hash8
    collision; for manifest.json it is another publish of the same version. overwrite=True
    replaces the object anyway, for a caller that knows no version row references it.
    in_review stores it under REVIEW_PREFIX, out of the public CDN's reach.
    """
    digest = sha256_hex(content)
    if kind == "sourcemap":
        if sha256 is None:
            raise ValueError("a sourcemap is named after its bundle: pass the bundle's sha256")
        key_hash = sha256
    else:
        if sha256 is not None and sha256 != digest:
            raise ValueError(f"the {kind} content does not have the sha256 {sha256}")
        key_hash = digest
    key = asset_key(
        package_name=package_name, version=version, kind=kind, sha256=key_hash, in_review=in_review
    )
    backend = asset_backend()

    existing = backend.read(key)
    created = False
    if existing == content:
        # Keep the object young so gc_assets leaves it alone while this publish commits.
        backend.renew(key, content)
    else:
        if existing is not None:
            if not overwrite and _is_intact(key, existing):
                raise AssetConflict(
                    f"{key} is already stored with other content; a version's files never change",
                    details={"key": key},
                )
            # A torn write from a crashed upload, or a replacement the caller asked for.
            backend.delete(key)
        created = backend.write(key, content) and existing is None

    return StoredAsset(
        key=key,
        url=public_url(key),
        sha256=digest,
        integrity=sri_sha384(content),
        size=len(content),
        content_type=CONTENT_TYPES[kind],
        created=created,
    )


def copy_assets(moves: dict[str, str]) -> None:
    """Copy the object under each source key of moves to its target key, in order; the first
    failure raises (the caller removes the copies made so far, see moderation.py)."""
    backend = asset_backend()
    for source, target in moves.items():
        backend.copy(source, target)


def temporary_url(key: str) -> str:
    """A URL that fetches key from any origin for about an hour (signing.py says how long)."""
    return asset_backend().temporary_url(key)


def delete_keys(keys: Iterable[str]) -> list[str]:
    """Delete each stored key, skipping empty and missing ones; return those deleted."""
    backend = asset_backend()
    deleted: list[str] = []
    for key in dict.fromkeys(keys):  # once each, in the order given
        if key and backend.exists(key):
            backend.delete(key)
            deleted.append(key)
    return deleted


def list_objects(prefix: str = KEY_PREFIX) -> list[StoredObject]:
    """Every stored object under prefix, sorted by key, with its size and modification time."""
    return asset_backend().list_objects(prefix)


def _is_intact(key: str, content: bytes) -> bool:
    # Whether an existing object is a complete file rather than the remains of an upload
    # that died half-way (the filesystem writes in place, so a crash can leave a prefix).
    match = ASSET_KEY_PATTERN.fullmatch(key)
    own_hash = match and not match["map"] and (match["bundle_hash"] or match["styles_hash"])
    if own_hash:
        return sha256_hex(content).startswith(own_hash)
    # Sourcemaps (named after their bundle) and manifests: complete if they parse.
    try:
        json.loads(content)
    except ValueError:
        return False
    return True
