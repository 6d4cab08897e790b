"""Rate limits shared by every API view (rates in settings, counters in the cache), and the
headers that tell clients about them.

Each answer a throttle applied to carries `RateLimit-Limit` (requests allowed per window),
`RateLimit-Remaining` (left now) and `RateLimit-Reset` (seconds until the oldest counted
request leaves the window, so more are allowed; on a 429 the same as `Retry-After`), the
IETF draft's three-header form (docs/decisions.md, "Rate limits"). The manifest hot path sends
the same headers for its fixed windows. When the cache does not answer, limits are not
applied (fail open) and a warning is logged.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from dataclasses import dataclass

from rest_framework.throttling import ScopedRateThrottle, SimpleRateThrottle

from naap.http import client_ip
from naap.redis_cache import cache_answering

logger = logging.getLogger(__name__)

# Named for the CORS configuration: browsers on other origins may read these.
RATE_LIMIT_FIELDS = ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
RATE_LIMIT_HEADERS = (*RATE_LIMIT_FIELDS, "Retry-After")
WARNING_INTERVAL = 60.0


@dataclass(frozen=True)
class RateLimit:
    """Where one client stands against one limit, as the headers say it."""

    limit: int
    remaining: int
    reset: int  # whole seconds, at least 1

    def headers(self) -> list[tuple[str, str]]:
        return [
            ("RateLimit-Limit", str(self.limit)),
            ("RateLimit-Remaining", str(self.remaining)),
            ("RateLimit-Reset", str(self.reset)),
        ]

    def is_tighter_than(self, other: RateLimit) -> bool:
        return (self.remaining, -self.reset) < (other.remaining, -other.reset)


def note_rate_limit(request, rate_limit: RateLimit) -> None:
    """Keep the tightest limit applied to this request (Django's or DRF's request) for
    naap.middleware.RateLimitHeadersMiddleware to send."""
    django_request = getattr(request, "_request", request)
    current = getattr(django_request, "rate_limit", None)
    if current is None or rate_limit.is_tighter_than(current):
        django_request.rate_limit = rate_limit


_last_warnings: dict[str, float] = {}
_warning_lock = threading.Lock()


def warn_limits_not_applied(scope: str) -> None:
    """Log, at most once a minute per scope and process, that a rate limit was not applied."""
    with _warning_lock:
        now = time.monotonic()
        if now - _last_warnings.get(scope, -WARNING_INTERVAL) < WARNING_INTERVAL:
            return
        _last_warnings[scope] = now
    logger.warning("Rate limit %s not applied: the cache is not answering", scope)


class RateLimitHeadersMixin:
    """For SimpleRateThrottle subclasses: the client by our one rule (naap.http.client_ip, not
    DRF's own reading of X-Forwarded-For), the limit noted for the headers, an exact wait, and
    no limit while the cache does not answer."""

    def allow_request(self, request, view) -> bool:
        allowed = super().allow_request(request, view)
        if getattr(self, "key", None) is None:
            return allowed  # this throttle does not apply to this request
        if not cache_answering(self.cache):
            warn_limits_not_applied(self.scope)
            return True
        remaining = max(0, self.num_requests - len(self.history))
        note_rate_limit(request, RateLimit(self.num_requests, remaining, math.ceil(self.wait())))
        return allowed

    def get_ident(self, request) -> str | None:
        return client_ip(request)

    def wait(self) -> float:
        """Seconds until the next request would be allowed; with room now, until the oldest
        counted request leaves the window (at least 1)."""
        # How many of the oldest requests must leave before one more fits.
        leaving = max(1, len(self.history) - self.num_requests + 1)
        if leaving > len(self.history):
            return float(self.duration)
        return max(1.0, self.history[-leaving] + self.duration - self.now)


class AnonReadThrottle(RateLimitHeadersMixin, SimpleRateThrottle):
    """Anonymous reads, per client address (as the manifest hot path counts them; a client
    cannot pick its own address with X-Forwarded-For)."""

    scope = "anon_read"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        if request.method not in {"GET", "HEAD", "OPTIONS"}:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class UserWriteThrottle(RateLimitHeadersMixin, SimpleRateThrottle):
    """Writes by signed-in users and tokens, per user."""

    scope = "user_write"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        if request.method in {"GET", "HEAD", "OPTIONS"}:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class ScopedThrottle(RateLimitHeadersMixin, ScopedRateThrottle):
    """A view's own rate (`throttle_scope`, e.g. publishes), per user or client address."""
