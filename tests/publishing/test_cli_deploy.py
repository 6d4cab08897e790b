"""`naap-plugin deploy`, `status --watch` and `rollback` without a version: the real CLI in a
subprocess against the real registry (pytest-django's live_server), as tests/publishing/
test_cli.py does; --dry-run against a scripted registry that records every request."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from publishing.cli import main
from registry import rollouts
from registry.models import DeploymentEvent, PluginDeployment, Rollout
from tests.factories import make_publisher, make_user, publish_with_candidates
from tests.publishing.helpers import token_for
from tests.publishing.test_cli import error_lines, registry  # noqa: F401 (a fixture)
from tests.publishing.test_cli import run_cli as run_cli_once

REPOSITORY = Path(__file__).resolve().parents[2]


def test_dry_run_prints_the_body_and_sends_nothing(registry, capsys):  # noqa: F811
    code = main(
        [
            "deploy",
            "hello-world",
            "1.2.0",
            "-s",
            "canary",
            "--canary-percent",
            "10",
            "--canary-increment",
            "30",
            "--canary-interval",
            "2",
            "--no-auto-rollback",
            "--dry-run",
            "--json",
            "-r",
            registry.url,
        ]
    )
    assert code == 0
    assert registry.requests == []
    plan = json.loads(capsys.readouterr().out)
    assert plan["url"] == f"{registry.url}/api/v1/plugins/hello-world/deploy"
    assert plan["body"] == {
        "version": "1.2.0",
        "strategy": {
            "type": "canary",
            "canary": {
                "initialPercent": 10,
                "incrementPercent": 30,
                "intervalSeconds": 120,
                "successThreshold": 0.95,
            },
            "rollback": {"onErrorRate": 0.05, "onLatencyP99": 5000, "onHealthCheckFail": False},
        },
    }


def test_dry_run_in_words_names_each_step(registry, capsys):  # noqa: F811
    assert main(["deploy", "hello-world@1.2.0", "--dry-run", "-r", registry.url]) == 0
    out = capsys.readouterr().out
    assert registry.requests == []
    assert "dry run: would POST to" in out and "(nothing was sent)" in out
    assert "strategy  blue-green" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["deploy", "hello-world"], "name the version to deploy"),
        (["deploy", "hello-world", "one"], "'one' is not a Semantic Version"),
        (
            ["deploy", "hello-world", "1.0.0", "-s", "canary", "--canary-percent", "100"],
            "--canary-percent must be between 1 and 99",
        ),
        (
            ["deploy", "hello-world", "1.0.0", "-s", "canary", "--canary-interval", "-1"],
            "--canary-interval must be between 0",
        ),
    ],
)
def test_bad_deploy_arguments_are_usage_errors_before_any_request(
    registry,  # noqa: F811
    argv,
    message,
    capsys,
):
    assert main([*argv, "-r", registry.url, "--token", "naap_t"]) == 2
    assert message in capsys.readouterr().err
    assert registry.requests == []


# ---------------------------------------------------------------------------------------------
# against the live registry


@pytest.fixture
def wallet(transactional_db):
    """my-wallet 1.0.0 deployed, 1.1.0 and 1.2.0 published; a deploy token of its publisher."""
    owner = make_user("ada")
    publisher = make_publisher("ada-labs", owner=owner)
    package = publish_with_candidates(
        "my-wallet", "1.1.0", "1.2.0", actor=owner, publisher=publisher
    )
    secret = token_for(publisher, scopes=("deploy",), user=owner)[3]
    return package, owner, secret


def run_cli(*args: str, token: str) -> subprocess.CompletedProcess:
    return run_cli_once(*args, token=token)


def start_cli(*args: str, token: str) -> subprocess.Popen:
    environment = {
        **os.environ,
        "PYTHONPATH": str(REPOSITORY),
        "NAAP_REGISTRY_URL": "",
        "NAAP_REGISTRY_TOKEN": token,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "publishing.cli", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
        cwd=REPOSITORY,
        # Ctrl-C as a terminal sends it, even when the suite runs as a background job (a
        # shell without job control starts those with SIGINT ignored, and Python then keeps
        # it ignored: the watcher would never stop).
        preexec_fn=_default_sigint,
    )


def _default_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def served(package) -> tuple[str, str | None, int]:
    deployment = PluginDeployment.objects.select_related("version", "canary_version").get(
        package=package
    )
    canary = deployment.canary_version.version if deployment.canary_version else None
    return deployment.version.version, canary, deployment.canary_percent


def test_dry_run_against_the_live_registry_changes_nothing(live_server, wallet):
    package, _, secret = wallet
    events = DeploymentEvent.objects.count()
    result = run_cli(
        "deploy",
        "my-wallet",
        "1.1.0",
        "-s",
        "canary",
        "--dry-run",
        "-r",
        live_server.url,
        token=secret,
    )
    assert result.returncode == 0, result.stderr
    assert "nothing was sent" in result.stdout
    assert served(package) == ("1.0.0", None, 0)
    assert DeploymentEvent.objects.count() == events
    assert not Rollout.objects.exists()


def test_a_canary_watched_until_it_is_promoted(live_server, wallet):
    package, owner, secret = wallet
    server = ["-r", live_server.url]
    started = run_cli(
        "deploy",
        "my-wallet",
        "1.1.0",
        "--strategy",
        "canary",
        "--canary-percent",
        "10",
        "--canary-increment",
        "40",
        "--canary-interval",
        "60",
        *server,
        token=secret,
    )
    assert started.returncode == 0, started.stderr
    rollout = Rollout.objects.get()
    assert f"started a canary of my-wallet@1.1.0 at 10% (deployment rollout-{rollout.pk})" in (
        started.stdout
    )
    assert served(package) == ("1.0.0", "1.1.0", 10)

    watcher = start_cli("status", "my-wallet", "--watch", "-i", "0.2", *server, token=secret)
    first = watcher.stdout.readline()  # each change of the split is one line off a terminal
    assert first.startswith("1.1.0 10% (running), 1.0.0 90%; success: candidate n/a"), first
    rollouts.advance_rollout(actor=owner, package=package)
    assert watcher.stdout.readline().startswith("1.1.0 50% (running), 1.0.0 50%")
    rollouts.promote_rollout(actor=owner, package=package)
    out, err = watcher.communicate(timeout=60)
    assert watcher.returncode == 0, err
    assert out.splitlines()[-1] == f"rollout-{rollout.pk} promoted: everyone runs 1.1.0"
    assert served(package) == ("1.1.0", None, 0)


def test_a_canary_aborted_by_rollback_ends_the_watch_and_deploy_watch(live_server, wallet):
    package, _, secret = wallet
    server = ["-r", live_server.url]
    watcher = start_cli(
        "deploy",
        "my-wallet",
        "1.2.0",
        "-s",
        "canary",
        "--canary-interval",
        "60",
        "--watch",
        "-i",
        "0.2",
        *server,
        token=secret,
    )
    deadline = time.monotonic() + 60
    while not Rollout.objects.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1)
    rolled = run_cli("rollback", "my-wallet", "--reason", "1.2.0 is slow", *server, token=secret)
    assert rolled.returncode == 0, rolled.stderr
    assert "aborted the rollout of 1.2.0: my-wallet serves 1.0.0 to everyone again" in rolled.stdout
    out, err = watcher.communicate(timeout=60)
    assert watcher.returncode == 1, err
    assert out.splitlines()[-1].endswith("rolled back: everyone runs 1.0.0 again (1.2.0 is slow)")
    assert served(package) == ("1.0.0", None, 0)


def test_immediate_deploy_then_rollback_to_the_previous_version(live_server, wallet):
    package, _, secret = wallet
    server = ["-r", live_server.url]
    deployed = run_cli("deploy", "my-wallet", "1.2.0", "-s", "immediate", *server, token=secret)
    assert deployed.returncode == 0, deployed.stderr
    assert "deployed my-wallet@1.2.0 (immediate): everyone runs it now" in deployed.stdout
    assert served(package) == ("1.2.0", None, 0)
    idle = run_cli("status", "my-wallet", "--watch", *server, token=secret)
    assert idle.returncode == 0, idle.stderr
    assert "my-wallet has no rollout in progress: 1.2.0 serves everyone" in idle.stdout
    back = run_cli("rollback", "my-wallet", *server, token=secret)
    assert back.returncode == 0, back.stderr
    assert "my-wallet now serves 1.0.0 (was 1.2.0)" in back.stdout
    # With a version, the existing route, as before.
    forward = run_cli("rollback", "my-wallet", "-v", "1.1.0", *server, token=secret)
    assert forward.returncode == 0, forward.stderr
    assert "my-wallet now serves 1.1.0" in forward.stdout


def test_a_read_token_may_watch_but_not_deploy(live_server, wallet):
    package, owner, _ = wallet
    secret = token_for(package.publisher, scopes=("read",), user=owner)[3]
    refused = run_cli("deploy", "my-wallet", "1.1.0", "-r", live_server.url, token=secret)
    assert refused.returncode == 1
    [line] = error_lines(refused.stderr)
    assert "lacks the 'deploy' scope" in line
    assert served(package) == ("1.0.0", None, 0)


def test_ctrl_c_stops_watching_cleanly_and_the_rollout_goes_on(live_server, wallet):
    import signal

    package, owner, secret = wallet
    rollouts.start_rollout(
        actor=owner,
        package=package,
        version="1.1.0",
        initial_percent=20,
        increment_percent=20,
        interval_seconds=600,
    )
    watcher = start_cli(
        "status", "my-wallet", "--watch", "-i", "0.2", "-r", live_server.url, token=secret
    )
    assert watcher.stdout.readline().startswith("1.1.0 20% (running)")
    watcher.send_signal(signal.SIGINT)
    out, err = watcher.communicate(timeout=60)
    assert watcher.returncode == 0, err
    assert out.splitlines()[-1] == "stopped watching; the rollout goes on"
    assert "Traceback" not in err
    assert served(package) == ("1.0.0", "1.1.0", 20)
