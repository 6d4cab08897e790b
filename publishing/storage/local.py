"""Plugin assets as files on this host's disk, served by publishing.cdn_views under /cdn/."""

from __future__ import annotations

import contextlib
import os
import posixpath
import tempfile
from collections.abc import Iterator
from pathlib import Path

from django.core.exceptions import SuspiciousFileOperation
from django.core.files.storage import FileSystemStorage

from publishing.storage.base import AssetBackend, AssetConflict, StoredObject
from publishing.storage.signing import signed_query


class LocalAssetBackend(AssetBackend):
    """A FileSystemStorage's directory holds the assets, one file per key."""

    is_local = True
    storage: FileSystemStorage

    def write(self, key: str, content: bytes) -> bool:
        """Store content under key; False when a concurrent upload stored the same bytes first.

        The bytes go to a temporary file beside the key, then are linked to the key's name in
        one step that fails if the name exists: a full disk or a crash leaves at most a
        temporary file (which gc_assets removes), never a partial file under a final
        content-hashed key, and a concurrent writer never reads our half-written bytes.
        """
        path = Path(self.storage.path(key))
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(content)
                file.flush()
                os.fsync(file.fileno())
            os.chmod(temporary, self.storage.file_permissions_mode or 0o644)
            try:
                os.link(temporary, path)
            except FileExistsError:
                if path.read_bytes() != content:
                    raise AssetConflict(
                        f"{key} was stored with other content by a concurrent upload",
                        details={"key": key},
                    ) from None
                return False
            return True
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)

    def renew(self, key: str, content: bytes) -> None:
        """Set the file's modification time to now."""
        os.utime(self.storage.path(key))

    def copy(self, source_key: str, target_key: str) -> None:
        """Write the source file's bytes under target_key as write() does (a temporary file
        linked in one step), so the copy is whole or absent, and young for gc_assets."""
        content = self.read(source_key)
        if content is None:
            raise FileNotFoundError(f"{source_key} is not stored")
        if self.exists(target_key) and self.read(target_key) != content:
            self.delete(target_key)  # the remains of a crashed copy: nothing refers to them
        self.write(target_key, content)

    def temporary_url(self, key: str) -> str:
        """The key's /cdn/ URL with a signature the embedded CDN accepts for a limited time."""
        return f"{self.url(key)}?{signed_query(key)}"

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
