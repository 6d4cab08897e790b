"""The deploy protocol status's activeAlerts (publishing/api/deploy_alerts.py): the limits an
open rollout's candidate breaks over the health gates' window (critical while it runs, warnings
while it is paused), and the gates' abort of the latest rollout for an hour after it; in
upstream's AlertInfo shape."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from registry import rollouts
from registry.field_reports import LOAD_MS_BUCKETS
from registry.models import DeploymentEvent, PluginVersion, PluginVersionMinute, Rollout
from registry.rollout_gates import evaluate_due_rollouts
from tests.factories import make_publisher, make_user, publish_with_candidates
from tests.publishing.helpers import token_for
from tests.publishing.test_deploy_protocol import API, get, post, upstream_body

pytestmark = pytest.mark.django_db
ERROR_RATE = "Candidate error rate above limit"
LATENCY = "Candidate p99 load time above limit"
WORSE = "Candidate worse than stable"


@pytest.fixture
def owner():
    return make_user("ada")


@pytest.fixture
def package(owner):
    publisher = make_publisher("ada-labs", owner=owner)
    return publish_with_candidates("my-wallet", "1.1.0", actor=owner, publisher=publisher)


@pytest.fixture
def token(owner, package):
    return token_for(package.publisher, scopes=("deploy",), user=owner)[3]


def report(version: str, *, loads: int, failed: int = 0, ms: int = 50, ago: int = 0) -> None:
    """`loads` loads `ago` minutes ago, `failed` of them failed to mount, the others in the
    load-time bucket of `ms`."""
    buckets = [0] * (len(LOAD_MS_BUCKETS) + 1)
    buckets[LOAD_MS_BUCKETS.index(ms)] = loads - failed
    PluginVersionMinute.objects.create(
        version=PluginVersion.objects.get(package__name="my-wallet", version=version),
        minute=timezone.now().replace(second=0, microsecond=0) - dt.timedelta(minutes=ago),
        loads=loads,
        mounted=loads - failed,
        failed_mount=failed,
        load_ms_sum=(loads - failed) * ms,
        load_ms_buckets=buckets,
    )


def alerts(client, token) -> list[dict]:
    answer = get(client, f"{API}/deployment/status", token)
    assert answer.status_code == 200
    return answer.json()["activeAlerts"]


def canary(client, token, *, auto_rollback=True, **policy) -> Rollout:
    body = upstream_body(auto_rollback=auto_rollback)
    body["strategy"]["rollback"].update(policy)
    assert post(client, f"{API}/deploy", body, token).status_code == 201
    return Rollout.objects.get(status=Rollout.Status.RUNNING)


def test_a_healthy_rollout_has_no_alerts(client, package, token):
    canary(client, token)
    report("1.0.0", loads=200, failed=2)
    report("1.1.0", loads=100, failed=1)
    assert alerts(client, token) == []


def test_no_rollout_and_no_abort_has_no_alerts(client, package, token):
    report("1.0.0", loads=200, failed=100)
    assert alerts(client, token) == []


def test_a_candidate_above_the_error_rate_limit_is_critical(client, package, token):
    rollout = canary(client, token)
    report("1.1.0", loads=100, failed=8)
    (alert,) = alerts(client, token)
    window = rollout.created_at.replace(second=0, microsecond=0)
    assert alert == {
        "name": ERROR_RATE,
        "severity": "critical",
        "message": f"1.1.0: error rate 8.0% above the limit 5.0% since {window:%H:%M} UTC "
        "(100 loads); the health gates abort the rollout at its next step.",
        "triggeredAt": alert["triggeredAt"],
    }
    assert parse_datetime(alert["triggeredAt"]) == window


def test_a_candidate_above_the_p99_limit_is_critical(client, package, token):
    canary(client, token, onLatencyP99=1000)
    report("1.1.0", loads=100, ms=1500)
    (alert,) = alerts(client, token)
    assert (alert["name"], alert["severity"]) == (LATENCY, "critical")
    assert alert["message"].startswith("1.1.0: p99 1500 ms above the limit 1000 ms since ")


def test_a_candidate_clearly_worse_than_stable_is_critical(client, package, token):
    canary(client, token, onErrorRate=0.2)  # its own limit is not broken
    report("1.0.0", loads=200)
    report("1.1.0", loads=100, failed=8)
    (alert,) = alerts(client, token)
    assert (alert["name"], alert["severity"]) == (WORSE, "critical")
    assert "error rate 8.0% clearly worse than the stable version's 0.0%" in alert["message"]


def test_every_broken_limit_is_an_alert(client, package, token):
    canary(client, token, onLatencyP99=1000)
    report("1.0.0", loads=200)
    report("1.1.0", loads=100, failed=20, ms=2000)
    assert [alert["name"] for alert in alerts(client, token)] == [ERROR_RATE, LATENCY, WORSE]


def test_below_the_minimum_sample_nothing_is_judged_yet(client, package, token):
    canary(client, token)
    report("1.1.0", loads=19, failed=19)  # the policy's minimum sample is 20 loads
    assert alerts(client, token) == []


def test_only_the_current_steps_window_counts(client, package, token, owner):
    """As the gate judges: a bad minute before the step began does not raise an alert."""
    rollout = canary(client, token)
    earlier = timezone.now() - dt.timedelta(minutes=10)
    Rollout.objects.filter(pk=rollout.pk).update(created_at=earlier)
    DeploymentEvent.objects.filter(rollout=rollout).update(created_at=earlier)
    report("1.1.0", loads=100, failed=50, ago=5)
    assert [alert["name"] for alert in alerts(client, token)] == [ERROR_RATE]
    rollouts.advance_rollout(actor=owner, package=package, reason="looks fine")
    assert alerts(client, token) == []
    report("1.1.0", loads=100, failed=50)
    assert [alert["name"] for alert in alerts(client, token)] == [ERROR_RATE]


def test_a_paused_rollouts_broken_limits_are_warnings_the_gates_do_not_act_on(
    client, package, token, owner
):
    rollout = canary(client, token, onLatencyP99=1000)
    report("1.1.0", loads=100, failed=8, ms=1500)
    rollouts.pause_rollout(actor=owner, package=package, reason="checking the logs")
    window = rollout.created_at.replace(second=0, microsecond=0)
    found = alerts(client, token)
    assert [(alert["name"], alert["severity"]) for alert in found] == [
        (ERROR_RATE, "warning"),
        (LATENCY, "warning"),
    ]
    assert found[0]["message"] == (
        f"1.1.0: error rate 8.0% above the limit 5.0% since {window:%H:%M} UTC (100 loads); "
        "the rollout is paused at 5%, so the health gates do not act on it; once it resumes "
        "they judge it again over the numbers from then on."
    )
    assert all("abort" not in alert["message"] for alert in found)
    assert parse_datetime(found[1]["triggeredAt"]) == window

    # What the warning says: even a step long overdue, a paused rollout is not judged.
    Rollout.objects.filter(pk=rollout.pk).update(next_step_at=timezone.now())
    assert evaluate_due_rollouts() == []
    rollout.refresh_from_db()
    assert (rollout.status, rollout.percent) == (Rollout.Status.PAUSED, 5)


def test_a_resumed_rollout_is_judged_over_the_numbers_from_its_resume(
    client, package, token, owner
):
    rollout = canary(client, token)
    earlier = timezone.now() - dt.timedelta(minutes=10)
    Rollout.objects.filter(pk=rollout.pk).update(created_at=earlier)
    DeploymentEvent.objects.filter(rollout=rollout).update(created_at=earlier)
    report("1.1.0", loads=100, failed=50, ago=5)
    rollouts.pause_rollout(actor=owner, package=package, reason="checking the logs")
    assert [alert["severity"] for alert in alerts(client, token)] == ["warning"]

    rollouts.resume_rollout(actor=owner, package=package, reason="logs are fine")
    assert alerts(client, token) == []
    report("1.1.0", loads=100, failed=50)
    (alert,) = alerts(client, token)
    assert (alert["name"], alert["severity"]) == (ERROR_RATE, "critical")
    assert alert["message"].endswith("the health gates abort the rollout at its next step.")


def test_the_gates_abort_is_a_warning_for_an_hour(client, package, token):
    rollout = canary(client, token)
    Rollout.objects.filter(pk=rollout.pk).update(next_step_at=timezone.now())
    report("1.1.0", loads=100, failed=10)
    (decision,) = evaluate_due_rollouts()
    assert decision.action == "abort"
    (alert,) = alerts(client, token)
    abort = DeploymentEvent.objects.get(rollout=rollout, kind=DeploymentEvent.Kind.ABORT)
    assert alert["name"] == "Rollout aborted"
    assert alert["severity"] == "warning"
    assert alert["message"] == f"The health gates aborted 1.1.0: {abort.reason}"
    assert abort.reason.startswith("error rate 10.0% above the limit 5.0%; candidate 1.1.0:")
    assert parse_datetime(alert["triggeredAt"]) == abort.created_at

    DeploymentEvent.objects.filter(pk=abort.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=61)
    )
    assert alerts(client, token) == []


def test_a_rollout_aborted_by_a_person_or_followed_by_another_has_no_abort_alert(
    client, package, token
):
    canary(client, token)
    rollback = {"reason": "wrong build"}
    assert post(client, f"{API}/deployment/rollback", rollback, token).status_code == 200
    assert alerts(client, token) == []

    rollout = canary(client, token)
    Rollout.objects.filter(pk=rollout.pk).update(next_step_at=timezone.now())
    report("1.1.0", loads=100, failed=10)
    assert evaluate_due_rollouts()[0].action == "abort"
    assert [alert["name"] for alert in alerts(client, token)] == ["Rollout aborted"]
    canary(client, token)  # a new rollout: its own window's numbers, not the old abort
    assert [alert["name"] for alert in alerts(client, token)] == [ERROR_RATE]
