"""Django's Redis cache backend, with one client object per process, batched counters and
batched reads (with helpers that fall back to any other backend).

Django's `RedisCacheClient` builds a new `redis.Redis` object for every command (its
constructor registers ~170 response callbacks); on the manifest and bootstrap hot paths that
was a visible share of each request. The connection pool was already shared; now the client
object built on it is too (`redis.Redis` is safe to share between threads).
"""

from __future__ import annotations

from django.core.cache.backends.redis import RedisCache, RedisCacheClient


class SharedClientRedisCacheClient(RedisCacheClient):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients: dict[int, object] = {}

    def get_client(self, key=None, *, write=False):
        index = self._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:
            client = self._client(connection_pool=self._get_connection_pool(write))
            self._clients[index] = client
        return client


class NaapRedisCache(RedisCache):
    """RedisCache with a shared client, and `incr_many` and `read_many` in one round trip."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = SharedClientRedisCacheClient

    def raw_client(self, *, write: bool = False):
        """The shared `redis.Redis` client, for pipelines of our own."""
        return self._cache.get_client(write=write)

    def incr_many(self, deltas: dict[str, int], *, timeout: int | None) -> dict[str, int]:
        """Add each delta to its counter (created at 0 when missing) in one round trip; the
        new totals. `timeout` None keeps the counters without expiry.

        Counters are stored as plain integers, as `incr` leaves them, so `get` reads them back.
        """
        if not deltas:
            return {}
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
        """Values of our own keys in order (None when missing), in one MGET.

        Like `get_many`, without checking each key for memcached compatibility (a visible
        cost at 30 keys per request on the bootstrap hot path): the keys are ours.
        """
        if not keys:
            return []
        client = self.raw_client()
        loads = self._cache._serializer.loads
        values = client.mget([self.make_key(key) for key in keys])
        return [None if value is None else loads(value) for value in values]


def add_to_counters(cache, deltas: dict[str, int], *, timeout: int | None) -> dict[str, int]:
    """Add to counters in any cache backend (one pipeline with ours); their new totals.

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
