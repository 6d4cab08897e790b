"""What the WSGI hot paths in front of Django share (registry.manifest_fastpath and
installs.bootstrap_fastpath): the scheme of a request, a pass through Django that keeps
the answer when it is a plain 200 (status, headers, body) for the layer to reuse, and the
bounded in-memory stores the layers keep those answers in."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class DjangoAnswer:
    status: str
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        name = name.lower()
        return next((value for key, value in self.headers if key.lower() == name), None)


def is_secure(environ: dict) -> bool:
    """Whether Django will see this request as HTTPS (SECURE_PROXY_SSL_HEADER included)."""
    proxy_header = settings.SECURE_PROXY_SSL_HEADER
    if proxy_header and environ.get(proxy_header[0]) == proxy_header[1]:
        return True
    return environ.get("wsgi.url_scheme") == "https"


def through_django(
    app: Callable, environ: dict, start_response: Callable
) -> tuple[Iterable[bytes], DjangoAnswer | None]:
    """Let Django answer; for a 200 without cookies, also return the answer to keep."""
    seen: dict = {}

    def capture(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, headers
        return start_response(status, headers, exc_info)

    response = app(environ, capture)
    if not seen.get("status", "").startswith("200 "):
        return response, None
    try:
        body = b"".join(response)
    finally:
        close = getattr(response, "close", None)
        if close is not None:
            close()  # Django's request_finished: database connections are tidied
    headers = list(seen["headers"])
    if any(name.lower() == "set-cookie" for name, _ in headers):
        return [body], None
    return [body], DjangoAnswer(seen["status"], headers, body)


def without(headers: list[tuple[str, str]], *names: str) -> list[tuple[str, str]]:
    """The headers but those named (case-insensitive)."""
    dropped = {name.lower() for name in names}
    return [(name, value) for name, value in headers if name.lower() not in dropped]


def keep_bounded(store: dict, key, value, *, limit: int) -> None:
    """store[key] = value, first dropping the oldest entry when the store is full.

    Callers hold their own lock: the hot paths' stores are shared by a worker's threads.
    """
    if key not in store and len(store) >= limit:
        store.pop(next(iter(store)))
    store[key] = value
