"""The manifest hot path: a WSGI layer that answers repeated manifest requests without Django.

A production manifest is a public, immutable-per-generation document, and it is the request
the shell population sends most. Going through Django's whole stack (middleware, URL
resolution, DRF's view, throttle bookkeeping) cost ~1.3 ms of CPU per request; this layer
answers a request it has seen before from the worker's memory after one cache round trip:

- The first request for a (host, scheme, name, reference) goes through Django as before, and
  a 200 answer without cookies is kept: status, every header the middleware added, the body,
  the ETag and the version id (read from the manifest cache entry the view just wrote).
- Each later request reads the package's cache generation (registry.cache) in the same round
  trip that counts the client's requests for the rate limit. A kept answer is served only
  while its generation is current, so a publish, deploy, rollback, yank or deprecation is
  seen by the very next request, on every app server, exactly as on the Django path.
- `If-None-Match` gets a 304 with the same headers, as the view gives it.
- Downloads are counted per worker and added to the cache counters at most once a second
  (and when the worker exits), in one pipelined round trip; `flush_download_stats` moves
  them to DownloadStat as before.
- The anonymous read rate (`anon_read`) is applied per client address in fixed windows of
  the rate's period, answered with the 429 envelope and `Retry-After` as the API's throttle.

Requests that carry a session cookie or an Authorization header, other methods, query
strings, and every answer that is not a plain 200 take the Django path unchanged.
"""

from __future__ import annotations

import atexit
import json
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
from naap.hotpath import is_secure, through_django, without
from registry.cache import generation_key, manifest_cache_key, record_downloads

MANIFEST_PATH = re.compile(
    r"^/api/v1/plugins/registry/(?P<name>[a-z0-9][a-z0-9._-]*)/(?P<reference>[A-Za-z0-9.+-]+)/manifest$"
)
RATE_PERIODS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class KeptAnswer:
    generation: int
    status: str
    headers: list[tuple[str, str]]
    headers_304: list[tuple[str, str]]
    body: bytes
    etag: str
    version_id: int


def parse_rate(rate: str | None) -> tuple[int, int] | None:
    """'600/min' -> (600, 60); None when there is no rate."""
    if not rate:
        return None
    count, _, period = rate.partition("/")
    return int(count), RATE_PERIODS[period[0]]


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


class ManifestFastPath:
    """WSGI middleware in front of Django's application (installed in naap/wsgi.py)."""

    def __init__(self, app: Callable, *, max_entries: int = 20_000, flush_interval: float = 1.0):
        self.app = app
        self.max_entries = max_entries
        self.downloads = DownloadBatch(flush_interval)
        self._kept: dict[tuple, KeptAnswer] = {}
        self._lock = threading.Lock()
        self._session_cookie = settings.SESSION_COOKIE_NAME + "="
        rates = settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {})
        self.rate = parse_rate(rates.get("anon_read"))
        atexit.register(self.downloads.flush)

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        match = self._match(environ)
        if match is None:
            return self.app(environ, start_response)
        name, reference = match
        key = (environ.get("HTTP_HOST", ""), is_secure(environ), name, reference)
        generation, retry_after = self._generation_and_rate(name, self._client_ip(environ))
        if retry_after:
            return self._rate_limited(start_response, retry_after)
        kept = self._kept.get(key)
        if kept is None or kept.generation != generation:
            return self._through_django(environ, start_response, key, generation)
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match and (
            if_none_match.strip() == "*"
            or kept.etag in [tag.strip() for tag in if_none_match.split(",")]
        ):
            start_response("304 Not Modified", kept.headers_304)
            return []
        self.downloads.add(kept.version_id)
        start_response(kept.status, kept.headers)
        return [kept.body]

    def _match(self, environ: dict) -> tuple[str, str] | None:
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("QUERY_STRING"):
            return None
        if environ.get("HTTP_AUTHORIZATION"):
            return None
        if self._session_cookie in environ.get("HTTP_COOKIE", ""):
            return None
        match = MANIFEST_PATH.match(environ.get("PATH_INFO", ""))
        return (match["name"], match["reference"]) if match else None

    @staticmethod
    def _client_ip(environ: dict) -> str:
        # As DRF's throttles with NUM_PROXIES unset: the peer's address.
        return environ.get("REMOTE_ADDR", "")

    def _generation_and_rate(self, name: str, ip: str) -> tuple[int, int]:
        """(the package's generation, seconds to wait when over the rate, else 0)."""
        window_key = None
        if self.rate is not None:
            limit, period = self.rate
            now = time.time()
            window = int(now // period)
            window_key = f"manifest-rate:{ip}:{window}"
        gen_key = generation_key(name)
        raw_client = getattr(cache, "raw_client", None)
        if raw_client is not None:
            pipe = raw_client().pipeline(transaction=False)
            pipe.get(cache.make_and_validate_key(gen_key))
            if window_key:
                full_window_key = cache.make_and_validate_key(window_key)
                pipe.incr(full_window_key)
                pipe.expire(full_window_key, period + 1)
            replies = pipe.execute()
            generation = int(replies[0]) if replies[0] is not None else 0
            count = replies[1] if window_key else 0
        else:
            generation = cache.get(gen_key, 0)
            count = 0
            if window_key:
                if cache.add(window_key, 1, timeout=period + 1):
                    count = 1
                else:
                    try:
                        count = cache.incr(window_key)
                    except ValueError:
                        count = 1
        if window_key and count > limit:
            return generation, max(1, math.ceil((window + 1) * period - now))
        return generation, 0

    def _rate_limited(self, start_response: Callable, wait: int) -> list[bytes]:
        message = f"Too many requests: try again in {wait} seconds."
        body = json.dumps(error_body("RATE_LIMITED", message)).encode()
        start_response(
            "429 Too Many Requests",
            [
                ("Content-Type", "application/json"),
                ("Content-Length", str(len(body))),
                ("Retry-After", str(wait)),
                ("X-Content-Type-Options", "nosniff"),
            ],
        )
        return [body]

    def _through_django(
        self, environ: dict, start_response: Callable, key: tuple, generation: int
    ) -> Iterable[bytes]:
        response, answer = through_django(self.app, environ, start_response)
        etag = answer.header("ETag") if answer else None
        if answer is None or etag is None:
            return response
        _, _, name, reference = key
        # The entry the view just served from or wrote; a generation bump in between means
        # the answer may be stale, and it is not kept.
        entry = cache.get(manifest_cache_key(name, reference, generation))
        if entry is None or entry[2] != etag:
            return response
        kept = KeptAnswer(
            generation=generation,
            status=answer.status,
            headers=answer.headers,
            headers_304=without(answer.headers, "Content-Type", "Content-Length"),
            body=answer.body,
            etag=etag,
            version_id=entry[3],
        )
        with self._lock:
            if len(self._kept) >= self.max_entries:
                self._kept.pop(next(iter(self._kept)))
            self._kept[key] = kept
        return response
