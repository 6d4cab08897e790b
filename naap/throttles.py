"""Rate limits shared by every API view (rates in settings, counters in the cache)."""

from __future__ import annotations

from rest_framework.throttling import SimpleRateThrottle


class AnonReadThrottle(SimpleRateThrottle):
    """Anonymous reads, per client address."""

    scope = "anon_read"

    def get_cache_key(self, request, view):
        if request.user and request.user.is_authenticated:
            return None
        if request.method not in {"GET", "HEAD", "OPTIONS"}:
            return None
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class UserWriteThrottle(SimpleRateThrottle):
    """Writes by signed-in users and tokens, per user."""

    scope = "user_write"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None
        if request.method in {"GET", "HEAD", "OPTIONS"}:
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}
