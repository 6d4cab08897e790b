"""The field reports' hot path in front of Django (naap/wsgi.py): a batch that counts is
answered here, with the headers Django gave the same host and scheme's first accepted batch.

Everything else goes through Django as before, with the body read here handed on: the first
batch of each (host, scheme), requests without a Content-Length or over the limit, and every
refusal (the view refuses it again, the same way, and counts nothing: the checks come before
the count, and a batch over the rate limit is not counted by the script that refused it).
Django's middleware (host check, HTTPS redirect, CORS and security headers) therefore runs
for every host and scheme before this layer answers for it.
"""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable, Iterable

from naap.errors import NaapError
from naap.hotpath import is_secure, keep_bounded, without
from naap.http import client_ip_from_environ
from registry.field_reports import MAX_BODY_BYTES, MAX_EVENTS, check_events, count, parse_batch

PATH = "/api/v1/plugins/field-reports"
MAX_HOSTS = 64
# The bytes Django's JsonResponse would send, by the number of events counted.
ANSWERS = [
    json.dumps({"success": True, "data": {"counted": counted}}).encode()
    for counted in range(MAX_EVENTS + 1)
]


class FieldReportsFastPath:
    """WSGI middleware answering accepted batches of field reports without Django."""

    def __init__(self, app: Callable) -> None:
        self.app = app
        self._headers: dict[tuple[str, bool], list[tuple[str, str]]] = {}
        self._lock = threading.Lock()

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if environ.get("PATH_INFO") != PATH or environ.get("REQUEST_METHOD") != "POST":
            return self.app(environ, start_response)
        try:
            length = int(environ.get("CONTENT_LENGTH") or "")
        except ValueError:
            return self.app(environ, start_response)
        if not 0 < length <= MAX_BODY_BYTES:
            return self.app(environ, start_response)
        body = environ["wsgi.input"].read(length)
        environ["wsgi.input"] = io.BytesIO(body)
        key = (environ.get("HTTP_HOST", ""), is_secure(environ))
        headers = self._headers.get(key)
        if headers is None:
            return self._learn(key, environ, start_response)
        try:
            versions, raw_events = parse_batch(body)
            events = check_events(versions, raw_events)
            count(events, client=client_ip_from_environ(environ) or "unknown")
        except NaapError:
            return self.app(environ, start_response)  # Django refuses it, the same way
        answer = ANSWERS[len(events)]
        start_response("202 Accepted", [*headers, ("Content-Length", str(len(answer)))])
        return [answer]

    def _learn(self, key, environ: dict, start_response: Callable) -> Iterable[bytes]:
        """Let Django answer; keep the headers of an accepted batch for this host and scheme."""

        def capture(status, headers, exc_info=None):
            cookies = any(name.lower() == "set-cookie" for name, _ in headers)
            if status.startswith("202 ") and not cookies:
                with self._lock:
                    kept = without(headers, "Content-Length")
                    keep_bounded(self._headers, key, kept, limit=MAX_HOSTS)
            return start_response(status, headers, exc_info)

        return self.app(environ, capture)
