"""Plugin assets as objects in an S3 bucket (django-storages), served by the bucket or its CDN."""

from __future__ import annotations

from collections.abc import Iterator

from storages.backends.s3 import S3Storage
from storages.utils import clean_name, safe_join

from publishing.storage.base import AssetBackend, StoredObject
from publishing.storage.keys import cache_control_for_key, content_type_for_key


class S3AssetBackend(AssetBackend):
    """An S3Storage's bucket holds the assets, one object per key."""

    is_local = False
    storage: S3Storage

    def write(self, key: str, content: bytes) -> bool:
        """Put content under key; a PUT replaces atomically, so this call always stored it."""
        self._put(key, content)
        return True

    def renew(self, key: str, content: bytes) -> None:
        """Put the same bytes again: S3 has no touch, but a PUT renews LastModified atomically."""
        self._put(key, content)

    def list_objects(self, prefix: str) -> list[StoredObject]:
        """Every object under prefix, sorted by key, with its size and LastModified."""
        return sorted(self._listing(prefix), key=lambda stored: stored.key)

    def _listing(self, prefix: str) -> Iterator[StoredObject]:
        # One paginated listing returns sizes and dates too, instead of a HEAD per object.
        location = clean_name(self.storage.location).strip("/")
        s3_prefix = f"{location}/{prefix}" if location else prefix
        paginator = self.storage.connection.meta.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.storage.bucket_name, Prefix=s3_prefix):
            for entry in page.get("Contents", ()):
                yield StoredObject(
                    key=entry["Key"][len(location) + 1 :] if location else entry["Key"],
                    size=entry["Size"],
                    modified_at=entry["LastModified"],
                )

    def _put(self, key: str, content: bytes) -> None:
        # Written through boto3 rather than storage.save() so each object gets its own
        # Content-Type (with charset) and Cache-Control, and is never gzipped: the stored bytes
        # are exactly those the SRI hash and size describe.
        parameters = self.storage.get_object_parameters(key)  # operator extras, e.g. encryption
        parameters["ContentType"] = content_type_for_key(key)
        parameters["CacheControl"] = cache_control_for_key(key)
        parameters.pop("ContentEncoding", None)
        if self.storage.default_acl and "ACL" not in parameters:
            parameters["ACL"] = self.storage.default_acl
        name = safe_join(self.storage.location, clean_name(key))
        self.storage.bucket.Object(name).put(Body=content, **parameters)
