"""Plugin asset storage: content-hashed keys, write-once objects, public URLs (SPEC §5).

Two backends are supported, both configured as STORAGES["plugins"]: the local filesystem
(served by publishing.views.serve_asset under /cdn/) and S3 through django-storages.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.utils.encoding import filepath_to_uri
from storages.backends.s3 import S3Storage
from storages.utils import clean_name, safe_join

from naap.errors import Conflict
from registry import semver
from registry.names import PACKAGE_NAME_PATTERN

ASSET_KINDS = ("bundle", "styles", "sourcemap", "manifest")
CONTENT_TYPES = {
    "bundle": "text/javascript; charset=utf-8",
    "styles": "text/css; charset=utf-8",
    "sourcemap": "application/json",
    "manifest": "application/json",
}
# manifest.json has no hash in its name, so caches must come back for it; everything else
# is named by its content and may be kept forever.
MANIFEST_CACHE_CONTROL = "public, max-age=300"

KEY_PREFIX = "plugins/"
_SHA256_PATTERN = re.compile(r"^[0-9a-f]{64}$")
# The only names store_asset ever writes; the embedded CDN serves nothing else.
ASSET_KEY_PATTERN = re.compile(
    r"^plugins/(?P<name>[a-z][a-z0-9-]{1,62}[a-z0-9])/(?P<version>[0-9][0-9A-Za-z.+-]{0,63})/"
    r"(?P<filename>bundle\.(?P<bundle_hash>[0-9a-f]{8})\.js(?P<map>\.map)?"
    r"|styles\.(?P<styles_hash>[0-9a-f]{8})\.css|manifest\.json)$"
)


class AssetConflict(Conflict):
    """Another file is already stored under a key that must never change."""


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


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    modified_at: datetime


def sha256_hex(content: bytes) -> str:
    """The lowercase hex sha256 of content."""
    return hashlib.sha256(content).hexdigest()


def sri_sha384(content: bytes) -> str:
    """The Subresource Integrity value of content: "sha384-<base64>"."""
    return "sha384-" + base64.b64encode(hashlib.sha384(content).digest()).decode("ascii")


def asset_key(*, package_name: str, version: str, kind: str, sha256: str = "") -> str:
    """The storage key of one file of a version; sourcemaps take the bundle's sha256."""
    # Callers validate names and versions first; this is the last guard before a path is built.
    if not PACKAGE_NAME_PATTERN.match(package_name):
        raise ValueError(f"not a package name: {package_name!r}")
    if not semver.is_valid(version):
        raise ValueError(f"not a SemVer version: {version!r}")
    directory = f"{KEY_PREFIX}{package_name}/{version}"
    if kind == "manifest":
        return f"{directory}/manifest.json"
    if kind not in ASSET_KINDS:
        raise ValueError(f"unknown asset kind: {kind!r}")
    if not _SHA256_PATTERN.match(sha256):
        raise ValueError(f"a {kind} key needs a lowercase hex sha256, not {sha256!r}")
    hash8 = sha256[:8]
    filename = {
        "bundle": f"bundle.{hash8}.js",
        "styles": f"styles.{hash8}.css",
        "sourcemap": f"bundle.{hash8}.js.map",
    }[kind]
    return f"{directory}/{filename}"


def is_asset_key(key: str) -> bool:
    """Whether key is a name store_asset could have written."""
    return bool(ASSET_KEY_PATTERN.match(key))


def content_type_for_key(key: str) -> str:
    """The Content-Type an asset is served with, from its file name."""
    if key.endswith(".js"):
        return CONTENT_TYPES["bundle"]
    if key.endswith(".css"):
        return CONTENT_TYPES["styles"]
    if key.endswith((".map", ".json")):
        return CONTENT_TYPES["manifest"]
    return "application/octet-stream"


def cache_control_for_key(key: str) -> str:
    """The Cache-Control an asset is served with: forever unless it is a manifest.json."""
    if posixpath.basename(key) == "manifest.json":
        return MANIFEST_CACHE_CONTROL
    return settings.ASSET_CACHE_CONTROL


def plugin_storage() -> Storage:
    """The configured plugin asset storage (STORAGES["plugins"])."""
    return storages["plugins"]


def public_url(key: str) -> str:
    """The URL browsers load key from: PLUGIN_CDN_URL when set, else the storage's own."""
    cdn_url = settings.PLUGIN_CDN_URL.rstrip("/")
    if cdn_url:
        # Quoted like storage.url() quotes: S3 reads a bare "+" (SemVer build metadata) as " ".
        return f"{cdn_url}/{filepath_to_uri(key)}"
    return plugin_storage().url(key)


def store_asset(
    *,
    package_name: str,
    version: str,
    kind: str,
    content: bytes,
    sha256: str | None = None,
    overwrite: bool = False,
) -> StoredAsset:
    """Write one file of a version under its final key, with its Content-Type and caching.

    Objects are write-once: the same bytes again only renew the object's date (a retry);
    different bytes under an existing key raise AssetConflict, because a published
    version's files never change. For the content-hashed kinds that can only be a hash8
    collision; for manifest.json it is another publish of the same version. overwrite=True
    replaces the object anyway, for a caller that knows no version row references it.
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
    key = asset_key(package_name=package_name, version=version, kind=kind, sha256=key_hash)
    storage = plugin_storage()

    existing = _read_if_exists(storage, key)
    created = False
    if existing == content:
        # Keep the object young so gc_assets leaves it alone while this publish commits.
        _touch(storage, key, content)
    else:
        if existing is not None:
            if not overwrite and _is_intact(key, existing):
                raise AssetConflict(
                    f"{key} is already stored with other content; a version's files never change",
                    details={"key": key},
                )
            # A torn write from a crashed upload, or a replacement the caller asked for.
            storage.delete(key)
        created = _write(storage, key, content) and existing is None

    return StoredAsset(
        key=key,
        url=public_url(key),
        sha256=digest,
        integrity=sri_sha384(content),
        size=len(content),
        content_type=CONTENT_TYPES[kind],
        created=created,
    )


def read_asset(key: str) -> bytes:
    """The bytes stored under key; FileNotFoundError when there are none."""
    with plugin_storage().open(key, "rb") as stored:
        return stored.read()


def asset_exists(key: str) -> bool:
    """Whether an object is stored under key."""
    return bool(key) and plugin_storage().exists(key)


def delete_keys(keys: Iterable[str]) -> list[str]:
    """Delete each stored key, skipping empty and missing ones; return those deleted."""
    storage = plugin_storage()
    deleted: list[str] = []
    for key in dict.fromkeys(keys):  # once each, in the order given
        if key and storage.exists(key):
            storage.delete(key)
            deleted.append(key)
    return deleted


def delete_version_files(version) -> list[str]:
    """Delete a PluginVersion's stored files; return the keys deleted.

    Storage is not transactional: call it after the database change is committed
    (transaction.on_commit), or a rolled-back rejection leaves a row without its files.
    """
    return delete_keys(
        [version.bundle_key, version.styles_key, version.sourcemap_key, version.manifest_key]
    )


def list_objects(prefix: str = KEY_PREFIX) -> list[StoredObject]:
    """Every stored object under prefix, with its size and last modification time."""
    storage = plugin_storage()
    if isinstance(storage, S3Storage):
        return sorted(_list_s3_objects(storage, prefix), key=lambda stored: stored.key)
    objects = []
    for key in list_keys(prefix):
        try:
            size, modified_at = storage.size(key), storage.get_modified_time(key)
        except FileNotFoundError:
            continue  # deleted since it was listed
        objects.append(StoredObject(key=key, size=size, modified_at=modified_at))
    return objects


def list_keys(prefix: str = KEY_PREFIX) -> list[str]:
    """Every stored object key under prefix, sorted."""
    storage = plugin_storage()
    if isinstance(storage, S3Storage):
        return [stored.key for stored in list_objects(prefix)]
    directory = prefix if prefix.endswith("/") else posixpath.dirname(prefix)
    return sorted(key for key in _walk(storage, directory.rstrip("/")) if key.startswith(prefix))


def _walk(storage: Storage, directory: str) -> Iterator[str]:
    try:
        directories, files = storage.listdir(directory)
    except FileNotFoundError:
        return
    for filename in files:
        yield posixpath.join(directory, filename)
    for child in directories:
        yield from _walk(storage, posixpath.join(directory, child))


def _list_s3_objects(storage: S3Storage, prefix: str) -> Iterator[StoredObject]:
    # One paginated listing returns sizes and dates too, instead of a HEAD per object.
    location = clean_name(storage.location).strip("/")
    s3_prefix = f"{location}/{prefix}" if location else prefix
    paginator = storage.connection.meta.client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=storage.bucket_name, Prefix=s3_prefix):
        for entry in page.get("Contents", ()):
            yield StoredObject(
                key=entry["Key"][len(location) + 1 :] if location else entry["Key"],
                size=entry["Size"],
                modified_at=entry["LastModified"],
            )


def _read_if_exists(storage: Storage, key: str) -> bytes | None:
    try:
        with storage.open(key, "rb") as stored:
            return stored.read()
    except FileNotFoundError:
        return None


def _is_intact(key: str, content: bytes) -> bool:
    # Whether an existing object is a complete file rather than the remains of an upload
    # that died half-way (the filesystem writes in place, so a crash can leave a prefix).
    match = ASSET_KEY_PATTERN.match(key)
    own_hash = match and not match["map"] and (match["bundle_hash"] or match["styles_hash"])
    if own_hash:
        return sha256_hex(content).startswith(own_hash)
    # Sourcemaps (named after their bundle) and manifests: complete if they parse.
    try:
        json.loads(content)
    except ValueError:
        return False
    return True


def _write(storage: Storage, key: str, content: bytes) -> bool:
    """Store content under key; False when a concurrent upload stored the same bytes first."""
    if isinstance(storage, S3Storage):
        _put_s3_object(storage, key, content)
        return True
    saved = storage.save(key, ContentFile(content))
    if saved != key:
        # A concurrent writer created the key first and the storage picked a free name for
        # us; the key must be exact, so drop our copy and accept theirs if it is the same.
        storage.delete(saved)
        if _read_if_exists(storage, key) != content:
            raise AssetConflict(
                f"{key} was stored with other content by a concurrent upload",
                details={"key": key},
            )
        return False
    return True


def _touch(storage: Storage, key: str, content: bytes) -> None:
    if isinstance(storage, FileSystemStorage):
        os.utime(storage.path(key))
    elif isinstance(storage, S3Storage):
        # S3 has no touch: putting the same bytes again renews LastModified atomically.
        _put_s3_object(storage, key, content)


def _put_s3_object(storage: S3Storage, key: str, content: bytes) -> None:
    # Written through boto3 rather than storage.save() so each object gets its own
    # Content-Type (with charset) and Cache-Control, and is never gzipped: the stored bytes
    # are exactly those the SRI hash and size describe.
    parameters = storage.get_object_parameters(key)  # the operator's extras, e.g. encryption
    parameters["ContentType"] = content_type_for_key(key)
    parameters["CacheControl"] = cache_control_for_key(key)
    parameters.pop("ContentEncoding", None)
    if storage.default_acl and "ACL" not in parameters:
        parameters["ACL"] = storage.default_acl
    name = safe_join(storage.location, clean_name(key))
    storage.bucket.Object(name).put(Body=content, **parameters)
