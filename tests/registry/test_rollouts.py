"""Staged rollouts (registry.rollouts): every transition, one per package, supersede, refusals."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import IntegrityError, transaction

from installs.versions import canary_bucket
from naap.errors import Conflict, NotFound, ValidationFailed
from publishing import services as publishing
from registry import deployments, rollouts
from registry.audit import AuditAction
from registry.cache import generation_key
from registry.models import AuditEvent, DeploymentEvent, PluginDeployment, Rollout
from tests.factories import make_user, publish, publish_with_candidates
from tests.installs.helpers import install, plugins_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff():
    return make_user("staff", staff=True)


@pytest.fixture
def package(staff):
    """my-wallet 1.0.0 deployed, 1.1.0 and 1.2.0 published without a deploy."""
    return publish_with_candidates("my-wallet", "1.1.0", "1.2.0")


def start(staff, package, version="1.1.0", **overrides):
    arguments = {"initial_percent": 10, "increment_percent": 25, "interval_seconds": 600}
    arguments.update(overrides)
    return rollouts.start_rollout(actor=staff, package=package, version=version, **arguments)


def deployment_of(package) -> PluginDeployment:
    return PluginDeployment.objects.select_related("version", "canary_version").get(package=package)


def last_event() -> DeploymentEvent:
    return DeploymentEvent.objects.select_related("from_version", "to_version").first()


def last_audit() -> AuditEvent:
    return AuditEvent.objects.order_by("-id").first()


# --- transitions ----------------------------------------------------------------------------


def test_starting_puts_the_candidate_on_its_initial_share_and_records_it(staff, package):
    rollout = start(staff, package, reason="new checkout", min_sample=50, success_threshold=0.9)
    assert rollout.status == Rollout.Status.RUNNING
    assert (rollout.percent, rollout.increment_percent, rollout.interval_seconds) == (10, 25, 600)
    assert (rollout.success_threshold, rollout.min_sample) == (0.9, 50)
    assert (rollout.error_rate_limit, rollout.latency_p99_limit_ms) == (0.05, 5000)
    assert rollout.stable.version == "1.0.0"
    assert rollout.next_step_at > rollout.created_at
    deployment = deployment_of(package)
    assert deployment.version.version == "1.0.0"
    assert (deployment.canary_version.version, deployment.canary_percent) == ("1.1.0", 10)
    event = last_event()
    assert event.kind == DeploymentEvent.Kind.CANARY
    assert (event.from_version.version, event.to_version.version) == ("1.0.0", "1.1.0")
    assert (event.from_percent, event.to_percent, event.rollout) == (0, 10, rollout)
    assert (event.actor, event.reason) == (staff, "new checkout")
    audit = last_audit()
    assert (audit.action, audit.actor) == (AuditAction.ROLLOUT_START, staff)
    assert audit.details["candidate"] == "1.1.0"
    assert (audit.details["fromPercent"], audit.details["toPercent"]) == (0, 10)


def test_the_minimum_sample_defaults_to_20(staff, package):
    assert start(staff, package).min_sample == 20


def test_advancing_adds_the_increment_and_reaching_100_promotes(staff, package):
    start(staff, package, initial_percent=30, increment_percent=40)
    rollout = rollouts.advance_rollout(actor=staff, package=package, reason="healthy")
    assert rollout.percent == 70
    assert deployment_of(package).canary_percent == 70
    event = last_event()
    assert (event.kind, event.from_percent, event.to_percent) == ("advance", 30, 70)
    assert last_audit().action == AuditAction.ROLLOUT_ADVANCE

    rollout = rollouts.advance_rollout(actor=staff, package=package)  # 70 + 40, capped: promote
    assert (rollout.status, rollout.percent) == (Rollout.Status.PROMOTED, 100)
    assert rollout.ended_at is not None
    deployment = deployment_of(package)
    assert deployment.version.version == "1.1.0"
    assert (deployment.canary_version, deployment.canary_percent) == (None, 0)
    event = last_event()
    assert (event.kind, event.from_percent, event.to_percent) == ("promote", 70, 100)
    assert last_audit().action == AuditAction.ROLLOUT_PROMOTE
    assert rollouts.open_rollout(package) is None


def test_promoting_makes_the_candidate_the_deployed_version(staff, package):
    start(staff, package)
    rollouts.pause_rollout(actor=staff, package=package)  # a paused rollout may be promoted
    rollout = rollouts.promote_rollout(actor=staff, package=package, reason="looks good")
    assert rollout.status == Rollout.Status.PROMOTED
    deployment = deployment_of(package)
    assert (deployment.version.version, deployment.deployed_by) == ("1.1.0", staff)
    assert deployment.canary_version is None
    event = last_event()
    assert (event.kind, event.to_version.version, event.reason) == (
        "promote",
        "1.1.0",
        "looks good",
    )


def test_aborting_puts_everyone_back_on_the_stable_version(staff, package):
    start(staff, package)
    rollout = rollouts.abort_rollout(actor=staff, package=package, reason="checkout fails")
    assert (rollout.status, rollout.percent, rollout.end_reason) == (
        Rollout.Status.ABORTED,
        0,
        "checkout fails",
    )
    deployment = deployment_of(package)
    assert deployment.version.version == "1.0.0"
    assert (deployment.canary_version, deployment.canary_percent) == (None, 0)
    event = last_event()
    assert (event.kind, event.from_percent, event.to_percent) == ("abort", 10, 0)
    assert last_audit().action == AuditAction.ROLLOUT_ABORT


def test_pausing_holds_the_share_and_resuming_runs_again(staff, package):
    start(staff, package)
    rollout = rollouts.pause_rollout(actor=staff, package=package, reason="weekend")
    assert (rollout.status, rollout.next_step_at) == (Rollout.Status.PAUSED, None)
    assert deployment_of(package).canary_percent == 10
    assert (last_event().kind, last_audit().action) == ("pause", AuditAction.ROLLOUT_PAUSE)
    rollout = rollouts.resume_rollout(actor=staff, package=package)
    assert rollout.status == Rollout.Status.RUNNING
    assert rollout.next_step_at is not None
    assert (last_event().kind, last_audit().action) == ("resume", AuditAction.ROLLOUT_RESUME)


# --- refusals -------------------------------------------------------------------------------


def test_one_rollout_per_package_at_a_time(staff, package):
    first = start(staff, package)
    with pytest.raises(Conflict, match=r"already has a running rollout of 1\.1\.0") as refused:
        start(staff, package, version="1.2.0")
    assert refused.value.details["rolloutId"] == first.pk
    rollouts.pause_rollout(actor=staff, package=package)
    with pytest.raises(Conflict, match="paused rollout"):
        start(staff, package, version="1.2.0")
    assert Rollout.objects.count() == 1


def test_the_database_refuses_a_second_open_rollout(staff, package):
    first = start(staff, package)
    with pytest.raises(IntegrityError), transaction.atomic():
        Rollout.objects.create(
            package=package,
            candidate=first.candidate,
            percent=5,
            initial_percent=5,
            increment_percent=5,
            interval_seconds=60,
        )


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("9.9.9", "No version 9.9.9"),
        ("1.0.0", "already the deployed version"),
    ],
)
def test_starting_refuses_versions_that_cannot_be_rolled_out(staff, package, version, message):
    with pytest.raises((NotFound, Conflict), match=message):
        start(staff, package, version=version)
    assert not Rollout.objects.exists()


def test_starting_refuses_a_yanked_version(staff, package):
    version = package.versions.get(version="1.2.0")
    publishing.yank_version(actor=staff, version=version, reason="broken")
    with pytest.raises(Conflict, match="only a published, non-yanked version"):
        start(staff, package, version="1.2.0")


def test_starting_refuses_when_nothing_is_deployed(staff):
    package = publish("lonely", "1.0.0", deploy=False).package
    with pytest.raises(Conflict, match="no stable version"):
        start(staff, package, version="1.0.0")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"initial_percent": 0}, "initialPercent"),
        ({"initial_percent": 100}, "initialPercent"),
        ({"initial_percent": 10.5}, "initialPercent"),
        ({"initial_percent": "10"}, "initialPercent"),
        ({"increment_percent": 0}, "incrementPercent"),
        ({"increment_percent": 101}, "incrementPercent"),
        ({"interval_seconds": -1}, "intervalSeconds"),
        ({"success_threshold": 1.5}, "successThreshold"),
        ({"error_rate_limit": -0.1}, "onErrorRate"),
        ({"latency_p99_limit_ms": 0}, "onLatencyP99"),
        ({"min_sample": 0}, "minSample"),
        ({"min_sample": True}, "minSample"),
        ({"reason": "x" * 1001}, "reason"),
    ],
)
def test_starting_refuses_out_of_range_settings(staff, package, overrides, field):
    with pytest.raises(ValidationFailed) as refused:
        start(staff, package, **overrides)
    assert field in refused.value.details["fields"]
    assert not Rollout.objects.exists()
    assert deployment_of(package).canary_version is None


@pytest.mark.parametrize(
    "transition",
    [rollouts.advance_rollout, rollouts.promote_rollout, rollouts.pause_rollout],
)
def test_transitions_without_an_open_rollout_are_refused(staff, package, transition):
    with pytest.raises(NotFound, match="no running or paused rollout"):
        transition(actor=staff, package=package)
    start(staff, package)
    rollouts.abort_rollout(actor=staff, package=package, reason="stop")
    with pytest.raises(NotFound, match="no running or paused rollout"):
        transition(actor=staff, package=package)


def test_aborting_needs_a_reason_and_an_open_rollout(staff, package):
    with pytest.raises(NotFound):
        rollouts.abort_rollout(actor=staff, package=package, reason="stop")
    start(staff, package)
    with pytest.raises(ValidationFailed, match="Say why"):
        rollouts.abort_rollout(actor=staff, package=package, reason="  ")
    assert rollouts.open_rollout(package).status == Rollout.Status.RUNNING


def test_a_paused_rollout_does_not_advance_or_pause_again_and_a_running_one_does_not_resume(
    staff, package
):
    start(staff, package)
    with pytest.raises(Conflict, match="running, not paused"):
        rollouts.resume_rollout(actor=staff, package=package)
    rollouts.pause_rollout(actor=staff, package=package)
    with pytest.raises(Conflict, match="resume it before advancing"):
        rollouts.advance_rollout(actor=staff, package=package)
    with pytest.raises(Conflict, match="already paused"):
        rollouts.pause_rollout(actor=staff, package=package)
    assert deployment_of(package).canary_percent == 10


# --- supersede and yank ---------------------------------------------------------------------


def test_a_deploy_of_another_version_supersedes_the_rollout(staff, package):
    rollout = start(staff, package)
    deployments.roll_back(actor=staff, package=package, to_version="1.2.0", reason="hotfix")
    rollout.refresh_from_db()
    assert rollout.status == Rollout.Status.SUPERSEDED
    assert rollout.end_reason == "superseded by a deploy of 1.2.0: hotfix"
    deployment = deployment_of(package)
    assert deployment.version.version == "1.2.0"
    assert (deployment.canary_version, deployment.canary_percent) == (None, 0)
    deploy, supersede = DeploymentEvent.objects.all()[:2]
    assert (deploy.kind, supersede.kind) == ("deploy", "supersede")
    assert (supersede.rollout, supersede.from_percent, supersede.to_percent) == (rollout, 10, 0)
    assert AuditEvent.objects.filter(action=AuditAction.ROLLOUT_SUPERSEDE).count() == 1
    # A new rollout may start at once.
    assert start(staff, package, version="1.1.0").status == Rollout.Status.RUNNING


def test_yanking_the_candidate_aborts_the_rollout(staff, package):
    rollout = start(staff, package)
    publishing.yank_version(
        actor=staff, version=package.versions.get(version="1.1.0"), reason="leaks"
    )
    rollout.refresh_from_db()
    assert (rollout.status, rollout.end_reason) == (Rollout.Status.ABORTED, "1.1.0 yanked: leaks")
    assert deployment_of(package).canary_version is None
    assert last_event().kind == "abort"


# --- what shells see ------------------------------------------------------------------------


TRANSITIONS = {
    "advance": lambda staff, package: rollouts.advance_rollout(actor=staff, package=package),
    "promote": lambda staff, package: rollouts.promote_rollout(actor=staff, package=package),
    "abort": lambda staff, package: rollouts.abort_rollout(
        actor=staff, package=package, reason="x"
    ),
}


@pytest.mark.parametrize("name", ["start", *TRANSITIONS])
def test_every_transition_retires_the_packages_cached_manifests_and_bootstraps(
    staff, package, name
):
    if name != "start":
        start(staff, package)
    key = generation_key("my-wallet")
    before = cache.get(key, 0)
    if name == "start":
        start(staff, package)
    else:
        TRANSITIONS[name](staff, package)
    assert cache.get(key, 0) > before


def test_pausing_and_resuming_change_nothing_served_and_keep_cached_copies(staff, package):
    start(staff, package)
    before = cache.get(generation_key("my-wallet"), 0)
    rollouts.pause_rollout(actor=staff, package=package)
    rollouts.resume_rollout(actor=staff, package=package)
    assert cache.get(generation_key("my-wallet"), 0) == before


def test_people_in_the_candidate_stay_in_it_as_the_share_grows(client, staff, package):
    people = [make_user() for _ in range(30)]
    for person in people:
        client.force_login(person)
        assert install(client).status_code == 201
    start(staff, package, initial_percent=10, increment_percent=20)
    previous: set[int] = set()
    for percent in (10, 30, 50, 70, 90):
        in_candidate = set()
        for person in people:
            client.force_login(person)
            version = plugins_of(client)["my-wallet"]["manifest"]["version"]
            bucket = canary_bucket(user_id=person.pk, name="my-wallet")
            assert version == ("1.1.0" if bucket < percent else "1.0.0")
            if version == "1.1.0":
                in_candidate.add(person.pk)
        assert previous <= in_candidate, percent  # nobody leaves the candidate as it grows
        previous = in_candidate
        if percent < 90:
            assert rollouts.advance_rollout(actor=staff, package=package).percent == percent + 20
    assert len(previous) > 0
    rollouts.abort_rollout(actor=staff, package=package, reason="stop")
    for person in people:
        client.force_login(person)
        assert plugins_of(client)["my-wallet"]["manifest"]["version"] == "1.0.0"


def test_each_transition_takes_a_fixed_number_of_queries(staff, package, django_assert_num_queries):
    # Each: a savepoint and its release, the locked deployment, the open rollout (locked), its
    # writes, the event and the audit row; start also reads the candidate. Start, advance and
    # promote are webhook events: one more query finds the publisher's endpoints for them.
    with django_assert_num_queries(10):
        start(staff, package)
    with django_assert_num_queries(9):
        rollouts.advance_rollout(actor=staff, package=package)
    with django_assert_num_queries(7):
        rollouts.pause_rollout(actor=staff, package=package)
    with django_assert_num_queries(9):
        rollouts.promote_rollout(actor=staff, package=package)


def test_publishing_a_newer_deployed_version_supersedes_the_rollout(staff, package):
    rollout = start(staff, package)
    publish(
        "my-wallet",
        "1.3.0",
        actor=package.versions.get(version="1.0.0").published_by,
        publisher=package.publisher,
        marker="1.3.0",
    )
    rollout.refresh_from_db()
    assert rollout.status == Rollout.Status.SUPERSEDED
    assert rollout.end_reason.startswith("superseded by a deploy of 1.3.0")
    deployment = deployment_of(package)
    assert (deployment.version.version, deployment.canary_version) == ("1.3.0", None)


def test_the_deployment_api_shows_each_steps_shares(client, staff, package):
    start(staff, package, reason="new checkout")
    rollouts.advance_rollout(actor=staff, package=package)
    detail = client.get("/api/v1/plugins/my-wallet/deployment").json()["data"]
    assert (detail["deployment"]["canaryVersion"], detail["deployment"]["canaryPercent"]) == (
        "1.1.0",
        35,
    )
    advance, started = detail["events"][:2]
    assert {k: advance[k] for k in ("kind", "fromPercent", "toPercent", "toVersion")} == {
        "kind": "advance",
        "fromPercent": 10,
        "toPercent": 35,
        "toVersion": "1.1.0",
    }
    assert (started["kind"], started["fromPercent"], started["toPercent"]) == ("canary", 0, 10)
    assert started["reason"] == "new checkout"
