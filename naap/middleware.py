"""Requests refused before any view: what no route, name, version or search can hold."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse

from naap.api import error_body

NUL = "\x00"
NUL_MESSAGE = "The address contains a NUL character (%00), which no name, version or search holds."


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
            if request.path.startswith("/api/"):
                return JsonResponse(error_body("BAD_REQUEST", NUL_MESSAGE), status=400)
            return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
