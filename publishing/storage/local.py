"""Plugin assets as files on this host's disk, served by publishing.cdn_views under /cdn/."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator
from pathlib import Path

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage

from publishing.storage.base import AssetBackend, AssetConflict, StoredObject


class LocalAssetBackend(AssetBackend):
    """A FileSystemStorage's directory holds the assets, one file per key."""

    is_local = True
    storage: FileSystemStorage

    def write(self, key: str, content: bytes) -> bool:
        """Store content under key; False when a concurrent upload stored the same bytes first."""
        saved = self.storage.save(key, ContentFile(content))
        if saved != key:
            # A concurrent writer created the key first and the storage picked a free name for
            # us; the key must be exact, so drop our copy and accept theirs if it is the same.
            self.storage.delete(saved)
            if self.read(key) != content:
                raise AssetConflict(
                    f"{key} was stored with other content by a concurrent upload",
                    details={"key": key},
                )
            return False
        return True

    def renew(self, key: str, content: bytes) -> None:
        """Set the file's modification time to now."""
        os.utime(self.storage.path(key))

    def list_objects(self, prefix: str) -> list[StoredObject]:
        """Every file under prefix, sorted by key, with its size and modification time."""
        objects = []
        for key in self._keys(prefix):
            try:
                size, modified_at = self.storage.size(key), self.storage.get_modified_time(key)
            except FileNotFoundError:
                continue  # deleted since it was listed
            objects.append(StoredObject(key=key, size=size, modified_at=modified_at))
        return objects

    def local_file(self, key: str) -> Path:
        """The resolved path of key's file; SuspiciousFileOperation if it leads out of the store."""
        file_path = Path(self.storage.path(key)).resolve()
        # A symlink inside the store must not lead out of it.
        if not file_path.is_relative_to(Path(self.storage.location).resolve()):
            raise SuspiciousFileOperation(f"{key} leads out of the asset store")
        return file_path

    def _keys(self, prefix: str) -> list[str]:
        directory = prefix if prefix.endswith("/") else posixpath.dirname(prefix)
        return sorted(key for key in self._walk(directory.rstrip("/")) if key.startswith(prefix))

    def _walk(self, directory: str) -> Iterator[str]:
        try:
            directories, files = self.storage.listdir(directory)
        except FileNotFoundError:
            return
        for filename in files:
            yield posixpath.join(directory, filename)
        for child in directories:
            yield from self._walk(posixpath.join(directory, child))
