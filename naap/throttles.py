"""Rate limits shared by every API view (rates in settings, counters in the cache)."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle

from naap.http import client_ip


class AnonReadThrottle(SimpleRateThrottle):
    """Anonymous reads, per client address (naap.http.client_ip, as the manifest hot path
    counts them; a client cannot pick its own address with X-Forwarded-For)."""

    scope = "anon_read"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        if request.method not in {"GET", "HEAD", "OPTIONS"}:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}

    def get_ident(self, request) -> str | None:
        """The client's address by our one rule (naap.http), not DRF's own reading of
        X-Forwarded-For."""
        return client_ip(request)


class UserWriteThrottle(SimpleRateThrottle):
    """Writes by signed-in users and tokens, per user."""

    scope = "user_write"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        if request.method in {"GET", "HEAD", "OPTIONS"}:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
