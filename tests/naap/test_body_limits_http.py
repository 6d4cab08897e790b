"""Over real HTTP (pytest-django's live server, raw sockets): a huge upload is answered from its
headers and a few bytes of body, so the server cannot have read it."""

from __future__ import annotations

import json
import socket
import time
from urllib.parse import urlsplit

import pytest

from registry.models import PluginPackage
from tests.publishing.helpers import token_for

HUGE = 300 * 1024 * 1024
# The first bytes of the body, all a client gets to send before the answer.
FIRST_BYTES = b'--boundary\r\nContent-Disposition: form-data; name="manifest"\r\n\r\n{'


def send_head(live_server, path: str, *, length: int, headers: dict[str, str] | None = None):
    """Send a request's headers and the first bytes of a body of `length` bytes; return the
    status, headers and JSON body of the answer and how long it took."""
    address = urlsplit(live_server.url)
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {address.hostname}:{address.port}",
        "Content-Type: multipart/form-data; boundary=boundary",
        f"Content-Length: {length}",
        *(f"{name}: {value}" for name, value in (headers or {}).items()),
    ]
    started = time.monotonic()
    with socket.create_connection((address.hostname, address.port), timeout=10) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + FIRST_BYTES)
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(65536)
        head, _, body = answer.partition(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        received = dict(line.split(": ", 1) for line in header_lines)
        while len(body) < int(received["Content-Length"]):
            body += sock.recv(65536)
    return int(status_line.split()[1]), received, json.loads(body), time.monotonic() - started


def test_a_huge_publish_with_a_good_token_is_413_from_its_headers(live_server, transactional_db):
    _, _, _, secret = token_for()
    status, headers, body, seconds = send_head(
        live_server,
        "/api/v1/plugins/publish",
        length=HUGE,
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert status == 413
    assert headers["Content-Type"] == "application/json"
    assert body["success"] is False
    assert body["error"]["code"] == "PAYLOAD_TOO_LARGE"
    assert body["error"]["details"]["size"] == HUGE
    assert seconds < 5
    assert not PluginPackage.objects.exists()


@pytest.mark.parametrize(
    "authorization", [None, "Bearer naap_" + "x" * 43], ids=["no-token", "unknown-token"]
)
def test_a_huge_publish_without_a_good_token_is_401_from_its_headers(
    live_server, transactional_db, authorization
):
    headers = {"Authorization": authorization} if authorization else {}
    status, _, body, seconds = send_head(
        live_server, "/api/v1/plugins/publish", length=HUGE, headers=headers
    )
    assert status == 401
    assert body["error"]["code"] == "UNAUTHORIZED"
    assert seconds < 5


def test_any_other_route_answers_a_two_mib_body_from_its_headers(live_server, transactional_db):
    status, _, body, seconds = send_head(
        live_server, "/api/v1/plugins/my-wallet/install", length=2 * 1024 * 1024
    )
    assert status == 413
    assert body["error"]["details"] == {"limit": 1024 * 1024, "size": 2 * 1024 * 1024}
    assert seconds < 5
