"""The field reports kept: the flush into PluginVersionMinute rows (idempotent, safe when two
run at once) and version_health over flushed rows and counters not flushed yet."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.core.management import call_command
from django.db import connection

from registry.field_health import flush_field_reports, minute_health, version_health
from registry.field_reports import Event, count, peek_pending
from registry.models import PluginVersionMinute
from tests.factories import make_package, make_version

EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
NOW = 1_800_000_000.0  # a minute's start
MINUTE = dt.datetime.fromtimestamp(NOW, tz=dt.UTC)


@pytest.fixture
def version(db):
    return make_version(make_package("flush-wallet"), "2.0.0")


def loads(version, *, mounted_ms=(), failed=(), now=NOW, client="10.1.1.1"):
    events = [Event(version.pk, "mounted", "", ms) for ms in mounted_ms]
    events += [Event(version.pk, "failed", phase, 0) for phase in failed]
    count(events, client=client, now=now)


@pytest.mark.django_db
def test_the_flush_keeps_per_minute_rows_and_is_idempotent(cache_backend, version):
    loads(version, mounted_ms=(40, 90, 250), failed=("integrity", "runtime"))
    loads(version, mounted_ms=(60,), now=NOW + 60)

    assert flush_field_reports() == 6
    assert flush_field_reports() == 0  # nothing left: a second run adds nothing
    rows = list(PluginVersionMinute.objects.filter(version=version).order_by("minute"))
    assert [row.minute for row in rows] == [MINUTE, MINUTE + dt.timedelta(minutes=1)]
    first = rows[0]
    assert (first.loads, first.mounted, first.failed_integrity, first.failed_runtime) == (
        4,
        3,
        1,
        1,
    )
    assert first.load_ms_sum == 380
    assert first.load_ms_buckets[:4] == [1, 1, 0, 1]
    assert peek_pending([version.pk]) == {}

    # Later reports of a flushed minute are added to its row.
    loads(version, mounted_ms=(5000,))
    call_command("flush_field_reports")
    first.refresh_from_db()
    assert (first.loads, first.mounted, first.load_ms_sum) == (5, 4, 5380)
    assert sum(first.load_ms_buckets) == 4


@pytest.mark.django_db
def test_version_health_adds_what_is_not_flushed_yet_and_honours_since(cache_backend, version):
    loads(version, mounted_ms=[100] * 18 + [2000, 9000], failed=("mount",) * 5)
    flush_field_reports()
    loads(version, mounted_ms=(100,) * 5, now=NOW + 120)  # not flushed

    health = version_health([version.pk], since=EPOCH)[version.pk]
    assert health["loads"] == 30
    assert health["mounted"] == 25
    assert health["failures_by_phase"]["mount"] == 5
    assert health["success_rate"] == round(25 / 30, 4)
    assert health["p95_ms"] == 2000  # the 24th of 25 load times falls in the ≤ 2 s bucket
    assert health["p99_ms"] == 10000

    later = version_health([version.pk], since=MINUTE + dt.timedelta(minutes=1))[version.pk]
    assert (later["loads"], later["success_rate"], later["p95_ms"]) == (5, 1.0, 100)
    first = version_health([version.pk], since=EPOCH, until=MINUTE + dt.timedelta(minutes=1))
    assert (first[version.pk]["loads"], first[version.pk]["mounted"]) == (25, 20)
    nothing = version_health([version.pk], since=MINUTE + dt.timedelta(minutes=5))[version.pk]
    assert nothing["loads"] == 0 and nothing["success_rate"] is None


@pytest.mark.django_db
def test_minute_health_answers_each_minute_flushed_or_not_within_its_range(cache_backend, version):
    other = make_version(version.package, "2.1.0")
    loads(version, mounted_ms=(40,) * 9, failed=("network",), now=NOW - 60)  # before the range
    loads(version, mounted_ms=(40,) * 19, failed=("evaluation",))
    flush_field_reports()
    loads(version, mounted_ms=(400,) * 3, failed=("runtime",), now=NOW + 60)  # not flushed
    loads(version, mounted_ms=(40,), now=NOW + 180)  # after the range

    health = minute_health(
        [version.pk, other.pk], since=MINUTE, until=MINUTE + dt.timedelta(minutes=2)
    )
    assert health[other.pk] == {}
    assert sorted(health[version.pk]) == [MINUTE, MINUTE + dt.timedelta(minutes=1)]
    first, second = (health[version.pk][minute] for minute in sorted(health[version.pk]))
    assert (first["loads"], first["success_rate"], first["p95_ms"]) == (20, 0.95, 50)
    # 3 loads mounted, one of them failed later: 2 of 3 succeeded.
    assert (second["loads"], second["success_rate"], second["p95_ms"]) == (3, 0.6667, 500)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("cache_backend", ["redis"], indirect=True)
def test_two_flushes_at_once_count_every_report_once(cache_backend, version):
    for minute in range(20):
        loads(version, mounted_ms=(100, 200), now=NOW + 60 * minute)
    barrier = threading.Barrier(2)
    moved = []

    def flush():
        try:
            barrier.wait(5)
            moved.append(flush_field_reports())
        finally:
            connection.close()

    threads = [threading.Thread(target=flush) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sum(moved) == 40
    assert PluginVersionMinute.objects.filter(version=version).count() == 20
    assert version_health([version.pk], since=EPOCH)[version.pk]["mounted"] == 40
