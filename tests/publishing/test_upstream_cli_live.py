"""NaaP's own CLI against a live server of ours: the NaaP sample's deploy.ts, status.ts and
rollback.ts, unchanged, run with Node (tests/publishing/upstream_cli/) against gunicorn serving
this test's database, with the health gates' loop (`manage.py run_rollouts`) beside it when a
rollout should move by itself. What each command prints is read back, and our rows checked."""

from __future__ import annotations

import datetime as dt
import re
import signal

import pytest
from django.utils import timezone

from registry.field_reports import LOAD_MS_BUCKETS
from registry.models import (
    DeploymentEvent,
    PluginDeployment,
    PluginVersion,
    PluginVersionMinute,
    Rollout,
)
from registry.rollouts import MAX_LATENCY_MS
from tests.factories import make_publisher, make_user, publish_with_candidates
from tests.live import running_gunicorn, running_rollout_loop, wait_for
from tests.publishing.helpers import token_for
from tests.publishing.upstream_cli import UpstreamCli, bundle, finish, plugin_folder

pytestmark = pytest.mark.django_db(transaction=True)
Kind = DeploymentEvent.Kind


@pytest.fixture(scope="module")
def script(tmp_path_factory):
    return bundle(tmp_path_factory.mktemp("naap-plugin") / "naap-plugin.cjs")


@pytest.fixture
def owner():
    return make_user("ada")


@pytest.fixture
def package(owner):
    """my-wallet 1.0.0 deployed, 1.1.0 published beside it."""
    publisher = make_publisher("ada-labs", owner=owner)
    return publish_with_candidates("my-wallet", "1.1.0", actor=owner, publisher=publisher)


@pytest.fixture
def token(owner, package):
    return token_for(package.publisher, scopes=("deploy",), user=owner)[3]


@pytest.fixture
def cli(script, tmp_path, package):
    with running_gunicorn(tmp_path / "data") as server:
        cli = UpstreamCli(script, server.url, tmp_path / "home")
        try:
            yield cli
        finally:
            cli.stop_all()


@pytest.fixture
def candidate(tmp_path):
    """The plugin's folder with 1.1.0 in its plugin.json: what `deploy` deploys."""
    return plugin_folder(tmp_path / "my-wallet", "my-wallet", "1.1.0", "My Wallet")


def report(version: str, *, loads: int, failed: int = 0, minutes: int = 1) -> None:
    """Field reports of `loads` loads a minute (`failed` of them failed to mount, the others in
    the fastest load-time bucket), from this minute on."""
    now = timezone.now().replace(second=0, microsecond=0)
    buckets = [0] * (len(LOAD_MS_BUCKETS) + 1)
    buckets[0] = loads - failed
    for minute in range(minutes):
        PluginVersionMinute.objects.create(
            version=PluginVersion.objects.get(package__name="my-wallet", version=version),
            minute=now + dt.timedelta(minutes=minute),
            loads=loads,
            mounted=loads - failed,
            failed_mount=failed,
            load_ms_sum=(loads - failed) * 40,
            load_ms_buckets=buckets,
        )


def served(package) -> tuple[str, str | None, int]:
    deployment = PluginDeployment.objects.select_related("version", "canary_version").get(
        package=package
    )
    canary = deployment.canary_version.version if deployment.canary_version else None
    return deployment.version.version, canary, deployment.canary_percent


def lines(output: str) -> list[str]:
    return [line.strip() for line in output.splitlines()]


def slot_lines(output: str, slot: str) -> list[str]:
    """The lines `status` prints for one slot (its name to the next blank line or slot)."""
    found = lines(output)
    start = next(index for index, line in enumerate(found) if line.endswith(slot))
    block = []
    for line in found[start + 1 :]:
        if not line.startswith(("Version:", "Status:", "Traffic:", "Health:")):
            break
        block.append(line)
    return block


CANARY_DEPLOY = (
    *("deploy", "--strategy", "canary", "--canary-percent", "5", "--canary-increment", "25"),
    "--auto-rollback",
)


def test_a_canary_deploy_its_status_and_a_rollback_with_naaps_cli(
    cli, candidate, tmp_path, package, owner, token
):
    deploy = cli.start(candidate, *CANARY_DEPLOY, "--timeout", "2", token=token)
    rollout = wait_for(lambda: Rollout.objects.filter(package=package).first(), timeout=20)
    assert served(package) == ("1.0.0", "1.1.0", 5)
    assert (rollout.initial_percent, rollout.increment_percent) == (5, 25)
    assert rollout.interval_seconds == 300  # upstream's default --canary-interval of 5 minutes
    assert (rollout.error_rate_limit, rollout.latency_p99_limit_ms) == (0.05, 5000)
    start = DeploymentEvent.objects.get(rollout=rollout)
    assert (start.kind, start.actor, start.to_percent) == (Kind.CANARY, owner, 5)

    report("1.0.0", loads=400, failed=2)
    report("1.1.0", loads=40)
    status = cli.run(candidate, "status", token=token)
    assert status.code == 0, status.output
    shown = lines(status.output)
    assert "📊 My Wallet Status" in shown
    assert "Version: 1.0.0" in shown
    assert "Status: ◐ Deploying" in shown
    assert "⏳ Deployment in progress..." in shown
    assert slot_lines(status.output, "STABLE") == [
        "Version: 1.0.0",
        "Status: ● Active",
        "Traffic: ███████████████████░ 95%",
        "Health: ● Healthy",
    ]
    assert slot_lines(status.output, "CANARY") == [
        "Version: 1.1.0",
        "Status: ◐ Deploying",
        "Traffic: █░░░░░░░░░░░░░░░░░░░ 5%",
        "Health: ● Healthy",
    ]
    assert "Requests: 400" in shown
    assert "Errors: 2 (0.50%)" in shown
    assert "Latency: p50=50ms p95=50ms p99=50ms" in shown
    assert "Active Alerts:" not in status.output

    log = tmp_path / "watch.log"
    watch = cli.start(candidate, "status", "--watch", "--interval", "1", token=token, log=log)
    wait_for(lambda: "CANARY" in log.read_text(), timeout=20)
    rollback = cli.run(
        candidate, "rollback", "--force", "--reason", "the balance shows twice", token=token
    )
    assert rollback.code == 0, rollback.output
    shown = lines(rollback.output)
    assert "Active slot: stable" in shown
    # The CLI names the other slot as its target; with a rollout open that is the canary, and
    # rolling back ends it: the result below is the version everyone is on now.
    assert "Rollback target: canary" in shown
    assert "✓ Rollback successful!" in shown
    assert "Rolled back to: stable" in shown
    assert "Version: 1.0.0" in shown
    assert "Previous version: 1.1.0" in shown
    rollout.refresh_from_db()
    assert rollout.status == Rollout.Status.ABORTED
    assert served(package) == ("1.0.0", None, 0)
    abort = DeploymentEvent.objects.get(rollout=rollout, kind=Kind.ABORT)
    assert (abort.actor, abort.reason) == (owner, "the balance shows twice")

    # The deploy was watching its stream: the abort is its end.
    deployed = finish(deploy, timeout=30)
    assert deployed.code == 1, deployed.output
    shown = lines(deployed.output)
    assert "Strategy: canary" in shown
    assert "Initial: 5%" in shown
    assert "Auto-rollback: enabled" in shown
    assert "✖ Deployment failed, rolled back" in shown
    assert "Error: the balance shows twice" in shown
    assert "Rolled back to: 1.0.0" in shown

    # `status --watch` refreshes until interrupted: the rollback shows up in it.
    def latest_rendering() -> str:
        return log.read_text().rsplit("📊 My Wallet Status", 1)[-1]

    wait_for(lambda: "Traffic: ████████████████████ 100%" in latest_rendering(), timeout=20)
    watch.send_signal(signal.SIGINT)
    assert finish(watch, timeout=20).code == 0
    assert "CANARY" not in latest_rendering()
    watched = log.read_text()
    assert "Watching status (refresh every 1s, Ctrl+C to exit)" in watched
    assert "Deployment in progress..." in watched  # before the rollback
    assert watched.endswith("Stopped watching.\n")


def test_a_canary_the_health_gates_promote_ends_naaps_deploy_as_complete(
    cli, candidate, package, token
):
    report("1.1.0", loads=500, minutes=3)  # healthy all along, whichever minute a step starts
    with running_rollout_loop():
        deployed = cli.run(
            candidate, *CANARY_DEPLOY, "--canary-interval", "0", "--timeout", "2", token=token
        )
    assert deployed.code == 0, deployed.output
    shown = lines(deployed.output)
    assert "✔ Deployment complete!" in shown
    assert "Version: 1.1.0" in shown
    assert "✓ Plugin deployed successfully!" in shown
    rollout = Rollout.objects.get(package=package)
    assert rollout.status == Rollout.Status.PROMOTED
    assert served(package) == ("1.1.0", None, 0)
    kinds = list(
        DeploymentEvent.objects.filter(rollout=rollout)
        .order_by("created_at", "id")
        .values_list("kind", flat=True)
    )
    assert kinds == [Kind.CANARY, Kind.ADVANCE, Kind.ADVANCE, Kind.ADVANCE, Kind.PROMOTE]

    status = cli.run(candidate, "status", token=token)
    assert status.code == 0, status.output
    assert "Version: 1.1.0" in lines(status.output)
    assert "Deployment in progress" not in status.output
    assert slot_lines(status.output, "PREVIOUS")[0] == "Version: 1.0.0"


def test_a_canary_the_health_gates_abort_ends_naaps_deploy_with_their_reason(
    cli, candidate, package, token
):
    report("1.1.0", loads=100, failed=10, minutes=3)
    with running_rollout_loop():
        deployed = cli.run(
            candidate, *CANARY_DEPLOY, "--canary-interval", "0", "--timeout", "2", token=token
        )
    assert deployed.code == 1, deployed.output
    shown = lines(deployed.output)
    assert "✖ Deployment failed, rolled back" in shown
    error = next(line for line in shown if line.startswith("Error: "))
    assert error.startswith("Error: error rate 10.0% above the limit 5.0%; candidate 1.1.0:")
    assert "Rolled back to: 1.0.0" in shown
    assert Rollout.objects.get(package=package).status == Rollout.Status.ABORTED
    assert served(package) == ("1.0.0", None, 0)

    # status names the abort among its alerts for a while.
    status = cli.run(candidate, "status", token=token)
    assert status.code == 0, status.output
    shown = lines(status.output)
    assert "Requests: 0" in shown
    assert "Latency: p50=0ms p95=0ms p99=0ms" in shown
    assert "⚠️  Active Alerts:" in shown
    assert "● Rollout aborted" in shown
    assert any(re.match(r"The health gates aborted 1\.1\.0: error rate 10\.0%", x) for x in shown)
    assert "Triggered: just now" in shown


def test_a_blue_green_deploy_and_a_rollback_to_the_previous_version_with_naaps_cli(
    cli, candidate, package, owner, token
):
    deployed = cli.run(candidate, "deploy", "--strategy", "blue-green", token=token)
    assert deployed.code == 0, deployed.output
    shown = lines(deployed.output)
    assert "Strategy: blue-green" in shown
    assert "✔ Deployment complete!" in shown
    assert "Version: 1.1.0" in shown
    assert "Slot: stable" in shown
    assert served(package) == ("1.1.0", None, 0)
    move = DeploymentEvent.objects.order_by("-id").first()
    assert (move.kind, move.actor, move.to_version.version) == (Kind.DEPLOY, owner, "1.1.0")

    rollback = cli.run(candidate, "rollback", "--force", "--reason", "slow on Safari", token=token)
    assert rollback.code == 0, rollback.output
    shown = lines(rollback.output)
    assert "Current version: 1.1.0" in shown
    assert "Rollback target: previous" in shown
    assert "Target version: 1.0.0" in shown
    assert "Version: 1.0.0" in shown
    assert "Previous version: 1.1.0" in shown
    assert served(package) == ("1.0.0", None, 0)
    back = DeploymentEvent.objects.order_by("-id").first()
    assert (back.kind, back.reason) == (Kind.ROLLBACK, "slow on Safari")


def test_rollback_asks_first_without_force(cli, candidate, package, token):
    cli.run(candidate, "deploy", "--strategy", "immediate", token=token)
    kept = cli.run(candidate, "rollback", token=token, typing="n\n")
    assert kept.code == 0, kept.output
    shown = lines(kept.output)
    assert "Current version: 1.1.0" in shown
    assert "Target version: 1.0.0" in shown
    assert "Rollback cancelled" in shown
    assert served(package) == ("1.1.0", None, 0)

    done = cli.run(candidate, "rollback", "--reason", "asked twice", token=token, typing="y\n")
    assert done.code == 0, done.output
    assert "✓ Rollback successful!" in lines(done.output)
    assert served(package) == ("1.0.0", None, 0)


def test_no_auto_rollback_lifts_the_rollouts_limits(cli, candidate, package, token):
    # --timeout 0: the CLI starts the deploy and gives up watching at once.
    run = cli.run(
        candidate, *CANARY_DEPLOY[:-1], "--no-auto-rollback", "--timeout", "0", token=token
    )
    assert run.code == 1
    assert "Auto-rollback: disabled" in lines(run.output)
    assert "Error: Deployment timed out" in lines(run.output)
    rollout = Rollout.objects.get(package=package)
    assert rollout.status == Rollout.Status.RUNNING
    assert (rollout.error_rate_limit, rollout.latency_p99_limit_ms) == (1.0, MAX_LATENCY_MS)


# ---------------------------------------------------------------------------------------------
# What goes wrong: the CLI prints our message


def test_without_a_token_naaps_cli_stops_before_asking(cli, candidate, package):
    for command in (CANARY_DEPLOY, ("status",), ("rollback", "--force")):
        run = cli.run(candidate, *command)
        assert run.code == 1
        assert "Error: Not authenticated" in run.output
    assert served(package) == ("1.0.0", None, 0)


def test_our_refusals_are_what_naaps_cli_prints(cli, candidate, tmp_path, package, token):
    unknown = plugin_folder(tmp_path / "nope", "no-such-plugin", "1.0.0", "Nope")
    wrong = "naap_" + "x" * 40
    read_only = token_for(package.publisher, scopes=("read",))[3]
    unpublished = plugin_folder(tmp_path / "later", "my-wallet", "9.9.9", "My Wallet")

    run = cli.run(unknown, *CANARY_DEPLOY, token=token)
    assert run.code == 1
    assert "Error: Plugin 'no-such-plugin' not found." in run.output
    assert "Tip: Make sure the plugin is published first" in run.output

    run = cli.run(unknown, "status", token=token)
    assert run.code == 1
    assert 'Plugin "no-such-plugin" is not deployed yet.' in run.output

    run = cli.run(unknown, "rollback", "--force", token=token)
    assert run.code == 1
    assert "Error: Plugin 'no-such-plugin' not found." in run.output

    run = cli.run(candidate, *CANARY_DEPLOY, token=wrong)
    assert run.code == 1
    assert "Error: Unknown API token: check it was copied whole, or create a new one." in run.output

    run = cli.run(candidate, *CANARY_DEPLOY, token=read_only)
    assert run.code == 1, run.output
    assert re.search(
        r"Error: The API token naap_\S+ lacks the 'deploy' scope; it has read\.", run.output
    )

    run = cli.run(unpublished, *CANARY_DEPLOY, token=token)
    assert run.code == 1, run.output
    assert "Error: Version 9.9.9 of plugin 'my-wallet' not found." in run.output
    assert "Tip: Make sure the plugin is published first" in run.output

    assert served(package) == ("1.0.0", None, 0)
    assert not Rollout.objects.exists()
