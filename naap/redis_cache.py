"""Django's Redis cache backend, with one client object per process, batched counters and
batched reads (with helpers that fall back to any other backend), and a Redis outage that
costs speed instead of answers.

Django's `RedisCacheClient` builds a new `redis.Redis` object for every command (its
constructor registers ~170 response callbacks); on the manifest and bootstrap hot paths that
was a visible share of each request. The connection pool was already shared; now the client
object built on it is too (`redis.Redis` is safe to share between threads).

When Redis is down or hung (docs/decisions.md, "Redis outages"):

- every command has short socket timeouts (`NAAP_REDIS_TIMEOUT_MS`), so a hung server costs
  a bounded wait, and a broken pooled connection is retried once on a new one;
- after a failure this process skips Redis (`NAAP_REDIS_RETRY_MS`): reads answer "missing",
  writes are dropped and their keys remembered, counters raise `CacheUnavailable` so their
  callers choose; a background thread tries Redis again, so requests do not each wait;
- when Redis answers again, before anything else reads it: the keys whose writes were dropped
  are deleted (a session signed out meanwhile must not come back from the cache), and the
  cache epoch is renewed. Every cached answer is stamped with the epoch (registry.cache,
  installs.cache), so renewing it retires everything cached before, including entries that
  generation bumps missed while Redis was away, whichever process missed them.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError, ReadOnlyError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.retry import Retry

logger = logging.getLogger(__name__)

# Errors that mean the server cannot serve us now, not that we asked something wrong.
UNAVAILABLE_ERRORS = (RedisConnectionError, RedisTimeoutError, ReadOnlyError, OutOfMemoryError)
EPOCH_KEY = "cache-epoch"
# Dropped writes remembered per process; past this, an outage's writes are not all forgotten.
MAX_DROPPED_KEYS = 100_000


class CacheUnavailable(Exception):
    """The cache could not do what was asked (Redis down, hung, or skipped after a failure)."""


def new_epoch() -> int:
    """A fresh random epoch; never 0, which stands for "unknown"."""
    return secrets.randbits(62) + 1


class RedisOutage:
    """How this process sees one Redis server: answering, or skipped since a failure until a
    background retry gets through; and the keys whose writes were dropped meanwhile."""

    def __init__(self, server: str, retry_after: float) -> None:
        self.server = server
        self.retry_after = retry_after
        self.skipping = False
        self.started_at = 0.0
        self.dropped: set[str] = set()
        self.overflowed = False
        self._lock = threading.Lock()
        self._retrier: threading.Thread | None = None

    def failed(self, error: Exception, *, heal: Callable[[], bool]) -> None:
        """Skip the server from now on; start retrying it in the background."""
        with self._lock:
            if not self.skipping:
                self.skipping, self.started_at = True, time.monotonic()
                logger.warning(
                    "Redis at %s is not answering (%s: %s): the cache is skipped, answers come "
                    "from the database, rate limits are not applied; trying again every %.1f s",
                    self.server,
                    type(error).__name__,
                    error,
                    self.retry_after,
                )
            if self._retrier is None or not self._retrier.is_alive():
                self._retrier = threading.Thread(
                    target=self._retry_until_healed,
                    args=(heal,),
                    name="naap-redis-retry",
                    daemon=True,
                )
                self._retrier.start()

    def drop(self, keys) -> None:
        """Remember keys whose write was not done, to delete them once the server is back."""
        with self._lock:
            for key in keys:
                if len(self.dropped) >= MAX_DROPPED_KEYS:
                    self.overflowed = True
                    return
                self.dropped.add(key)

    def take_dropped(self) -> list[str]:
        with self._lock:
            return list(self.dropped)

    def healed(self, forgotten: list[str]) -> None:
        with self._lock:
            self.dropped.difference_update(forgotten)
            overflowed, self.overflowed = self.overflowed, False
            self.skipping = False
            seconds = time.monotonic() - self.started_at
        logger.warning(
            "Redis at %s answers again after %.1f s: the cache epoch was renewed and %d keys "
            "written meanwhile were forgotten%s",
            self.server,
            seconds,
            len(forgotten),
            "; more writes were dropped than could be remembered" if overflowed else "",
        )

    def _retry_until_healed(self, heal: Callable[[], bool]) -> None:
        while self.skipping:
            time.sleep(self.retry_after)
            try:
                if heal():
                    return
            except Exception:  # the retrier must outlive anything but success
                logger.exception("Retrying Redis at %s failed", self.server)


_outages: dict[tuple[str, ...], RedisOutage] = {}
_outages_lock = threading.Lock()


def outage_for(servers: list[str], retry_after: float) -> RedisOutage:
    """The one RedisOutage of these servers in this process (cache backends are per thread)."""
    with _outages_lock:
        outage = _outages.get(tuple(servers))
        if outage is None:
            parts = urlsplit(servers[0])
            name = f"{parts.hostname}:{parts.port or 6379}{parts.path}"  # no password in logs
            outage = _outages[tuple(servers)] = RedisOutage(name, retry_after)
        return outage


class NaapRedisCacheClient(RedisCacheClient):
    """Django's Redis client with a shared `redis.Redis` per pool, and the outage rules of
    the module docstring: reads fall back to "missing", writes are dropped and remembered,
    `incr` raises CacheUnavailable; `clear` is not guarded (tests and operators want to know).
    """

    def __init__(self, servers, *, retry_after: float, epoch_key: str, **options):
        super().__init__(servers, **options)
        self._clients: dict[int, object] = {}
        self._epoch_key = epoch_key
        self.outage = outage_for(servers, retry_after)

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._client(connection_pool=self._get_connection_pool(write))
            self._clients[index] = client
        return client

    def guarded(self, operation: Callable, *args, fallback=None, writes=()):
        """operation(*args), or `fallback` while Redis is skipped or when it fails now.

        `writes` names the keys the operation writes: when it is not done they are
        remembered and deleted once Redis is back. A `fallback` of CacheUnavailable is raised.
        """
        if not self.outage.skipping:
            try:
                return operation(*args)
            except UNAVAILABLE_ERRORS as error:
                self.outage.failed(error, heal=self.heal)
        if writes:
            self.outage.drop(writes)
        if fallback is CacheUnavailable:
            raise CacheUnavailable(f"Redis at {self.outage.server} is not answering")
        return fallback

    def heal(self) -> bool:
        """Forget the dropped writes and renew the epoch; False when Redis still fails."""
        forgotten = self.outage.take_dropped()
        try:
            pipe = self.get_client(write=True).pipeline(transaction=False)
            for start in range(0, len(forgotten), 1000):
                pipe.delete(*forgotten[start : start + 1000])
            pipe.set(self._epoch_key, self._serializer.dumps(new_epoch()))
            pipe.execute()
        except UNAVAILABLE_ERRORS:
            return False
        self.outage.healed(forgotten)
        return True

    def get(self, key, default):
        return self.guarded(super().get, key, default, fallback=default)

    def get_many(self, keys):
        return self.guarded(super().get_many, keys, fallback={})

    def has_key(self, key):
        return self.guarded(super().has_key, key, fallback=False)

    def add(self, key, value, timeout):
        return self.guarded(super().add, key, value, timeout, fallback=False, writes=[key])

    def set(self, key, value, timeout):
        return self.guarded(super().set, key, value, timeout, writes=[key])

    def touch(self, key, timeout):
        return self.guarded(super().touch, key, timeout, fallback=False, writes=[key])

    def delete(self, key):
        return self.guarded(super().delete, key, fallback=False, writes=[key])

    def set_many(self, data, timeout):
        return self.guarded(super().set_many, data, timeout, writes=list(data))

    def delete_many(self, keys):
        keys = list(keys)
        return self.guarded(super().delete_many, keys, writes=keys)

    def incr(self, key, delta):
        return self.guarded(super().incr, key, delta, fallback=CacheUnavailable)


class NaapRedisCache(RedisCache):
    """RedisCache with a shared client, `incr_many` and `read_many` in one round trip, and the
    outage rules of the module docstring.

    OPTIONS beyond redis-py's: `retry_after` (seconds Redis is skipped after a failure before
    the next try; default 5). Socket timeouts default to 0.5 s, and a broken connection is
    retried once (a timeout is not: the server is hung).
    """

    def __init__(self, server, params):
        options = dict(params.get("OPTIONS", {}))
        retry_after = float(options.pop("retry_after", 5.0))
        options.setdefault("socket_connect_timeout", 0.5)
        options.setdefault("socket_timeout", 0.5)
        options.setdefault("retry", Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)))
        super().__init__(server, {**params, "OPTIONS": options})
        self._class = NaapRedisCacheClient
        self._options = {
            **options,
            "retry_after": retry_after,
            "epoch_key": self.make_key(EPOCH_KEY),
        }

    def raw_client(self, *, write: bool = False):
        """The shared `redis.Redis` client, for pipelines of our own."""
        return self._cache.get_client(write=write)

    def answering(self) -> bool:
        """Whether this process uses Redis now (False while it is skipped after a failure)."""
        return not self._cache.outage.skipping

    def probe(self) -> None:
        """Write, read and delete a key in Redis itself, outage rules aside; raise what fails
        (the readiness probe names it)."""
        client = self.raw_client(write=True)
        key = self.make_key(f"readyz:{secrets.token_hex(8)}")
        client.set(key, b"ok", ex=10)
        if client.get(key) != b"ok":
            raise RuntimeError("the cache did not return what was just written")
        client.delete(key)

    def guarded(self, operation: Callable, *args, fallback=None):
        """operation(*args) under the outage rules (a script or pipeline of our own on
        `raw_client`); `fallback` while Redis is skipped or when it fails now, raised when it
        is CacheUnavailable."""
        return self._cache.guarded(operation, *args, fallback=fallback)

    def incr_many(self, deltas: dict[str, int], *, timeout: int | None) -> dict[str, int]:
        """Add each delta to its counter (created at 0 when missing) in one round trip; the
        new totals. `timeout` None keeps the counters without expiry. CacheUnavailable when
        Redis is skipped or fails.

        Counters are stored as plain integers, as `incr` leaves them, so `get` reads them back.
        """
        if not deltas:
            return {}
        return self._cache.guarded(self._incr_many, deltas, timeout, fallback=CacheUnavailable)

    def _incr_many(self, deltas: dict[str, int], timeout: int | None) -> dict[str, int]:
        pipe = self.raw_client(write=True).pipeline(transaction=False)
        for key, delta in deltas.items():
            full_key = self.make_and_validate_key(key)
            pipe.incrby(full_key, delta)
            if timeout is not None:
                pipe.expire(full_key, timeout)
        replies = iter(pipe.execute())
        totals = {}
        for key in deltas:
            totals[key] = int(next(replies))
            if timeout is not None:
                next(replies)
        return totals

    def read_many(self, keys: list[str]) -> list:
        """Values of our own keys in order (None when missing, or while Redis is skipped),
        in one MGET.

        Like `get_many`, without checking each key for memcached compatibility (a visible
        cost at 30 keys per request on the bootstrap hot path): the keys are ours.
        """
        if not keys:
            return []
        return self._cache.guarded(self._read_many, keys, fallback=[None] * len(keys))

    def _read_many(self, keys: list[str]) -> list:
        loads = self._cache._serializer.loads
        values = self.raw_client().mget([self.make_key(key) for key in keys])
        return [None if value is None else loads(value) for value in values]


def add_to_counters(cache, deltas: dict[str, int], *, timeout: int | None) -> dict[str, int]:
    """Add to counters in any cache backend (one pipeline with ours); their new totals.
    CacheUnavailable when Redis is skipped or fails.

    The counters of the whole project go through here: download counts, manifest and tenant
    generations, rate windows.
    """
    incr_many = getattr(cache, "incr_many", None)
    if incr_many is not None:
        return incr_many(deltas, timeout=timeout)
    totals = {}
    for key, delta in deltas.items():
        if cache.add(key, delta, timeout=timeout):
            totals[key] = delta
            continue
        try:
            totals[key] = cache.incr(key, delta)
        except ValueError:  # expired between add and incr
            cache.add(key, delta, timeout=timeout)
            totals[key] = delta
    return totals


def read_many(cache, keys: list[str]) -> list:
    """Values of keys in order (None when missing) in any cache backend: one MGET with ours,
    else get_many."""
    reader = getattr(cache, "read_many", None)
    if reader is not None:
        return reader(keys)
    found = cache.get_many(keys)
    return [found.get(key) for key in keys]


def cache_answering(cache) -> bool:
    """Whether the cache is in use now: False while Redis is skipped after a failure."""
    answering = getattr(cache, "answering", None)
    return answering() if answering is not None else True


def cache_epoch(cache, value) -> int:
    """The epoch read with other keys (`value`), or set to a new random one when it is missing
    (a new or flushed Redis); 0 when the cache cannot say."""
    if value:
        return value
    if not cache_answering(cache):
        return 0  # skipped Redis: no write to drop and remember on every request
    cache.add(EPOCH_KEY, new_epoch(), timeout=None)
    return cache.get(EPOCH_KEY) or 0
