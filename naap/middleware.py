"""Requests refused before any view (what no route, name, version or search can hold, and
bodies larger than a route accepts), the API's CORS and rate-limit headers, and reads answered
again when their database connection was lost."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse

from naap.api import error_body
from naap.errors import NaapError
from naap.http import refuse_large_body
from naap.throttles import RATE_LIMIT_HEADERS

logger = logging.getLogger(__name__)

NUL = "\x00"
NUL_MESSAGE = "The address contains a NUL character (%00), which no name, version or search holds."


def _refusal(request: HttpRequest, status: int, code: str, message: str, details=None):
    """A refusal in the envelope for /api/ paths, as plain text for pages."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body(code, message, details), status=status)
    return HttpResponse(message, status=status, content_type="text/plain; charset=utf-8")


def _has_nul(request: HttpRequest) -> bool:
    if NUL in request.path:
        return True
    return any(NUL in text for key, values in request.GET.lists() for text in [key, *values])


class RefuseNulMiddleware:
    """A NUL in the path or the query string is a 400, in the envelope for /api/ paths.

    Without it the NUL reached the database: PostgreSQL refuses NUL in text (a 500), and
    SQLite compares it as a different name (a 404 at best).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if _has_nul(request):
            return _refusal(request, 400, "BAD_REQUEST", NUL_MESSAGE)
        return self.get_response(request)


# Read by browsers from API answers on other origins (ETags for revalidation, the rate limits).
EXPOSED_HEADERS = ", ".join(["ETag", *RATE_LIMIT_HEADERS])
ALLOWED_HEADERS = "Authorization, Content-Type, Accept, If-None-Match"
ALLOWED_METHODS = "GET, HEAD, POST, PUT, PATCH, DELETE"


class ApiCorsMiddleware:
    """The API answers any origin, never with credentials.

    Callers on other origins are NaaP shells and the demo shell's sandboxed frame, whose
    origin is opaque ("null"). They authenticate with an Authorization header (an API token, a
    plugin's grant); cookies never count: `Access-Control-Allow-Origin: *` without
    `Allow-Credentials` makes browsers refuse to send them, or to show the answer to a request
    that sent them. Preflights are answered here, before any view.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path.startswith("/api/"):
            return self.get_response(request)
        if request.method == "OPTIONS" and "access-control-request-method" in request.headers:
            response = HttpResponse(status=204)
            response["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response["Access-Control-Max-Age"] = "600"
        else:
            response = self.get_response(request)
            response["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        response["Access-Control-Allow-Origin"] = "*"
        return response


class RequestBodyLimitMiddleware:
    """A body larger than `NAAP_MAX_REQUEST_BYTES` is refused (413) before anything reads it;
    so is a body of unknown length (411).

    It runs before the view, and before the CSRF check, which reads a form's whole body. A view
    that takes larger bodies (publish) sets `checks_body_size = True` and checks its own limit
    once it knows who is sending, so a stranger's upload is a 401, not a 413.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        view_class = getattr(view_func, "cls", None) or getattr(view_func, "view_class", None)
        if getattr(view_class, "checks_body_size", False):
            return None
        try:
            refuse_large_body(request, limit=settings.NAAP_MAX_REQUEST_BYTES)
        except NaapError as error:
            return _refusal(request, error.status, error.code, error.message, error.details)
        return None


class RateLimitHeadersMiddleware:
    """Sends the rate limit a throttle applied to this request (naap.throttles) as the
    RateLimit-Limit, RateLimit-Remaining and RateLimit-Reset headers, 429s included."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        rate_limit = getattr(request, "rate_limit", None)
        if rate_limit is not None:
            for name, value in rate_limit.headers():
                response.headers.setdefault(name, value)
        return response


SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def discard_lost_connections() -> bool:
    """Close each database connection that failed and no longer answers; whether any did."""
    lost = False
    for connection in connections.all(initialized_only=True):
        if (
            connection.connection is not None
            and connection.errors_occurred
            and not connection.in_atomic_block
            and not connection.is_usable()
        ):
            connection.close()
            lost = True
    return lost


class RetryLostConnectionMiddleware:
    """A read that failed because its database connection was lost is answered again, once,
    on a new connection, instead of being a 500.

    Persistent connections are checked before a request reuses them (CONN_HEALTH_CHECKS);
    this covers the connection that dies during a request (a database restart or failover, a
    proxy closing it). Only safe methods are retried: they change nothing, so running one
    twice is harmless; a write that failed is never run again behind the client's back.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code >= 500
            and request.method in SAFE_METHODS
            and discard_lost_connections()
        ):
            logger.warning(
                "%s %s lost its database connection; answered again", request.method, request.path
            )
            response = self.get_response(request)
        return response
