"""Serialised production manifests in the cache, and download counters.

Manifests are rendered once per version and kept in the cache (Redis in production) as
ready-to-send JSON with their ETag, so the hot path is one cache read. Every change to a
version or its package's deployment bumps the package's generation number
(`invalidate_package`), which retires all of its cached entries at once, across every app
server.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from naap.redis_cache import add_to_counters

MANIFEST_TIMEOUT = 24 * 60 * 60
DOWNLOAD_KEY_PREFIX = "downloads"
DOWNLOAD_COUNTER_TIMEOUT = 8 * 24 * 60 * 60


# Entries are pickled ManifestEntry objects: change MANIFEST_ENTRY_FORMAT with its fields, so
# a deploy never reads entries an older release wrote.
MANIFEST_ENTRY_FORMAT = 1


@dataclass(frozen=True)
class ManifestEntry:
    """A manifest as sent and as cached: the document, its compact JSON body, its strong ETag
    and the id of the version it describes (downloads are counted against it)."""

    document: dict
    body: bytes
    etag: str
    version_id: int


def render_manifest(document: dict, *, version_id: int) -> ManifestEntry:
    """Serialise a manifest document once, with an ETag of its bytes."""
    body = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return ManifestEntry(document, body, etag, version_id)


def generation_key(package_name: str) -> str:
    return f"manifest-gen:{package_name}"


def package_generation(package_name: str) -> int:
    """The package's current cache generation (0 until first bumped)."""
    return cache.get(generation_key(package_name), 0)


def package_generations(package_names: list[str]) -> dict[str, int]:
    """Generations of many packages in one cache round trip."""
    found = cache.get_many([generation_key(name) for name in package_names])
    return {name: found.get(generation_key(name), 0) for name in package_names}


def manifest_cache_key(package_name: str, reference: str, generation: int) -> str:
    """Key of one cached manifest; reference is a version or 'latest'."""
    return f"manifest:{MANIFEST_ENTRY_FORMAT}:{package_name}:{generation}:{reference}"


def bump_generations(keys: list[str], *, timeout: int | None) -> None:
    """Retire every cached answer stamped with these generations, now and after commit.

    This is the catalog's one invalidation mechanism: each service that changes what a
    manifest or a bootstrap shows calls it (through invalidate_package or
    installs.cache.bump_tenants) in the transaction of its write. The second bump, once the
    transaction commits, retires anything a reader cached from the pre-commit rows in between.
    """
    if not keys:
        return
    deltas = dict.fromkeys(keys, 1)
    add_to_counters(cache, deltas, timeout=timeout)
    transaction.on_commit(lambda: add_to_counters(cache, deltas, timeout=timeout))


def invalidate_package(*package_names: str) -> None:
    """Retire the packages' cached manifests and every bootstrap that shows them."""
    bump_generations([generation_key(name) for name in package_names], timeout=None)


def download_counter_key(day: str, version_id: int) -> str:
    """Cache key of one version's download counter for one day (ISO date)."""
    return f"{DOWNLOAD_KEY_PREFIX}:{day}:{version_id}"


def record_download(*, version_id: int) -> None:
    """Count one download in the cache; flush_download_stats moves counts to the database."""
    record_downloads({(timezone.now().date().isoformat(), version_id): 1})


def record_downloads(counts: dict[tuple[str, int], int]) -> None:
    """Add download counts, keyed by (ISO day, version id), to the cache counters.

    The keys are derived from (day, version), so the flush finds them without an index.
    With Redis this is one pipelined round trip however many versions are counted.
    """
    deltas = {download_counter_key(day, version_id): n for (day, version_id), n in counts.items()}
    add_to_counters(cache, deltas, timeout=DOWNLOAD_COUNTER_TIMEOUT)
