"""Calling a WSGI application as gunicorn does, for the tests of the hot paths."""

from __future__ import annotations

import json
from io import BytesIO, StringIO

from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections


class Answer:
    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes):
        self.status_code = int(status.split()[0])
        self.headers = {name.lower(): value for name, value in headers}
        self.header_list = headers
        self.body = body

    def json(self):
        return json.loads(self.body)


def call(app, path: str, *, method="GET", query="", host="testserver", **extra) -> Answer:
    """One request through a WSGI application; extra items go into the environ."""
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": host,
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.url_scheme": "http",
        "wsgi.input": BytesIO(b""),
        "wsgi.errors": StringIO(),
        **extra,
    }
    seen = {}

    def start_response(status, headers, exc_info=None):
        seen["status"], seen["headers"] = status, headers

    chunks = app(environ, start_response)
    body = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    return Answer(seen["status"], seen["headers"], body)


class CountingDjango:
    """Django's WSGI handler, counting the requests that reach it.

    As Django's test client does, the request signals do not close the test's connection
    while it answers (the test client puts them back after each of its own requests, so
    they are taken out around every call).
    """

    def __init__(self):
        self.handler = WSGIHandler()
        self.calls: list[str] = []

    def __call__(self, environ, start_response):
        self.calls.append(environ["PATH_INFO"])
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        try:
            response = self.handler(environ, start_response)
            body = b"".join(response)
            response.close()
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)
        return [body]
