"""The one interface every asset backend offers, over a Django storage (SPEC §5)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from django.core.files.storage import Storage

from naap.errors import Conflict, ServiceUnavailable


class AssetConflict(Conflict):
    """Another file is already stored under a key that must never change."""


class StorageUnavailable(ServiceUnavailable):
    """The asset storage did not answer in time, or answered that it cannot serve now."""


@dataclass(frozen=True)
class StoredObject:
    key: str
    size: int
    modified_at: datetime


class AssetBackend(ABC):
    """Where plugin assets live: one object per key, written once, read back to verify."""

    # Whether the objects are files on this host, served by the embedded CDN under /cdn/;
    # otherwise the bucket or the CDN in front of it serves them.
    is_local: ClassVar[bool]

    def __init__(self, storage: Storage) -> None:
        self.storage = storage

    @abstractmethod
    def write(self, key: str, content: bytes) -> bool:
        """Store content under key; False when a concurrent upload stored the same bytes first."""

    @abstractmethod
    def renew(self, key: str, content: bytes) -> None:
        """Make the object under key (which holds content) young again, so gc_assets spares it."""

    @abstractmethod
    def list_objects(self, prefix: str) -> list[StoredObject]:
        """Every stored object under prefix, sorted by key, with its size and date."""

    @abstractmethod
    def copy(self, source_key: str, target_key: str) -> None:
        """Store the object under source_key under target_key too, replacing what is there, with
        the headers of target_key; an error (and nothing new under target_key) if it fails."""

    @abstractmethod
    def temporary_url(self, key: str) -> str:
        """A URL that fetches key from any origin, without other credentials, for the next
        TEMPORARY_URL_MAX_AGE seconds (signing.py): how people preview files in review."""

    def local_file(self, key: str) -> Path:
        """The file holding key on this host's disk; only a local backend has one."""
        raise NotImplementedError(f"{type(self).__name__} keeps no files on this host")

    def read(self, key: str) -> bytes | None:
        """The bytes stored under key, or None when nothing is stored there."""
        try:
            with self.storage.open(key, "rb") as stored:
                return stored.read()
        except FileNotFoundError:
            return None

    def exists(self, key: str) -> bool:
        """Whether an object is stored under key."""
        return self.storage.exists(key)

    def delete(self, key: str) -> None:
        """Remove the object under key; nothing happens when there is none."""
        self.storage.delete(key)

    def url(self, key: str) -> str:
        """The storage's own URL for key (public_url prefers PLUGIN_CDN_URL when it is set)."""
        return self.storage.url(key)
