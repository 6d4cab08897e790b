"""The rollout loop end to end in Chromium: real shells load a candidate and report, and
`run_rollouts --once` aborts a broken one (shells get the stable version again) or takes a
healthy one to 100 % by itself."""

from __future__ import annotations

import datetime as dt
import itertools
import time

import pytest
from django.core.management import call_command
from django.utils import timezone

from installs.services import install_plugin
from installs.versions import canary_bucket
from publishing.services import publish_version
from registry import rollouts
from registry.field_health import version_health
from registry.models import PluginDeployment, Rollout
from tests.factories import make_user, plugin_manifest
from tests.shell.helpers import open_shell, probe_bundle, publish_probe, sign_in, wait_for_state

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTENT = "#naap-shell-content"


def candidate_person(name: str):
    """A person whose bucket for `name` is below 50, so a 50 % rollout serves them the
    candidate."""
    for number in itertools.count():
        user = make_user(f"gate-person-{number}")
        if canary_bucket(user_id=user.pk, name=name) < 50:
            return user


def publish_candidate(name: str, stable, *, body: str = ""):
    """Version 1.1.0 of `name`, published without a deploy."""
    publisher = stable.package.publisher
    return publish_version(
        actor=publisher.memberships.first().user,
        publisher=publisher,
        manifest=plugin_manifest(name, "1.1.0"),
        bundle=probe_bundle(name, "1.1.0", body=body),
        deploy=False,
    ).version


def load_and_report(page, name: str, state: str, version_id: int) -> None:
    """Open the shell on the plugin, wait for `state`, leave the page (its reports go out on
    page hide) and wait until the registry has counted the load."""
    frame = open_shell(page, f"/shell/plugins/{name}")
    wait_for_state(frame, CONTENT, state)
    page.goto("about:blank")
    epoch = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    deadline = time.monotonic() + 10
    while not version_health([version_id], since=epoch)[version_id]["loads"]:
        assert time.monotonic() < deadline, "the shell's field report did not arrive"
        time.sleep(0.1)


def run_due(rollout: Rollout) -> Rollout:
    Rollout.objects.filter(pk=rollout.pk).update(
        next_step_at=timezone.now() - dt.timedelta(seconds=1)
    )
    call_command("run_rollouts", "--once")
    return Rollout.objects.get(pk=rollout.pk)


def probe_text(page, name: str) -> str:
    frame = open_shell(page, f"/shell/plugins/{name}")
    wait_for_state(frame, CONTENT, "mounted")
    return frame.locator(f"{CONTENT} .probe").inner_text()


def test_a_candidate_whose_mount_throws_is_aborted_and_shells_get_stable_again(
    page, browser_context, live_server
):
    name = "gate-bomb"
    stable = publish_probe(name)
    candidate = publish_candidate(name, stable, body="throw new Error('gate-bomb went off');")
    person = candidate_person(name)
    install_plugin(actor=person, name=name, team_id=None, config=None)
    sign_in(browser_context, live_server, person)
    package = stable.package
    rollout = rollouts.start_rollout(
        actor=make_user("gate-staff", staff=True),
        package=package,
        version="1.1.0",
        initial_percent=50,
        increment_percent=25,
        interval_seconds=600,
        min_sample=1,
    )
    load_and_report(page, name, "error", candidate.pk)
    rollout = run_due(rollout)
    assert rollout.status == Rollout.Status.ABORTED
    assert rollout.end_reason.startswith("error rate 100.0% above the limit 5.0%")
    assert probe_text(page, name) == f"Probe {name}@1.0.0"


def test_a_healthy_candidate_reaches_100_by_itself(page, browser_context, live_server):
    name = "gate-steady"
    stable = publish_probe(name)
    candidate = publish_candidate(name, stable)
    person = candidate_person(name)
    install_plugin(actor=person, name=name, team_id=None, config=None)
    sign_in(browser_context, live_server, person)
    rollout = rollouts.start_rollout(
        actor=make_user("gate-staff", staff=True),
        package=stable.package,
        version="1.1.0",
        initial_percent=50,
        increment_percent=25,
        interval_seconds=600,
        min_sample=1,
    )
    load_and_report(page, name, "mounted", candidate.pk)
    shares = []
    while rollout.status == Rollout.Status.RUNNING:
        rollout = run_due(rollout)
        shares.append(rollout.percent)
    assert (rollout.status, shares) == (Rollout.Status.PROMOTED, [75, 100])
    deployment = PluginDeployment.objects.select_related("version").get(package=stable.package)
    assert deployment.version == candidate
    assert probe_text(page, name) == f"Probe {name}@1.1.0"
