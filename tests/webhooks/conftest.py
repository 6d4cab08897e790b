"""A real HTTP receiver on 127.0.0.1 for webhook deliveries, and the database worker run in
batch mode (it processes the queued tasks that are due, then returns)."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    # Statuses to answer, in order; 200 once they run out.
    statuses: deque[int] = field(default_factory=deque)


@pytest.fixture
def receiver():
    """An HTTP server on 127.0.0.1 recording every POST; stopped after the test."""
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", 0))
            state.requests.append(Received(dict(self.headers.items()), self.rfile.read(length)))
            status = state.statuses.popleft() if state.statuses else 200
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    yield state
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(autouse=True)
def private_urls_allowed(settings):
    """The receiver is on 127.0.0.1 over http: allowed here, as in development."""
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True


def run_worker() -> None:
    """Run `manage.py db_worker` over the due tasks, then return."""
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
