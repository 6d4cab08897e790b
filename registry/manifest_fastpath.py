"""The manifest hot path: a WSGI layer that answers repeated manifest requests without Django.

A production manifest is a public, immutable-per-generation document, and it is the request
the shell population sends most. Going through Django's whole stack (middleware, URL
resolution, DRF's view, throttle bookkeeping) cost ~1.3 ms of CPU per request; this layer
answers a request it has seen before from the worker's memory:

- The first request for a (host, scheme, name, reference) goes through Django as before, and
  a 200 answer without cookies is kept: status, every header the middleware added, the body,
  the ETag and the version id (read from the manifest cache entry the view just wrote).
- A kept answer is served while its package's cache generation (registry.cache) is the one
  it was kept under. The worker reads the generation again at most every
  `MANIFEST_RECHECK_SECONDS` (1 s; 0 reads it at every request), so a publish, deploy,
  rollback, yank or deprecation reaches every worker of every app server within that time.
- `If-None-Match` gets a 304 with the same headers, as the view gives it.
- Downloads are counted per worker and added to the cache counters at most once a second
  (and when the worker exits), in one pipelined round trip; `flush_download_stats` moves
  them to DownloadStat as before.
- The anonymous read rate (`anon_read`) is applied per client address in fixed windows of
  the rate's period (RateWindows), answered with the 429 envelope and `Retry-After` as the
  API's throttle; every answer carries the RateLimit headers (naap.throttles).
- When the cache does not answer (naap.redis_cache), the generation is unknown: the request
  goes to Django, which answers from the database, and nothing is kept; the rate is not
  applied. Anything this layer fails at sends the request to Django rather than a 500.

Requests that carry a session cookie or an Authorization header, other methods, query
strings, and every answer that is not a plain 200 take the Django path unchanged.
"""

from __future__ import annotations

import atexit
import json
import logging
import math
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.core.cache import cache

from naap.api import error_body
from naap.etags import etag_matches
from naap.hotpath import is_secure, keep_bounded, through_django, without
from naap.http import client_ip_from_environ
from naap.redis_cache import CacheUnavailable, add_to_counters
from naap.throttles import (
    RATE_LIMIT_FIELDS,
    AnonReadThrottle,
    RateLimit,
    warn_limits_not_applied,
)
from registry.cache import (
    ManifestEntry,
    PackageGeneration,
    manifest_cache_key,
    package_generation,
    record_downloads,
)

logger = logging.getLogger(__name__)

MANIFEST_PATH = re.compile(
    r"/api/v1/plugins/registry/(?P<name>[a-z0-9][a-z0-9._-]*)/(?P<reference>[A-Za-z0-9.+-]+)/manifest"
)


@dataclass
class KeptAnswer:
    generation: PackageGeneration
    status: str
    headers: list[tuple[str, str]]
    headers_304: list[tuple[str, str]]
    body: bytes
    etag: str
    version_id: int
    checked_at: float  # when this worker last read the package's generation (its clock)


class DownloadBatch:
    """Download counts of one worker, added to the cache counters at most every `interval` s."""

    def __init__(self, interval: float = 1.0) -> None:
        self.interval = interval
        self._counts: Counter[tuple[str, int]] = Counter()
        self._lock = threading.Lock()
        self._last_flush = time.monotonic()

    def add(self, version_id: int) -> None:
        day = datetime.now(UTC).date().isoformat()
        with self._lock:
            self._counts[(day, version_id)] += 1
            due = time.monotonic() - self._last_flush >= self.interval
        if due:
            self.flush()

    def flush(self) -> None:
        with self._lock:
            counts, self._counts = self._counts, Counter()
            self._last_flush = time.monotonic()
        if counts:
            record_downloads(counts)


class RateWindows:
    """This worker's view of the shared per-address request counters (fixed windows).

    Requests are counted here and added to the shared counter in the cache every
    `SYNC_EVERY` requests of an address, or once `sync_interval` seconds have passed since its
    last addition, whichever comes first; the answer is the shared total plus what this
    worker has not added yet. With `sync_interval` 0 every request is added at once (exact);
    otherwise an address can overshoot its limit by at most SYNC_EVERY per worker.
    """

    SYNC_EVERY = 20

    def __init__(self, limit: int, period: int, *, sync_interval: float) -> None:
        self.limit, self.period, self.sync_interval = limit, period, sync_interval
        self._windows: dict[str, list] = {}  # key: [not yet added, shared total, last added]
        self._lock = threading.Lock()

    def count(self, ip: str) -> tuple[bool, RateLimit | None]:
        """Count one request of `ip`: whether it is allowed, and where `ip` stands (None when
        the shared counter does not answer: then the limit is not applied)."""
        now = time.time()
        window = int(now // self.period)
        key = f"manifest-rate:{ip}:{window}"
        with self._lock:
            state = self._windows.get(key)
            if state is None:
                if len(self._windows) > 10_000:  # addresses of past windows
                    self._windows = {
                        k: v for k, v in self._windows.items() if k.endswith(f":{window}")
                    }
                state = self._windows[key] = [0, 0, 0.0]
            state[0] += 1
            delta = 0
            if state[0] >= self.SYNC_EVERY or now - state[2] >= self.sync_interval:
                delta, state[0], state[2] = state[0], 0, now
        if delta:
            try:
                total = add_to_counters(cache, {key: delta}, timeout=self.period + 1)[key]
            except CacheUnavailable:
                warn_limits_not_applied("anon_read (manifests)")
                return True, None
            with self._lock:
                state[1] = max(state[1], total)
        used = state[1] + state[0]
        reset = max(1, math.ceil((window + 1) * self.period - now))
        return used <= self.limit, RateLimit(self.limit, max(0, self.limit - used), reset)


class ManifestFastPath:
    """WSGI middleware in front of Django's application (installed in naap/wsgi.py)."""

    def __init__(
        self,
        app: Callable,
        *,
        max_entries: int = 20_000,
        flush_interval: float = 1.0,
        recheck: float | None = None,
    ):
        self.app = app
        self.max_entries = max_entries
        self.downloads = DownloadBatch(flush_interval)
        # How long a worker trusts a generation it has read (settings.MANIFEST_RECHECK_SECONDS).
        self.recheck = settings.MANIFEST_RECHECK_SECONDS if recheck is None else recheck
        self.clock = time.monotonic
        self._kept: dict[tuple, KeptAnswer] = {}
        self._lock = threading.Lock()
        self._session_cookie = settings.SESSION_COOKIE_NAME + "="
        # The rate of the API's anonymous read throttle, as the throttle reads it.
        throttle = AnonReadThrottle()
        self.windows = (
            RateWindows(throttle.num_requests, throttle.duration, sync_interval=self.recheck)
            if throttle.rate
            else None
        )
        atexit.register(self.downloads.flush)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        match = self._match(environ)
        if match is None:
            return self.app(environ, start_response)
        name, reference = match
        key = (environ.get("HTTP_HOST", ""), is_secure(environ), name, reference)
        try:
            allowed, rate_limit = self._count(environ)
            kept, generation = self._current(key, name) if allowed else (None, None)
        except Exception:
            # Never a bare 500 from this layer: Django answers (from the database if need be).
            logger.exception("The manifest hot path failed; Django answers instead")
            return self.app(environ, start_response)
        if not allowed:
            return self._rate_limited(start_response, rate_limit)
        rate_headers = rate_limit.headers() if rate_limit else []
        if kept is None:
            with_rate = self._adding(start_response, rate_headers)
            return self._through_django(environ, with_rate, key, generation)
        if etag_matches(environ.get("HTTP_IF_NONE_MATCH"), kept.etag):
            start_response("304 Not Modified", [*kept.headers_304, *rate_headers])
            return []
        self.downloads.add(kept.version_id)
        start_response(kept.status, [*kept.headers, *rate_headers])
        return [kept.body]

    def _count(self, environ: dict) -> tuple[bool, RateLimit | None]:
        """Count the request against its client's rate: allowed, and where the client stands."""
        if self.windows is None:
            return True, None
        return self.windows.count(client_ip_from_environ(environ) or "")

    def _current(self, key: tuple, name: str) -> tuple[KeptAnswer | None, PackageGeneration | None]:
        """The kept answer if it may be sent, and the generation read (if it was read)."""
        kept = self._kept.get(key)
        now = self.clock()
        # Within the recheck time the kept answer stands; after it, the generation is read.
        if kept is not None and self.recheck and now - kept.checked_at < self.recheck:
            return kept, kept.generation
        generation = package_generation(name)
        if kept is None or not generation.known or kept.generation != generation:
            return None, generation
        kept.checked_at = now
        return kept, generation

    @staticmethod
    def _adding(start_response: Callable, headers: list[tuple[str, str]]) -> Callable:
        """start_response with this layer's rate headers in place of Django's."""
        if not headers:
            return start_response

        def with_headers(status, response_headers, exc_info=None):
            if status.startswith("429 "):  # Django's own throttle refused it: its numbers
                return start_response(status, response_headers, exc_info)
            kept = without(response_headers, *RATE_LIMIT_FIELDS)
            return start_response(status, [*kept, *headers], exc_info)

        return with_headers

    def _match(self, environ: dict) -> tuple[str, str] | None:
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING"):
            return None
        if environ.get("HTTP_AUTHORIZATION"):
            return None
        if self._session_cookie in environ.get("HTTP_COOKIE", ""):
            return None
        match = MANIFEST_PATH.fullmatch(environ.get("PATH_INFO", ""))
        return (match["name"], match["reference"]) if match else None

    def _rate_limited(self, start_response: Callable, rate_limit: RateLimit) -> list[bytes]:
        message = f"Too many requests: try again in {rate_limit.reset} seconds."
        body = json.dumps(error_body("RATE_LIMITED", message)).encode()
        start_response(
            "429 Too Many Requests",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("Retry-After", str(rate_limit.reset)),
                *rate_limit.headers(),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )
        return [body]

    def _through_django(
        self, environ: dict, start_response: Callable, key: tuple, generation: PackageGeneration
    ) -> Iterable[bytes]:
        response, answer = through_django(self.app, environ, start_response)
        if answer is not None and generation.known:
            try:
                self._keep(key, generation, answer)
            except Exception:  # the answer is sent all the same
                logger.exception("The manifest hot path could not keep an answer")
        return response

    def _keep(self, key: tuple, generation: PackageGeneration, answer) -> None:
        etag = answer.header("ETag")
        if etag is None:
            return
        _, _, name, reference = key
        # The entry the view just served from or wrote; a generation bump in between means
        # the answer may be stale, and it is not kept.
        entry: ManifestEntry | None = cache.get(manifest_cache_key(name, reference, generation))
        if entry is None or entry.etag != etag or entry.preview:
            # A preview's manifest is checked at every request (never sent to anonymous
            # clients, whom alone this layer serves; kept never, whatever happens).
            return
        # The rate headers are this layer's, per request.
        headers = without(answer.headers, *RATE_LIMIT_FIELDS)
        kept = KeptAnswer(
            generation=generation,
            status=answer.status,
            headers=headers,
            headers_304=without(headers, "Content-Type", "Content-Length"),
            body=answer.body,
            etag=etag,
            version_id=entry.version_id,
            checked_at=self.clock(),
        )
        with self._lock:
            keep_bounded(self._kept, key, kept, limit=self.max_entries)
