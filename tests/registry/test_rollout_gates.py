"""Health gates (registry.rollout_gates) through `run_rollouts --once`: a running rollout whose
step is due aborts, advances, promotes or waits by its candidate's field reports."""

from __future__ import annotations

import datetime as dt
import os
import signal
import threading
import time

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from installs.versions import canary_bucket
from registry import rollouts
from registry.field_reports import LOAD_MS_BUCKETS
from registry.models import (
    DeploymentEvent,
    PluginDeployment,
    PluginVersion,
    PluginVersionMinute,
    Rollout,
)
from tests.factories import make_user, publish_with_candidates
from tests.installs.helpers import install, plugins_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return make_user("staff", staff=True)


@pytest.fixture
def package(staff):
    """my-wallet 1.0.0 deployed, 1.1.0 published without a deploy."""
    return publish_with_candidates("my-wallet", "1.1.0")


def start(staff, package, **overrides) -> Rollout:
    arguments = {"initial_percent": 50, "increment_percent": 25, "interval_seconds": 600}
    arguments.update(overrides)
    return rollouts.start_rollout(actor=staff, package=package, version="1.1.0", **arguments)


def make_due(rollout: Rollout) -> None:
    Rollout.objects.filter(pk=rollout.pk).update(
        next_step_at=timezone.now() - dt.timedelta(seconds=1)
    )


def report(version: str, *, loads: int, failed_mount: int = 0, load_ms: int = 120) -> None:
    """One minute of field reports for a version of my-wallet, flushed."""
    mounted = loads - failed_mount
    buckets = [0] * (len(LOAD_MS_BUCKETS) + 1)
    index = next((i for i, bound in enumerate(LOAD_MS_BUCKETS) if load_ms <= bound), -1)
    buckets[index] = mounted
    PluginVersionMinute.objects.create(
        version=PluginVersion.objects.get(package__name="my-wallet", version=version),
        minute=timezone.now().replace(second=0, microsecond=0),
        loads=loads,
        mounted=mounted,
        failed_mount=failed_mount,
        load_ms_sum=mounted * load_ms,
        load_ms_buckets=buckets,
    )


def run_once(capsys=None) -> str:
    call_command("run_rollouts", "--once")
    return capsys.readouterr().out if capsys else ""


def refreshed(rollout: Rollout) -> Rollout:
    return Rollout.objects.get(pk=rollout.pk)


def gate_events(rollout: Rollout) -> list[DeploymentEvent]:
    return list(DeploymentEvent.objects.filter(rollout=rollout, actor=None).order_by("id"))


def test_a_high_error_rate_aborts_and_the_bootstrap_serves_stable_again(
    client, staff, package, capsys
):
    person = next(
        user
        for user in (make_user() for _ in range(200))
        if canary_bucket(user_id=user.pk, name="my-wallet") < 50
    )
    client.force_login(person)
    assert install(client).status_code == 201
    rollout = start(staff, package)
    assert plugins_of(client)["my-wallet"]["manifest"]["version"] == "1.1.0"
    report("1.1.0", loads=40, failed_mount=8)
    report("1.0.0", loads=40)
    make_due(rollout)
    out = run_once(capsys)
    rollout = refreshed(rollout)
    assert rollout.status == Rollout.Status.ABORTED
    assert "error rate 20.0% above the limit 5.0%" in rollout.end_reason
    assert "candidate 1.1.0: 40 loads, success 80.0%" in rollout.end_reason
    [event] = gate_events(rollout)
    assert event.kind == DeploymentEvent.Kind.ABORT
    assert event.reason == rollout.end_reason
    assert "my-wallet: abort (error rate 20.0%" in out
    assert plugins_of(client)["my-wallet"]["manifest"]["version"] == "1.0.0"


def test_a_candidate_clearly_worse_than_stable_aborts(staff, package):
    rollout = start(staff, package, error_rate_limit=0.2)
    report("1.1.0", loads=50, failed_mount=5)  # 10 %: under its own limit
    report("1.0.0", loads=100, failed_mount=1)  # 1 %
    make_due(rollout)
    run_once()
    rollout = refreshed(rollout)
    assert rollout.status == Rollout.Status.ABORTED
    assert "clearly worse than the stable version's 1.0%" in rollout.end_reason


def test_a_small_gap_to_stable_does_not_abort(staff, package):
    rollout = start(staff, package, error_rate_limit=0.2, success_threshold=0.9)
    report("1.1.0", loads=50, failed_mount=3)  # 6 %
    report("1.0.0", loads=100, failed_mount=2)  # 2 %: 4 points, within the margin
    make_due(rollout)
    run_once()
    assert refreshed(rollout).percent == 75


def test_a_healthy_candidate_advances_and_the_next_step_waits_its_interval(staff, package):
    rollout = start(staff, package)
    report("1.1.0", loads=30)
    make_due(rollout)
    run_once()
    rollout = refreshed(rollout)
    assert (rollout.status, rollout.percent) == (Rollout.Status.RUNNING, 75)
    assert rollout.next_step_at > timezone.now() + dt.timedelta(seconds=590)
    [event] = gate_events(rollout)
    assert event.kind == DeploymentEvent.Kind.ADVANCE
    assert event.reason.startswith("success 100.0% ≥ 95.0%; candidate 1.1.0: 30 loads")
    run_once()  # not due again yet
    assert refreshed(rollout).percent == 75


def test_a_healthy_candidate_is_promoted_at_100(client, staff, package):
    rollout = start(staff, package, initial_percent=50, increment_percent=50)
    report("1.1.0", loads=25)
    make_due(rollout)
    run_once()
    rollout = refreshed(rollout)
    assert (rollout.status, rollout.percent) == (Rollout.Status.PROMOTED, 100)
    assert PluginDeployment.objects.get(package=package).version.version == "1.1.0"
    client.force_login(make_user())
    assert install(client).status_code == 201
    assert plugins_of(client)["my-wallet"]["manifest"]["version"] == "1.1.0"


def test_below_the_minimum_sample_it_waits_and_records_nothing(staff, package, capsys):
    rollout = start(staff, package)
    report("1.1.0", loads=19, failed_mount=19)
    make_due(rollout)
    out = run_once(capsys)
    rollout = refreshed(rollout)
    assert (rollout.status, rollout.percent) == (Rollout.Status.RUNNING, 50)
    assert gate_events(rollout) == []
    assert "my-wallet: wait (19 of 20 loads needed" in out


def test_a_success_rate_under_the_threshold_without_errors_holds(staff, package):
    rollout = start(staff, package, success_threshold=0.99, error_rate_limit=0.5)
    report("1.1.0", loads=50, failed_mount=2)  # 96 %: no abort (4 % < 50 %, stable has none)
    make_due(rollout)
    run_once()
    assert (refreshed(rollout).status, refreshed(rollout).percent) == ("running", 50)


def test_the_p99_gate_aborts_a_slow_candidate(staff, package):
    rollout = start(staff, package, latency_p99_limit_ms=1000)
    report("1.1.0", loads=30, load_ms=2500)
    make_due(rollout)
    run_once()
    rollout = refreshed(rollout)
    assert rollout.status == Rollout.Status.ABORTED
    assert "p99 3000 ms above the limit 1000 ms" in rollout.end_reason


def test_paused_and_not_yet_due_rollouts_are_untouched(staff, package):
    rollout = start(staff, package)
    report("1.1.0", loads=40, failed_mount=30)
    run_once()  # not due: its interval has not passed
    assert refreshed(rollout).status == Rollout.Status.RUNNING
    rollouts.pause_rollout(actor=staff, package=package)
    make_due(rollout)
    run_once()
    assert refreshed(rollout).status == Rollout.Status.PAUSED
    assert gate_events(rollout) == []


@pytest.mark.django_db(transaction=True)
def test_two_loops_at_once_act_once(staff, package):
    rollout = start(staff, package)
    report("1.1.0", loads=30)
    make_due(rollout)
    barrier = threading.Barrier(2)
    errors = []

    def loop():
        try:
            barrier.wait()
            call_command("run_rollouts", "--once")
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=loop) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert refreshed(rollout).percent == 75
    assert len(gate_events(rollout)) == 1


@pytest.mark.django_db(transaction=True)
def test_a_staff_action_in_progress_wins_over_the_loop(staff, package):
    """The loop never acts on what it read before a transition that holds the deployment:
    PostgreSQL skips the locked row this pass, SQLite waits for it; either way it then sees
    the rollout paused and leaves it."""
    rollout = start(staff, package)
    report("1.1.0", loads=30)
    make_due(rollout)
    locked = threading.Event()

    def pause_slowly():
        try:
            with transaction.atomic():
                PluginDeployment.objects.select_for_update().get(package=package)
                locked.set()
                time.sleep(0.5)
                rollouts.pause_rollout(actor=staff, package=package, reason="looking")
        finally:
            connection.close()

    holder = threading.Thread(target=pause_slowly)
    holder.start()
    assert locked.wait(10)
    run_once()
    holder.join()
    run_once()
    rollout = refreshed(rollout)
    assert (rollout.status, rollout.percent) == (Rollout.Status.PAUSED, 50)
    assert gate_events(rollout) == []


def test_the_loop_runs_passes_until_sigterm_and_stops_cleanly(staff, package, capsys):
    rollout = start(staff, package)
    report("1.1.0", loads=30)
    make_due(rollout)
    timer = threading.Timer(0.6, os.kill, (os.getpid(), signal.SIGTERM))
    timer.start()
    try:
        call_command("run_rollouts", "--interval", "0.1")
    finally:
        timer.cancel()
    out = capsys.readouterr().out
    assert out.startswith("Rollout loop started (a pass every 0.1 s).\n")
    assert out.count("my-wallet: advance") == 1  # the next step is one interval away
    assert out.endswith("Rollout loop stopped.\n")
    assert refreshed(rollout).percent == 75
