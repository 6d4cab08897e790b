"""`naap-plugin deploy`, `status --watch` and `rollback` without a version: upstream NaaP's
deploy protocol (POST plugins/{name}/deploy, GET …/deployment/status and the deployment's
event stream, POST …/deployment/rollback)."""

from __future__ import annotations

import argparse
import time
from contextlib import contextmanager
from typing import Any

from publishing.cli.client import ApiError, RegistryClient, api_path
from publishing.cli.commands import (
    check_package_name,
    make_client,
    package_from_plugin_json,
    refusal,
    registry_url,
)
from publishing.cli.output import EXIT_OK, EXIT_REFUSED, EXIT_USAGE, CliError, Ui
from registry.semver import is_valid

RECENT_EVENTS_SHOWN = 5  # events `status` prints

STRATEGIES = ("immediate", "blue-green", "canary")
DEFAULT_ROLLBACK_REASON = "rolled back with naap-plugin"
# What the gates' policy is when --auto-rollback is on (upstream's CLI sends the same).
AUTO_ROLLBACK = {"onErrorRate": 0.05, "onLatencyP99": 5000}
MIN_INTERVAL_SECONDS = 0.1


# ---------------------------------------------------------------------------------------------
# deploy


def _name_and_version(args: argparse.Namespace) -> tuple[str, str]:
    """NAME VERSION (or NAME@VERSION), else both from ./plugin.json."""
    name, version = args.name, args.version
    if name and "@" in name and not version:
        name, _, version = name.partition("@")
    if name is None:
        name, version = package_from_plugin_json("deploy NAME VERSION")
    elif not version:
        raise CliError(
            f"name the version to deploy: naap-plugin deploy {name} VERSION", exit_code=EXIT_USAGE
        )
    check_package_name(name)
    if not is_valid(version):
        raise CliError(f"'{version}' is not a Semantic Version such as 1.2.0", exit_code=EXIT_USAGE)
    return name, version


def _bounded(value: float, *, option: str, low: float, high: float) -> float:
    if not low <= value <= high:
        raise CliError(f"{option} must be between {low:g} and {high:g}", exit_code=EXIT_USAGE)
    return value


def deploy_body(args: argparse.Namespace, version: str) -> dict[str, Any]:
    """The body of POST plugins/{name}/deploy, in upstream's shape."""
    strategy: dict[str, Any] = {"type": args.strategy}
    if args.strategy == "canary":
        minutes = _bounded(args.canary_interval, option="--canary-interval", low=0, high=10080)
        strategy["canary"] = {
            "initialPercent": int(
                _bounded(args.canary_percent, option="--canary-percent", low=1, high=99)
            ),
            "incrementPercent": int(
                _bounded(args.canary_increment, option="--canary-increment", low=1, high=100)
            ),
            "intervalSeconds": round(minutes * 60),
            "successThreshold": 0.95,
        }
    strategy["rollback"] = {**AUTO_ROLLBACK, "onHealthCheckFail": args.auto_rollback}
    body: dict[str, Any] = {"version": version, "strategy": strategy}
    if args.reason:
        body["reason"] = args.reason
    return body


def command_deploy(args: argparse.Namespace, ui: Ui) -> int:
    """Deploy a published version: at once (immediate, blue-green) or as a canary rollout that
    grows by its increment each interval while its field reports are healthy."""
    name, version = _name_and_version(args)
    body = deploy_body(args, version)
    path = api_path("plugins", name, "deploy")
    if args.dry_run:
        url = registry_url(args).rstrip("/") + path
        if args.json:
            ui.emit_json({"dryRun": True, "url": url, "body": body})
            return EXIT_OK
        ui.say(f"dry run: would POST to {url} (nothing was sent):")
        _describe_plan(body, ui)
        return EXIT_OK
    client = make_client(args, ui, token_required=True)
    try:
        with ui.spinner(f"asking {client.base_url}"):
            answer = client.post_json(path, body).data
    except ApiError as error:
        raise refusal(error, subject=name) from None
    if args.json and not args.watch:
        ui.emit_json(answer)
        return EXIT_OK
    answer = answer if isinstance(answer, dict) else {}
    if answer.get("status") == "complete":
        ui.say(f"deployed {name}@{version} ({args.strategy}): everyone runs it now", style="green")
        return EXIT_OK
    ui.say(
        f"started a canary of {name}@{version} at {body['strategy']['canary']['initialPercent']}% "
        f"(deployment {answer.get('deploymentId', '?')})",
        style="green",
    )
    if args.watch:
        return watch(client, name, ui, interval=args.interval, timeout_minutes=args.timeout)
    ui.say(f"follow it: naap-plugin status {name} --watch")
    return EXIT_OK


def _describe_plan(body: dict[str, Any], ui: Ui) -> None:
    strategy = body["strategy"]
    ui.say(f"  version   {body['version']}")
    ui.say(f"  strategy  {strategy['type']}")
    canary = strategy.get("canary")
    if canary:
        ui.say(
            f"  canary    {canary['initialPercent']}% first, +{canary['incrementPercent']}% every "
            f"{canary['intervalSeconds']}s while at least {canary['successThreshold']:.0%} of "
            "loads succeed"
        )
    policy = strategy["rollback"]
    if policy["onHealthCheckFail"]:
        ui.say(
            f"  auto-rollback  on: aborted above {policy['onErrorRate']:.0%} errors or p99 "
            f"{policy['onLatencyP99']} ms"
        )
    else:
        ui.say("  auto-rollback  off (a candidate clearly worse than stable is still aborted)")


# ---------------------------------------------------------------------------------------------
# status --watch


def fetch_status(client: RegistryClient, name: str) -> dict[str, Any]:
    try:
        data = client.get(api_path("plugins", name, "deployment", "status")).data
    except ApiError as error:
        raise refusal(error, subject=name) from None
    return data if isinstance(data, dict) else {}


def _rate(health: Any) -> str:
    if not isinstance(health, dict) or health.get("successRate") is None:
        return "n/a"
    return f"{health['successRate'] * 100:.1f}% of {health.get('loads', 0)}"


def split_line(status: dict[str, Any]) -> str:
    """One line of the traffic split and both versions' success rates."""
    rollout = status.get("rollout") or {}
    health = status.get("health") or {}
    traffic = status.get("traffic") or {}
    return (
        f"{rollout.get('candidate', '?')} {traffic.get('candidate', 0)}% "
        f"({rollout.get('status', '?')}), {status.get('activeVersion') or '?'} "
        f"{traffic.get('stable', 100)}%; success: candidate {_rate(health.get('candidate'))}, "
        f"stable {_rate(health.get('stable'))}"
    )


@contextmanager
def _progress(ui: Ui, title: str):
    """A live bar of the candidate's share (interactive), else plain lines when it changes."""
    if not ui.interactive:
        last: list[str] = []

        def show(status: dict[str, Any]) -> None:
            line = split_line(status)
            if not last or last[-1] != line:
                ui.say(line)
                last.append(line)

        yield show
        return
    from rich.progress import BarColumn, Progress, TextColumn

    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[rates]}"))
    with Progress(*columns, console=ui.stderr.console, transient=False) as progress:
        task = progress.add_task(title, total=100, rates="")

        def show(status: dict[str, Any]) -> None:
            rollout = status.get("rollout") or {}
            health = status.get("health") or {}
            traffic = status.get("traffic") or {}
            progress.update(
                task,
                completed=traffic.get("candidate", 0),
                description=f"{rollout.get('candidate', '?')} {traffic.get('candidate', 0)}% "
                f"({rollout.get('status', '?')})",
                rates=f"success: candidate {_rate(health.get('candidate'))}, "
                f"stable {status.get('activeVersion')} {_rate(health.get('stable'))}",
            )

        yield show


def _outcome(client: RegistryClient, name: str, deployment_id: str) -> tuple[int, str]:
    """How a rollout ended, from its events: promoted, aborted (rolled back) or superseded."""
    try:
        events = client.get(api_path("plugins", name, "deployments", deployment_id, "events")).data
    except ApiError as error:
        raise refusal(error, subject=name) from None
    last = events[-1] if isinstance(events, list) and events else {}
    kind = last.get("type")
    if kind == "deploy_complete":
        return EXIT_OK, f"promoted: everyone runs {last.get('version')}"
    if kind == "rollback":
        reason = f" ({last['error']})" if last.get("error") else ""
        return EXIT_REFUSED, f"rolled back: everyone runs {last.get('version')} again{reason}"
    if kind == "failure":
        return EXIT_REFUSED, f"ended without promotion: {last.get('error') or 'superseded'}"
    return EXIT_OK, "the rollout has ended"


def watch(
    client: RegistryClient, name: str, ui: Ui, *, interval: float, timeout_minutes: float
) -> int:
    """Poll the status until the open rollout ends (or the timeout, or Ctrl-C)."""
    interval = max(MIN_INTERVAL_SECONDS, interval)
    status = fetch_status(client, name)
    rollout = status.get("rollout")
    if not rollout:
        ui.say(
            f"{name} has no rollout in progress: {status.get('activeVersion') or 'nothing'} "
            "serves everyone"
        )
        return EXIT_OK
    deployment_id = rollout["id"]
    deadline = time.monotonic() + timeout_minutes * 60
    try:
        with _progress(ui, f"{name} {deployment_id}") as show:
            while status.get("rollout") and status["rollout"].get("id") == deployment_id:
                show(status)
                if time.monotonic() >= deadline:
                    raise CliError(
                        f"{deployment_id} is still open after {timeout_minutes:g} minutes; "
                        f"it goes on (naap-plugin status {name} --watch)"
                    )
                time.sleep(interval)
                status = fetch_status(client, name)
    except KeyboardInterrupt:
        ui.say("stopped watching; the rollout goes on")
        return EXIT_OK
    code, line = _outcome(client, name, deployment_id)
    ui.say(f"{deployment_id} {line}", style="green" if code == EXIT_OK else "red")
    return code


def command_status_watch(args: argparse.Namespace, ui: Ui, name: str) -> int:
    client = make_client(args, ui, token_required=True)
    if args.json:
        ui.emit_json(fetch_status(client, name))
        return EXIT_OK
    return watch(client, name, ui, interval=args.interval, timeout_minutes=args.timeout)


# ---------------------------------------------------------------------------------------------
# rollback without a version


def command_rollback_protocol(args: argparse.Namespace, ui: Ui, name: str) -> int:
    """Abort the open rollout, or serve the previous version."""
    client = make_client(args, ui, token_required=True)
    payload = {"reason": args.reason or DEFAULT_ROLLBACK_REASON}
    try:
        with ui.spinner(f"asking {client.base_url}"):
            data = client.post_json(api_path("plugins", name, "deployment", "rollback"), payload)
    except ApiError as error:
        raise refusal(error, subject=name) from None
    data = data.data if isinstance(data.data, dict) else {}
    if args.json:
        ui.emit_json(data)
        return EXIT_OK
    if data.get("abortedRolloutId"):
        ui.say(
            f"aborted the rollout of {data.get('previousVersion')}: {name} serves "
            f"{data.get('version')} to everyone again",
            style="green",
        )
    else:
        ui.say(
            f"{name} now serves {data.get('version')} (was {data.get('previousVersion')})",
            style="green",
        )
    return EXIT_OK


def describe_status(name: str, deployment: Any, listing: Any, ui: Ui) -> None:
    """What `naap-plugin status` prints: the deployment, recent events and the versions."""
    deployment = deployment if isinstance(deployment, dict) else {}
    listing = listing if isinstance(listing, dict) else {}
    plugin = listing.get("plugin") if isinstance(listing.get("plugin"), dict) else {}
    current = deployment.get("deployment", deployment)
    current = current if isinstance(current, dict) else {}
    title = plugin.get("displayName") or name
    ui.say(f"{title} ({name})", style="bold")
    if plugin.get("deprecated"):
        ui.say(f"  deprecated: {plugin.get('deprecationMessage') or 'yes'}")
    ui.say(f"  active version: {current.get('version') or 'none'}")
    if current.get("canaryVersion"):
        ui.say(
            f"  canary: {current['canaryVersion']} for {current.get('canaryPercent', 0)}% of users"
        )
    if current.get("healthStatus"):
        ui.say(f"  health: {current['healthStatus']}")
    events = deployment.get("events") or deployment.get("recentEvents") or []
    if events:
        ui.say("recent events:")
        for event in events[:RECENT_EVENTS_SHOWN]:
            change = f"{event.get('fromVersion') or '-'} -> {event.get('toVersion') or '-'}"
            reason = f" ({event['reason']})" if event.get("reason") else ""
            actor = f" by {event['actor']}" if event.get("actor") else ""
            kind = event.get("kind") or event.get("type") or "event"
            ui.say(f"  {event.get('createdAt', '')}  {kind:<8} {change}{actor}{reason}")
    versions = listing.get("versions") or []
    ui.say(f"versions ({len(versions)}):")
    for version in versions:
        flags = [str(version.get("status", ""))]
        if version.get("deprecated"):
            flags.append("deprecated")
        if version.get("version") == current.get("version"):
            flags.append("active")
        published = version.get("publishedAt") or ""
        ui.say(f"  {version.get('version', '?'):<16} {', '.join(flags):<28} {published}")
