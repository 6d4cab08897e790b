"""One counter hash per minute for every version (registry/field_reports.py), and the batch's
EVALSHA sent without redis-py's command machinery: when Redis does not know the script, and
when the server closed the pooled connection."""

from __future__ import annotations

import datetime as dt
import os

import pytest
import redis
from django.core.cache import cache

from registry import field_reports
from registry.field_health import flush_field_reports, version_health
from registry.field_reports import PENDING_KEY, Event, count, peek_pending
from registry.models import PluginVersionMinute
from tests.factories import make_package, make_version

EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
NOW = 1_800_000_000.0  # a minute's start
MINUTE = int(NOW // 60)


@pytest.fixture
def versions(db):
    package = make_package("minute-wallet")
    return make_version(package, "1.0.0"), make_version(package, "1.1.0")


def batch(old, new) -> list[Event]:
    return [
        Event(old.pk, "mounted", "", 90),
        Event(new.pk, "mounted", "", 400),
        Event(new.pk, "failed", "mount", 0),
    ]


@pytest.mark.django_db
def test_a_minute_of_every_version_is_one_hash(cache_backend, versions):
    old, new = versions
    count(batch(old, new), client="10.4.4.1", now=NOW)
    count(batch(old, new), client="10.4.4.2", now=NOW + 30)
    key = f"field-reports:minute:{MINUTE}"
    if cache_backend == "redis":
        client = cache.raw_client(write=True)
        assert client.smembers(cache.make_key(PENDING_KEY)) == {cache.make_key(key).encode()}
        stored = {k.decode(): int(v) for k, v in client.hgetall(cache.make_key(key)).items()}
    else:
        assert cache.get(PENDING_KEY) == {key}
        stored = cache.get(key)
    assert stored == {
        f"{old.pk}:b1": 2,
        f"{old.pk}:ms_sum": 180,
        f"{new.pk}:b4": 2,
        f"{new.pk}:ms_sum": 800,
        f"{new.pk}:f_mount": 2,
    }
    # Each version reads only its own counters.
    assert peek_pending([old.pk]) == {f"field-reports:{old.pk}:{MINUTE}": {"b1": 2, "ms_sum": 180}}
    health = version_health([old.pk, new.pk], since=EPOCH)
    assert (health[old.pk]["loads"], health[old.pk]["mounted"]) == (2, 2)
    assert (health[new.pk]["loads"], health[new.pk]["mounted"]) == (4, 2)
    assert flush_field_reports() == 6
    rows = {row.version_id: row for row in PluginVersionMinute.objects.all()}
    assert (rows[old.pk].loads, rows[old.pk].load_ms_sum) == (2, 180)
    assert (rows[new.pk].loads, rows[new.pk].failed_mount, rows[new.pk].load_ms_sum) == (4, 2, 800)
    assert peek_pending([old.pk, new.pk]) == {}


@pytest.mark.django_db
@pytest.mark.parametrize("cache_backend", ["redis"], indirect=True)
def test_a_script_redis_does_not_know_is_sent_whole(cache_backend, versions, monkeypatch):
    """After a Redis restart (or SCRIPT FLUSH) the digest is unknown: the batch is sent again
    as EVAL on the same connection, and counted once."""
    old, new = versions
    monkeypatch.setattr(field_reports, "INGEST_SHA", "0" * 40)  # a digest Redis never saw
    count(batch(old, new), client="10.5.5.5", now=NOW)
    health = version_health([old.pk, new.pk], since=EPOCH)
    assert (health[old.pk]["loads"], health[new.pk]["loads"]) == (1, 2)
    rate_key = cache.make_key(f"field-reports:rate:10.5.5.5:{MINUTE}")
    assert cache.raw_client().get(rate_key) == b"1"  # the rate window counted it once too


@pytest.mark.django_db
@pytest.mark.parametrize("cache_backend", ["redis"], indirect=True)
def test_a_pooled_connection_the_server_closed_is_retried_on_a_new_one(cache_backend, versions):
    old, new = versions
    count(batch(old, new), client="10.6.6.6", now=NOW)  # a pooled connection now
    pool = cache.raw_client(write=True).connection_pool
    connection = pool.get_connection()
    connection.send_command("CLIENT", "ID")
    connection_id = connection.read_response()
    pool.release(connection)
    killer = redis.Redis.from_url(
        os.environ.get("NAAP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    )
    assert killer.client_kill_filter(_id=connection_id) == 1
    killer.close()

    count(batch(old, new), client="10.6.6.6", now=NOW)
    health = version_health([old.pk, new.pk], since=EPOCH)
    assert (health[old.pk]["loads"], health[new.pk]["loads"]) == (2, 4)
