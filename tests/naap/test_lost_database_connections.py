"""PostgreSQL connections killed (a database restart or failover, as the app servers see it):
no request fails for it. Persistent connections are checked before a request reuses one
(CONN_HEALTH_CHECKS), and a read whose connection dies under it is answered again
(naap.middleware.RetryLostConnectionMiddleware).

PostgreSQL's (CI runs there); on SQLite, the embedded default, there is no server connection
to lose, and the same requests are checked to answer as usual.
"""

from __future__ import annotations

import json
import os
import uuid

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

from installs.services import install_plugin
from tests.factories import make_user, plugin_bundle, plugin_manifest, publish
from tests.live import http, kill_other_database_connections, running_gunicorn
from tests.publishing.helpers import token_for

pytestmark = pytest.mark.django_db(transaction=True)
ON_POSTGRES = connection.vendor == "postgresql"

MANIFEST = "/api/v1/plugins/registry/my-wallet/latest/manifest"


def kill_own_connection() -> None:
    """Terminate this test's own database connection from a second one."""
    import psycopg

    pid = connection.connection.info.backend_pid
    parameters = connection.get_connection_params()
    parameters.pop("cursor_factory", None)
    parameters.pop("context", None)
    with psycopg.connect(**parameters, autocommit=True) as killer:
        killer.execute("SELECT pg_terminate_backend(%s)", [pid])


def test_a_read_whose_connection_was_killed_is_answered_again(client):
    publish("my-wallet", "1.0.0")
    assert client.get("/api/v1/plugins/registry").status_code == 200
    if not ON_POSTGRES:
        connection.close()
        assert client.get("/api/v1/plugins/registry").status_code == 200
        return
    # The test client keeps its connection between requests and checks none of them, so the
    # next query meets the dead connection, as a request would mid-way.
    kill_own_connection()
    listed = client.get("/api/v1/plugins/registry")
    assert listed.status_code == 200, listed.content
    assert [plugin["name"] for plugin in listed.json()["data"]["plugins"]] == ["my-wallet"]
    # A page: Django logs the first try's error (the test client would raise it), then the
    # page is answered again.
    kill_own_connection()
    assert Client(raise_request_exception=False).get("/plugins/my-wallet/").status_code == 200


def test_after_the_database_connections_are_killed_the_next_requests_answer(tmp_path):
    user, publisher, _, secret = token_for()
    publish("my-wallet", "1.0.0", actor=user, publisher=publisher)
    person = make_user()
    install_plugin(actor=person, name="my-wallet")
    browser = Client()
    browser.force_login(person)
    cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"
    reads = [
        ("/api/v1/plugins/registry", {}),
        (MANIFEST, {}),
        ("/api/v1/plugins/installed", {"Cookie": cookie}),
        ("/", {}),
        ("/plugins/my-wallet/", {}),
        ("/me/plugins/", {"Cookie": cookie}),
    ]
    # Two workers, so both hold a persistent connection of their own.
    environment = {
        "REDIS_URL": os.environ.get("NAAP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
        "CACHE_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        "NAAP_MANIFEST_RECHECK_MS": "0",
    }
    with running_gunicorn(tmp_path, workers=2, **environment) as server:
        session = http()
        for _ in range(4):
            for path, headers in reads:
                assert session.get(server.url + path, headers=headers).status_code == 200
        for round_number in range(3):
            if ON_POSTGRES:
                assert kill_other_database_connections() >= 1
            for path, headers in reads:
                response = session.get(server.url + path, headers=headers, timeout=30)
                assert response.status_code == 200, (path, response.text[:300])
            if ON_POSTGRES:
                kill_other_database_connections()
            version = f"1.{round_number + 1}.0"
            published = session.post(
                f"{server.url}/api/v1/plugins/publish",
                headers={"Authorization": f"Bearer {secret}"},
                data={"manifest": json.dumps(plugin_manifest("my-wallet", version))},
                files={"bundle": ("bundle.js", plugin_bundle("my-wallet", version), "text/js")},
                timeout=30,
            )
            assert published.status_code == 201, published.text
        assert session.get(server.url + MANIFEST).json()["version"] == "1.3.0"
        assert "Internal Server Error" not in server.log()
