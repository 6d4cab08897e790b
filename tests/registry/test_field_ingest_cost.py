"""What keeps a batch of field reports cheap (registry/field_reports.py) without loosening a
rule: the tickets a worker keeps once verified (still refused once expired or when the keys
change), the counters a batch writes (buckets, time and phases; loads and mounts derived,
the same for counters written before), and the lifetime a new counter gets in Redis."""

from __future__ import annotations

import datetime as dt

import pytest
from cryptography.fernet import MultiFernet
from django.core.cache import cache

from naap.errors import BadRequest
from registry import field_reports
from registry.field_health import flush_field_reports, version_health
from registry.field_reports import (
    COUNTER_TIMEOUT,
    PENDING_KEY,
    Event,
    by_version,
    count,
    counter_fields,
    issue_ticket,
    loads_and_mounts,
    read_ticket,
)
from registry.models import PluginVersionMinute
from tests.factories import make_package, make_version

EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
NOW = 1_800_000_000.0  # a minute's start


@pytest.fixture
def version(db):
    return make_version(make_package("cost-wallet"), "1.0.0")


@pytest.fixture(autouse=True)
def no_kept_tickets():
    field_reports._kept_tickets.clear()
    yield
    field_reports._kept_tickets.clear()


def test_a_kept_ticket_is_read_without_decrypting_it_again(monkeypatch):
    ticket = issue_ticket({"cost-wallet@1.0.0": 7})
    assert read_ticket(ticket) == {"cost-wallet@1.0.0": 7}

    def no_decryption(*args, **kwargs):
        raise AssertionError("decrypted again")

    monkeypatch.setattr(MultiFernet, "decrypt", no_decryption)
    assert read_ticket(ticket) == {"cost-wallet@1.0.0": 7}


def test_a_kept_ticket_is_refused_once_it_expires(settings):
    ticket = issue_ticket({"cost-wallet@1.0.0": 7})
    assert read_ticket(ticket)  # now kept
    settings.NAAP_FIELD_REPORT_TICKET_SECONDS = -1
    with pytest.raises(BadRequest, match="expired"):
        read_ticket(ticket)


def test_a_kept_ticket_is_refused_when_the_keys_change(settings):
    original = settings.SECRET_KEY
    ticket = issue_ticket({"cost-wallet@1.0.0": 7})
    assert read_ticket(ticket)  # now kept
    settings.SECRET_KEY = "another-secret-key-0123456789abcdefghijklmnopqrstuvwxyz-0123"
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(BadRequest, match="not valid"):
        read_ticket(ticket)
    settings.SECRET_KEY_FALLBACKS = [original]  # a rotated key still verifies it, as Fernet does
    assert read_ticket(ticket) == {"cost-wallet@1.0.0": 7}


def test_the_tickets_kept_are_bounded(monkeypatch):
    monkeypatch.setattr(field_reports, "MAX_KEPT_TICKETS", 3)
    tickets = [issue_ticket({f"cost-wallet@1.0.{index}": index}) for index in range(5)]
    for ticket in tickets:
        read_ticket(ticket)
    assert list(field_reports._kept_tickets) == tickets[2:]


def test_a_batch_writes_buckets_times_and_phases_only():
    events = [
        Event(1, "mounted", "", 80),
        Event(1, "mounted", "", 0),
        Event(1, "failed", "network", 0),
        Event(1, "failed", "runtime", 0),
    ]
    fields = counter_fields([*events, Event(2, "mounted", "", 20)])
    assert fields == {
        "1:b1": 1,
        "1:b0": 1,
        "1:ms_sum": 80,
        "1:f_network": 1,
        "1:f_runtime": 1,
        "2:b0": 1,
        "2:ms_sum": 20,
    }
    split = by_version("field-reports:minute:5", fields)
    assert split == {
        "field-reports:1:5": {"b1": 1, "b0": 1, "ms_sum": 80, "f_network": 1, "f_runtime": 1},
        "field-reports:2:5": {"b0": 1, "ms_sum": 20},
    }
    # Three loads (two mounted, one failed on the network); the runtime error is a later one.
    assert loads_and_mounts(split["field-reports:1:5"]) == (3, 2)


@pytest.mark.django_db
def test_counters_an_older_release_left_are_read_and_flushed(cache_backend, version):
    """Per-version hashes (`field-reports:<version id>:<minute>`) as workers of earlier
    releases left them in the cache, the first with `loads` and `mounted` fields, are read and
    flushed with the same numbers, added to the minute's hash of this release."""
    minute = int(NOW // 60)
    earlier = {"loads": 3, "mounted": 2, "ms_sum": 300, "b1": 1, "b2": 1, "f_mount": 1}
    assert loads_and_mounts(earlier) == (3, 2)
    buckets_only = {"b3": 2, "ms_sum": 500, "f_network": 1}  # the release before this one
    older = {
        f"field-reports:{version.pk}:{minute}": earlier,
        f"field-reports:{version.pk}:{minute - 1}": buckets_only,
    }
    count([Event(version.pk, "mounted", "", 90)], client="10.2.2.2", now=NOW)
    if cache_backend == "redis":
        client = cache.raw_client(write=True)
        for key, fields in older.items():
            client.hset(cache.make_key(key), mapping=fields)
            client.sadd(cache.make_key(PENDING_KEY), cache.make_key(key))
    else:
        for key, fields in older.items():
            cache.set(key, dict(fields), COUNTER_TIMEOUT)
        cache.set(PENDING_KEY, {*cache.get(PENDING_KEY), *older}, COUNTER_TIMEOUT)
    health = version_health([version.pk], since=EPOCH)[version.pk]
    assert (health["loads"], health["mounted"]) == (4 + 3, 3 + 2)
    assert flush_field_reports() == 7
    rows = PluginVersionMinute.objects.filter(version=version).order_by("minute")
    assert [(row.loads, row.mounted, row.failed_mount, row.load_ms_sum) for row in rows] == [
        (3, 2, 0, 500),
        (4, 3, 1, 390),
    ]
    assert rows[1].load_ms_buckets[:3] == [0, 2, 1]
    assert version_health([version.pk], since=EPOCH)[version.pk]["loads"] == 7
    assert flush_field_reports() == 0


@pytest.mark.django_db
@pytest.mark.parametrize("cache_backend", ["redis"], indirect=True)
def test_a_new_counter_gets_its_lifetime_once(cache_backend, version):
    count([Event(version.pk, "mounted", "", 90)], client="10.3.3.3", now=NOW)
    client = cache.raw_client(write=True)
    key = cache.make_key(f"field-reports:minute:{int(NOW // 60)}")
    assert 0 < client.ttl(key) <= COUNTER_TIMEOUT
    client.expire(key, 100)  # a later batch of the same minute leaves the lifetime as it is
    count([Event(version.pk, "failed", "mount", 0)], client="10.3.3.3", now=NOW)
    assert 0 < client.ttl(key) <= 100
    fields = {k.decode(): int(v) for k, v in client.hgetall(key).items()}
    split = by_version(f"field-reports:minute:{int(NOW // 60)}", fields)
    assert loads_and_mounts(split[f"field-reports:{version.pk}:{int(NOW // 60)}"]) == (2, 1)
