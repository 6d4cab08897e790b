"""The field reports' ingestion endpoint: tickets, refusals that count nothing, the rate limit
and one round trip to Redis per batch; with the local-memory cache and the real Redis."""

from __future__ import annotations

import datetime as dt
import json
import os
import threading
import time

import pytest
import redis
from django.core.cache import cache
from django.test import Client

from registry.field_health import flush_field_reports, version_health
from registry.field_reports import MAX_EVENTS, issue_ticket, peek_pending
from tests.factories import make_package, make_version

pytestmark = pytest.mark.django_db

URL = "/api/v1/plugins/field-reports"


@pytest.fixture
def versions():
    package = make_package("field-wallet")
    return make_version(package, "1.0.0"), make_version(package, "1.1.0")


def post(body, *, raw: bool = False, address: str = "10.0.0.1"):
    data = body if raw else json.dumps(body)
    return Client().post(URL, data, content_type="text/plain", REMOTE_ADDR=address)


def mounted(plugin: str = "field-wallet@1.0.0", ms: int = 120) -> dict:
    return {"plugin": plugin, "outcome": "mounted", "ms": ms}


def counted(version) -> int:
    return version_health([version.pk], since=EPOCH)[version.pk]["loads"]


EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def test_a_batch_counts_every_outcome_of_the_versions_of_its_ticket(cache_backend, versions):
    old, new = versions
    ticket = issue_ticket({"field-wallet@1.0.0": old.pk, "field-wallet@1.1.0": new.pk})
    events = [
        mounted(ms=80),
        mounted(ms=400),
        {"plugin": "field-wallet@1.0.0", "outcome": "failed", "phase": "network"},
        {"plugin": "field-wallet@1.0.0", "outcome": "failed", "phase": "runtime"},
        {"plugin": "field-wallet@1.1.0", "outcome": "failed", "phase": "mount"},
    ]
    response = post({"ticket": ticket, "events": events})
    assert response.status_code == 202, response.content
    assert response.json() == {"success": True, "data": {"counted": 5}}
    assert response["Access-Control-Allow-Origin"] == "*"

    health = version_health([old.pk, new.pk], since=EPOCH)
    assert health[old.pk]["loads"] == 3  # the runtime failure followed a counted load
    assert health[old.pk]["mounted"] == 2
    assert health[old.pk]["failures_by_phase"]["network"] == 1
    assert health[old.pk]["failures_by_phase"]["runtime"] == 1
    assert health[old.pk]["success_rate"] == round(1 / 3, 4)
    assert health[old.pk]["p95_ms"] == 500
    assert health[new.pk] == {
        "loads": 1,
        "mounted": 0,
        "failures_by_phase": {
            "network": 0,
            "integrity": 0,
            "evaluation": 0,
            "mount": 1,
            "runtime": 0,
        },
        "success_rate": 0.0,
        "p50_ms": None,
        "p95_ms": None,
        "p99_ms": None,
    }


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ("{not json", 400, "BAD_REQUEST"),
        ("[]", 400, "BAD_REQUEST"),
        ({"events": [mounted()]}, 400, "BAD_REQUEST"),
        ({"ticket": "forged", "events": [mounted()]}, 400, "BAD_REQUEST"),
        ({"ticket": "TICKET", "events": []}, 400, "BAD_REQUEST"),
        ({"ticket": "TICKET", "events": [mounted()] * (MAX_EVENTS + 1)}, 413, "PAYLOAD_TOO_LARGE"),
        ({"ticket": "TICKET", "events": [mounted(), mounted("other@1.0.0")]}, 400, "BAD_REQUEST"),
        ({"ticket": "TICKET", "events": [mounted("field-wallet@1.1.0")]}, 400, "BAD_REQUEST"),
        ({"ticket": "TICKET", "events": [mounted(), {"plugin": "field-wallet@1.0.0"}]}, 400, None),
        (
            {"ticket": "TICKET", "events": [{**mounted(), "outcome": "failed", "phase": "x"}]},
            400,
            None,
        ),
        ({"ticket": "TICKET", "events": [mounted(ms=-1)]}, 400, None),
        ({"ticket": "TICKET", "events": [mounted(ms="1")]}, 400, None),
        ({"ticket": "TICKET", "events": ["mounted"]}, 400, None),
    ],
)
def test_refused_batches_answer_the_envelope_and_count_nothing(
    cache_backend, versions, body, status, code
):
    old, new = versions
    # The ticket serves 1.0.0 only: 1.1.0 exists but this page was not served it.
    ticket = issue_ticket({"field-wallet@1.0.0": old.pk})
    if isinstance(body, dict) and body.get("ticket") == "TICKET":
        body = {**body, "ticket": ticket}
    response = post(body, raw=isinstance(body, str))
    assert response.status_code == status, response.content
    error = response.json()["error"]
    assert response.json()["success"] is False and error["message"]
    if code:
        assert error["code"] == code
    assert counted(old) == 0 and counted(new) == 0
    assert peek_pending([old.pk, new.pk]) == {}


def test_an_oversized_body_is_refused_before_it_is_read(cache_backend, versions):
    old, _ = versions
    ticket = issue_ticket({"field-wallet@1.0.0": old.pk})
    body = json.dumps({"ticket": ticket, "events": [mounted()], "pad": "x" * 20000})
    response = post(body, raw=True)
    assert response.status_code == 413
    assert counted(old) == 0


def test_an_expired_ticket_is_refused(cache_backend, versions, settings):
    old, _ = versions
    settings.NAAP_FIELD_REPORT_TICKET_SECONDS = -1
    response = post({"ticket": issue_ticket({"field-wallet@1.0.0": old.pk}), "events": [mounted()]})
    assert response.status_code == 400
    assert "expired" in response.json()["error"]["message"]
    assert counted(old) == 0


def test_only_post_is_answered(versions):
    response = Client().get(URL)
    assert response.status_code == 405
    assert response["Allow"] == "POST"


def test_the_rate_limit_refuses_a_client_past_it_and_counts_nothing_of_those(
    cache_backend, versions, settings
):
    old, _ = versions
    settings.NAAP_FIELD_REPORTS_PER_MINUTE = 3
    body = {"ticket": issue_ticket({"field-wallet@1.0.0": old.pk}), "events": [mounted()]}
    assert [post(body).status_code for _ in range(3)] == [202, 202, 202]
    refused = post(body)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "RATE_LIMITED"
    assert refused["Retry-After"] == "60"
    assert counted(old) == 3
    # Another address has its own window.
    assert post(body, address="10.0.0.2").status_code == 202
    assert counted(old) == 4


@pytest.mark.parametrize("cache_backend", ["redis"], indirect=True)
def test_a_batch_costs_one_round_trip_to_redis(cache_backend, versions):
    old, new = versions
    ticket = issue_ticket({"field-wallet@1.0.0": old.pk, "field-wallet@1.1.0": new.pk})
    events = [mounted(), mounted("field-wallet@1.1.0")] * 5
    post({"ticket": ticket, "events": events[:1]})  # connections opened, script compiled
    url = os.environ.get("NAAP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    watcher = redis.Redis.from_url(url)
    db = watcher.connection_pool.connection_kwargs.get("db", 0)
    seen, ready = [], threading.Event()
    sentinel = f"field-reports-done-{os.getpid()}"

    def watch():
        with watcher.monitor() as monitor:
            ready.set()
            for command in monitor.listen():
                if sentinel in command["command"]:
                    return
                if command["db"] == db and command["client_type"] != "lua":
                    seen.append((command.get("client_port"), command["command"]))

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    ready.wait(5)
    watcher_sender = redis.Redis.from_url(url)
    watcher_sender.ping()
    seen.clear()
    assert post({"ticket": ticket, "events": events}).status_code == 202
    watcher_sender.echo(sentinel)
    thread.join(5)
    # The commands of this process's connections (by the keys of this test's prefix): not the
    # watcher's (its SELECT may reach the monitor after the clear above), nor another process's.
    ports = {port for port, command in seen if f"test-{os.getpid()}:" in command}
    ours = [command for port, command in seen if port in ports and "PING" not in command.upper()]
    assert len(ours) == 1, ours
    assert ours[0].upper().startswith("EVAL")
    assert counted(old) == 6 and counted(new) == 5
    cache.clear()


@pytest.mark.django_db(transaction=True)
def test_while_redis_is_down_batches_answer_503_and_health_reads_the_database(settings):
    from tests.live import running_redis

    with running_redis() as server:
        settings.CACHES = {
            "default": {
                "BACKEND": "naap.redis_cache.NaapRedisCache",
                "LOCATION": f"redis://127.0.0.1:{server.port}/0",
                "OPTIONS": {
                    "socket_connect_timeout": 0.3,
                    "socket_timeout": 0.3,
                    "retry_after": 0.2,
                },
            }
        }
        version = make_version(make_package("outage-wallet"), "1.0.0")
        ticket = issue_ticket({"outage-wallet@1.0.0": version.pk})
        body = {"ticket": ticket, "events": [mounted("outage-wallet@1.0.0")]}
        assert post(body).status_code == 202
        flush_field_reports()
        server.stop()
        refused = post(body)
        assert refused.status_code == 503
        assert refused.json()["success"] is False
        assert counted(version) == 1  # what was flushed; the counters are out of reach
        server.start()
        deadline = time.monotonic() + 5
        while post(body).status_code != 202:
            assert time.monotonic() < deadline, "Redis did not come back"
            time.sleep(0.1)
        assert counted(version) == 2
