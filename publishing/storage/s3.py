"""Plugin assets as objects in an S3 bucket (django-storages), served by the bucket or its CDN."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import ClientError, HTTPClientError
from botocore.exceptions import ConnectionError as BotocoreConnectionError
from storages.backends.s3 import S3Storage
from storages.utils import clean_name, safe_join

from publishing.storage.base import AssetBackend, StorageUnavailable, StoredObject
from publishing.storage.keys import cache_control_for_key, content_type_for_key
from publishing.storage.signing import TEMPORARY_URL_MAX_AGE


@contextmanager
def store_answering(action: str) -> Iterator[None]:
    """Turn the store's silence or refusal to serve (timeouts, connection errors, 5xx after
    the client's own retries) into StorageUnavailable, a 503 for API callers."""
    try:
        yield
    except (BotocoreConnectionError, HTTPClientError) as error:
        raise StorageUnavailable(
            f"The asset storage did not answer ({action}): {error}. Try again in a minute."
        ) from error
    except ClientError as error:
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        if status < 500:
            raise
        raise StorageUnavailable(
            f"The asset storage cannot serve now ({action}: HTTP {status}). Try again in a minute."
        ) from error


class S3AssetBackend(AssetBackend):
    """An S3Storage's bucket holds the assets, one object per key. The client's timeouts and
    attempts are bounded (NAAP_S3_*), and a store that does not answer is StorageUnavailable."""

    is_local = False
    storage: S3Storage

    def write(self, key: str, content: bytes) -> bool:
        """Put content under key; a PUT replaces atomically, so this call always stored it."""
        with store_answering(f"writing {key}"):
            self._put(key, content)
        return True

    def renew(self, key: str, content: bytes) -> None:
        """Put the same bytes again: S3 has no touch, but a PUT renews LastModified atomically."""
        with store_answering(f"writing {key}"):
            self._put(key, content)

    def read(self, key: str) -> bytes | None:
        with store_answering(f"reading {key}"):
            return super().read(key)

    def exists(self, key: str) -> bool:
        with store_answering(f"looking for {key}"):
            return super().exists(key)

    def delete(self, key: str) -> None:
        with store_answering(f"deleting {key}"):
            super().delete(key)

    def copy(self, source_key: str, target_key: str) -> None:
        """Copy inside the bucket (no bytes through this host); the copy appears whole or not
        at all, with target_key's Content-Type and Cache-Control and a new LastModified."""
        with store_answering(f"copying {source_key}"):
            self.storage.bucket.Object(self._name(target_key)).copy_from(
                CopySource={"Bucket": self.storage.bucket_name, "Key": self._name(source_key)},
                MetadataDirective="REPLACE",
                **self._object_parameters(target_key),
            )

    def temporary_url(self, key: str) -> str:
        """A presigned GET of the object, valid for TEMPORARY_URL_MAX_AGE seconds.

        It names the bucket's own endpoint, never PLUGIN_CDN_URL: the CDN serves only the
        public prefix, and a signature is checked by S3 itself.
        """
        return self.storage.connection.meta.client.generate_presigned_url(
            "get_object",
            Params={"Bucket": self.storage.bucket_name, "Key": self._name(key)},
            ExpiresIn=TEMPORARY_URL_MAX_AGE,
        )

    def list_objects(self, prefix: str) -> list[StoredObject]:
        """Every object under prefix, sorted by key, with its size and LastModified."""
        with store_answering(f"listing {prefix}"):
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
        self.storage.bucket.Object(self._name(key)).put(
            Body=content, **self._object_parameters(key)
        )

    def _object_parameters(self, key: str) -> dict:
        parameters = self.storage.get_object_parameters(key)  # operator extras, e.g. encryption
        parameters["ContentType"] = content_type_for_key(key)
        parameters["CacheControl"] = cache_control_for_key(key)
        parameters.pop("ContentEncoding", None)
        if self.storage.default_acl and "ACL" not in parameters:
            parameters["ACL"] = self.storage.default_acl
        return parameters

    def _name(self, key: str) -> str:
        # The object's name in the bucket: the key under the storage's location, if any.
        return safe_join(self.storage.location, clean_name(key))
