"""Serialised production manifests in the cache, and download counters.

Manifests are rendered once per version and kept in the cache (Redis in production) as
ready-to-send JSON with their ETag, so the hot path is one cache read. Every change to a
version or its package's deployment bumps the package's generation number
(`invalidate_package`), which retires all of its cached entries at once, across every app
server.

Every generation is read together with the cache epoch (naap.redis_cache), and entries are
stamped with both: when Redis comes back after an outage, the epoch is renewed, which
retires every entry cached before it, including those whose generation bumps were missed
while Redis was away. While the cache does not answer, generations are unknown (epoch 0):
manifests come from the database and nothing is kept.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections import Counter
from dataclasses import dataclass
from typing import NamedTuple

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from naap.redis_cache import (
    EPOCH_KEY,
    CacheUnavailable,
    add_to_counters,
    cache_epoch,
    read_many,
)

logger = logging.getLogger(__name__)

MANIFEST_TIMEOUT = 24 * 60 * 60
DOWNLOAD_KEY_PREFIX = "downloads"
DOWNLOAD_COUNTER_TIMEOUT = 8 * 24 * 60 * 60


# Entries are pickled ManifestEntry objects: change MANIFEST_ENTRY_FORMAT with its fields, so
# a deploy never reads entries an older release wrote.
MANIFEST_ENTRY_FORMAT = 2  # 2: entries say whether their package is a preview


@dataclass(frozen=True)
class ManifestEntry:
    """A manifest as sent and as cached: the document, its compact JSON body, its strong ETag
    and the id of the version it describes (downloads are counted against it), and whether
    its package is a preview (registry.visibility: then every request is checked, and no
    shared cache or hot path keeps it)."""

    document: dict
    body: bytes
    etag: str
    version_id: int
    preview: bool = False


def render_manifest(document: dict, *, version_id: int, preview: bool = False) -> ManifestEntry:
    """Serialise a manifest document once, with an ETag of its bytes."""
    body = json.dumps(document, separators=(",", ":"), sort_keys=True).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    return ManifestEntry(document, body, etag, version_id, preview)


def generation_key(package_name: str) -> str:
    return f"manifest-gen:{package_name}"


# The generation of the set of core packages (installed for everyone): every bootstrap is
# stamped with it, so a package joining or leaving the set retires every person's bootstrap.
CORE_GENERATION_KEY = "catalog-gen:core"
# The generation of the whole listing (browse pages, their facets, API search results): every
# change that invalidate_package announces bumps it too, so any write that can change what a
# package's card or its place in a listing shows (publish, deprecate, yank, listing, a review
# that moves its rating) retires every cached listing at once (registry/browse_cache.py).
CATALOG_GENERATION_KEY = "catalog-gen:listing"


class PackageGeneration(NamedTuple):
    """What a package's cached manifests are stamped with: the cache epoch and the package's
    generation number (0 until first bumped)."""

    epoch: int
    number: int

    @property
    def known(self) -> bool:
        """False while the cache does not answer: nothing may be read from or kept in it."""
        return self.epoch != 0


def package_generation(package_name: str) -> PackageGeneration:
    """The package's current cache generation."""
    return package_generations([package_name])[package_name]


def catalog_generation() -> PackageGeneration:
    """The listing's current cache generation (one cache round trip: epoch and number)."""
    epoch, number = read_many(cache, [EPOCH_KEY, CATALOG_GENERATION_KEY])
    return PackageGeneration(cache_epoch(cache, epoch), number or 0)


def package_generations(package_names: list[str]) -> dict[str, PackageGeneration]:
    """Generations of many packages in one cache round trip."""
    epoch, *numbers = read_many(cache, [EPOCH_KEY, *map(generation_key, package_names)])
    epoch = cache_epoch(cache, epoch)
    return {
        name: PackageGeneration(epoch, number or 0)
        for name, number in zip(package_names, numbers, strict=True)
    }


def manifest_cache_key(package_name: str, reference: str, generation: PackageGeneration) -> str:
    """Key of one cached manifest; reference is a version or 'latest'."""
    stamp = f"{generation.epoch}.{generation.number}"
    return f"manifest:{MANIFEST_ENTRY_FORMAT}:{package_name}:{stamp}:{reference}"


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
    _bump(deltas, timeout=timeout)
    transaction.on_commit(lambda: _bump(deltas, timeout=timeout))


def _bump(deltas: dict[str, int], *, timeout: int | None) -> None:
    try:
        add_to_counters(cache, deltas, timeout=timeout)
    except CacheUnavailable:
        # The write goes on: when Redis is back the epoch is renewed, which retires what this
        # bump would have (naap.redis_cache).
        logger.warning("Cache generations not bumped (the cache is not answering): %s", deltas)


def invalidate_package(*package_names: str, core: bool = False) -> None:
    """Retire the packages' cached manifests, every bootstrap that shows them and every cached
    listing (browse pages, facets, search results: CATALOG_GENERATION_KEY).

    `core=True` when the change may move a package into or out of the core set (its core
    flag, status or deprecation, while it is or was core): every bootstrap is retired, since
    each shows every core package whether its person installed it or not.
    """
    keys = [generation_key(name) for name in package_names]
    if keys:
        keys.append(CATALOG_GENERATION_KEY)
    if core:
        keys.append(CORE_GENERATION_KEY)
    bump_generations(keys, timeout=None)


def download_counter_key(day: str, version_id: int) -> str:
    """Cache key of one version's download counter for one day (ISO date)."""
    return f"{DOWNLOAD_KEY_PREFIX}:{day}:{version_id}"


def record_download(*, version_id: int) -> None:
    """Count one download in the cache; flush_download_stats moves counts to the database."""
    record_downloads({(timezone.now().date().isoformat(), version_id): 1})


# Download counts the cache did not take (Redis down), added again with the next ones.
_unrecorded: Counter[tuple[str, int]] = Counter()
_unrecorded_lock = threading.Lock()
MAX_UNRECORDED = 100_000


def record_downloads(counts: dict[tuple[str, int], int]) -> None:
    """Add download counts, keyed by (ISO day, version id), to the cache counters.

    The keys are derived from (day, version), so the flush finds them without an index.
    With Redis this is one pipelined round trip however many versions are counted. While the
    cache does not answer, the counts wait in this process and go with the next ones.
    """
    with _unrecorded_lock:
        pending = _unrecorded + Counter(counts)
        _unrecorded.clear()
    deltas = {download_counter_key(day, version_id): n for (day, version_id), n in pending.items()}
    try:
        add_to_counters(cache, deltas, timeout=DOWNLOAD_COUNTER_TIMEOUT)
    except CacheUnavailable:
        with _unrecorded_lock:
            if len(_unrecorded) + len(pending) <= MAX_UNRECORDED:
                _unrecorded.update(pending)
