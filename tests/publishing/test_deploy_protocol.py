"""Upstream NaaP's deploy protocol (publishing/api/deploy_views.py): the bodies its CLI
(packages/plugin-sdk/cli/commands/deploy.ts, status.ts, rollback.ts) sends, and the answers it
parses, for each strategy; the event stream with ?after=; status; rollback; who may."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import unquote

import pytest
from django.utils import timezone

from registry.audit import AuditAction
from registry.field_reports import LOAD_MS_BUCKETS
from registry.models import (
    AuditEvent,
    DeploymentEvent,
    PluginDeployment,
    PluginVersion,
    PluginVersionMinute,
    Rollout,
)
from tests.factories import make_publisher, make_user, publish, publish_with_candidates
from tests.publishing.helpers import bearer, token_for

pytestmark = pytest.mark.django_db
API = "/api/v1/plugins/my-wallet"


def upstream_body(version="1.1.0", strategy="canary", *, auto_rollback=True, **canary):
    """Exactly what upstream's `naap-plugin deploy` sends (its defaults: 5 %, +25 %, 5 min)."""
    steps = {"initialPercent": 5, "incrementPercent": 25, "intervalSeconds": 300}
    steps.update(canary)
    return {
        "version": version,
        "strategy": {
            "type": strategy,
            **({"canary": {**steps, "successThreshold": 0.95}} if strategy == "canary" else {}),
            "healthCheck": {
                "endpoint": "/healthz",
                "intervalSeconds": 10,
                "timeoutSeconds": 5,
                "unhealthyThreshold": 3,
            },
            "rollback": {
                "onErrorRate": 0.05,
                "onLatencyP99": 5000,
                "onHealthCheckFail": auto_rollback,
            },
        },
    }


@pytest.fixture
def owner():
    return make_user("ada")


@pytest.fixture
def package(owner):
    """my-wallet 1.0.0 deployed; 1.1.0 and 1.2.0 published without a deploy."""
    publisher = make_publisher("ada-labs", owner=owner)
    return publish_with_candidates("my-wallet", "1.1.0", "1.2.0", actor=owner, publisher=publisher)


@pytest.fixture
def deploy_token(owner, package):
    return token_for(package.publisher, scopes=("deploy",), user=owner)[3]


def post(client, path, body, secret=None):
    headers = bearer(secret) if secret else {}
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


def get(client, path, secret=None):
    return client.get(path, **(bearer(secret) if secret else {}))


def served(package) -> tuple[str, str | None, int]:
    deployment = PluginDeployment.objects.select_related("version", "canary_version").get(
        package=package
    )
    canary = deployment.canary_version.version if deployment.canary_version else None
    return deployment.version.version, canary, deployment.canary_percent


def snapshot(package):
    return (
        served(package),
        DeploymentEvent.objects.count(),
        Rollout.objects.count(),
        AuditEvent.objects.count(),
    )


# ---------------------------------------------------------------------------------------------
# deploy, each strategy


def test_a_canary_deploy_answers_upstreams_fields_and_starts_a_rollout(
    client, package, deploy_token
):
    answer = post(client, f"{API}/deploy", upstream_body(), deploy_token)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    rollout = Rollout.objects.get()
    # Upstream's CLI destructures the bare answer: `const { deploymentId, streamUrl } = ...`.
    assert body["deploymentId"] == f"rollout-{rollout.pk}"
    assert body["streamUrl"] == (f"http://testserver{API}/deployments/rollout-{rollout.pk}/events")
    assert (body["strategy"], body["version"], body["status"]) == ("canary", "1.1.0", "running")
    assert served(package) == ("1.0.0", "1.1.0", 5)
    assert (rollout.increment_percent, rollout.interval_seconds) == (25, 300)
    assert (rollout.success_threshold, rollout.error_rate_limit) == (0.95, 0.05)
    assert rollout.latency_p99_limit_ms == 5000
    assert AuditEvent.objects.order_by("-id").first().action == AuditAction.ROLLOUT_START


def test_no_auto_rollback_lifts_the_rollouts_own_limits(client, package, deploy_token):
    body = upstream_body(auto_rollback=False)
    assert post(client, f"{API}/deploy", body, deploy_token).status_code == 201
    rollout = Rollout.objects.get()
    assert rollout.error_rate_limit == 1.0
    assert rollout.latency_p99_limit_ms == 600_000


@pytest.mark.parametrize("strategy", ["immediate", "blue-green"])
def test_immediate_and_blue_green_move_everyone_at_once(client, package, deploy_token, strategy):
    answer = post(client, f"{API}/deploy", upstream_body("1.2.0", strategy), deploy_token)
    assert answer.status_code == 201, answer.content
    body = answer.json()
    event = DeploymentEvent.objects.get(kind="deploy", to_version__version="1.2.0")
    assert body["deploymentId"] == f"deploy-{event.pk}"
    assert body["status"] == "complete"
    assert served(package) == ("1.2.0", None, 0)
    assert AuditEvent.objects.order_by("-id").first().action == AuditAction.DEPLOYMENT_DEPLOY
    events = get(client, body["streamUrl"].removeprefix("http://testserver"), deploy_token).json()
    assert [e["type"] for e in events] == ["deploy_start", "traffic_shift", "deploy_complete"]
    assert events[1]["trafficPercent"] == 100
    assert events[2]["version"] == "1.2.0"


def test_a_deploy_of_another_version_supersedes_the_open_rollout(client, package, deploy_token):
    first = post(client, f"{API}/deploy", upstream_body("1.1.0"), deploy_token).json()
    second = post(client, f"{API}/deploy", upstream_body("1.2.0"), deploy_token)
    assert second.status_code == 201, second.content
    old, new = Rollout.objects.order_by("id")
    assert (old.status, new.status) == ("superseded", "running")
    assert served(package) == ("1.0.0", "1.2.0", 5)
    events = get(client, first["streamUrl"], deploy_token).json()
    assert events[-1]["type"] == "failure"
    assert "superseded by a rollout of 1.2.0" in events[-1]["error"]
    # An immediate deploy supersedes it too.
    third = post(client, f"{API}/deploy", upstream_body("1.1.0", "immediate"), deploy_token)
    assert third.status_code == 201
    assert Rollout.objects.get(pk=new.pk).status == "superseded"
    assert served(package) == ("1.1.0", None, 0)


def test_the_same_canary_twice_is_a_conflict_and_changes_nothing(client, package, deploy_token):
    post(client, f"{API}/deploy", upstream_body(), deploy_token)
    before = snapshot(package)
    again = post(client, f"{API}/deploy", upstream_body(), deploy_token)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "CONFLICT"
    # Upstream's CLI reads `message` at the top of an error answer.
    assert again.json()["message"] == again.json()["error"]["message"]
    assert snapshot(package) == before


# ---------------------------------------------------------------------------------------------
# bad input: a 400 or 409 naming the field, nothing changed


def bad(body_change):
    body = upstream_body()
    body_change(body)
    return body


BAD_BODIES = [
    (bad(lambda b: b.update(version="9.9.9")), 404, "version"),
    (bad(lambda b: b["strategy"].update(type="rolling")), 400, "strategy.type"),
    (
        bad(lambda b: b["strategy"]["canary"].update(initialPercent=0)),
        400,
        "strategy.canary.initialPercent",
    ),
    (
        bad(lambda b: b["strategy"]["canary"].update(initialPercent=100)),
        400,
        "strategy.canary.initialPercent",
    ),
    (
        bad(lambda b: b["strategy"]["canary"].update(incrementPercent=101)),
        400,
        "strategy.canary.incrementPercent",
    ),
    (
        bad(lambda b: b["strategy"]["canary"].update(intervalSeconds=-60)),
        400,
        "strategy.canary.intervalSeconds",
    ),
    (
        bad(lambda b: b["strategy"]["canary"].update(successThreshold=1.5)),
        400,
        "strategy.canary.successThreshold",
    ),
    (
        bad(lambda b: b["strategy"]["canary"].update(initialPercent=None)),
        400,
        "strategy.canary.initialPercent",
    ),
    (
        bad(lambda b: b["strategy"]["rollback"].update(onErrorRate=2)),
        400,
        "strategy.rollback.onErrorRate",
    ),
    (bad(lambda b: b.update(version="x" * 65)), 400, "version"),
    (bad(lambda b: b.update(reason="x" * 1001)), 400, "reason"),
    (bad(lambda b: b.pop("strategy")), 400, "strategy"),
    (bad(lambda b: b.update(version="1.0.0")), 409, "version"),
]


@pytest.mark.parametrize(("body", "status", "field"), BAD_BODIES)
def test_bad_deploys_name_the_field_and_change_nothing(
    client, package, deploy_token, body, status, field
):
    before = snapshot(package)
    answer = post(client, f"{API}/deploy", body, deploy_token)
    assert answer.status_code == status, answer.content
    error = answer.json()["error"]
    assert field in (error.get("details", {}).get("fields") or {}), error
    assert snapshot(package) == before


def test_a_yanked_version_is_refused(client, package, deploy_token, owner):
    from publishing.services import yank_version

    yank_version(actor=owner, version=PluginVersion.objects.get(version="1.2.0"), reason="bad")
    before = snapshot(package)
    for strategy in ("canary", "immediate"):
        answer = post(client, f"{API}/deploy", upstream_body("1.2.0", strategy), deploy_token)
        assert answer.status_code == 409
        assert "yanked" in answer.json()["message"]
        assert "version" in answer.json()["error"]["details"]["fields"]
    assert snapshot(package) == before


# ---------------------------------------------------------------------------------------------
# the stream


def test_the_stream_names_each_step_and_after_returns_only_later_ones(
    client, package, deploy_token, owner
):
    from registry import rollouts

    started = post(client, f"{API}/deploy", upstream_body(), deploy_token).json()
    stream = started["streamUrl"]
    first = get(client, stream, deploy_token).json()
    assert [e["type"] for e in first] == ["deploy_start", "traffic_shift"]
    assert first[1]["trafficPercent"] == 5
    assert first[1]["version"] == "1.1.0"

    rollouts.advance_rollout(actor=None, package=package, reason="success 100% >= 95%")
    rollouts.pause_rollout(actor=owner, package=package)
    rollouts.resume_rollout(actor=owner, package=package)
    later = get(client, f"{stream}?after={first[-1]['timestamp']}", deploy_token).json()
    assert [(e["type"], e["status"], e["trafficPercent"]) for e in later] == [
        ("health_check", "success", 5),
        ("traffic_shift", "in_progress", 30),
        ("traffic_shift", "paused", 30),
        ("traffic_shift", "in_progress", 30),
    ]
    assert later[0]["message"] == "success 100% >= 95%"
    rollouts.promote_rollout(actor=owner, package=package)
    last = get(client, f"{stream}?after={later[-1]['timestamp']}", deploy_token).json()
    assert [e["type"] for e in last] == ["traffic_shift", "deploy_complete"]
    assert last[-1]["version"] == "1.1.0"
    assert get(client, f"{stream}?after={last[-1]['timestamp']}", deploy_token).json() == []


def test_an_automatic_abort_is_a_failed_health_check_then_a_rollback(client, package, deploy_token):
    from registry import rollouts

    stream = post(client, f"{API}/deploy", upstream_body(), deploy_token).json()["streamUrl"]
    rollouts.abort_rollout(actor=None, package=package, reason="error rate 20% above 5%")
    events = get(client, stream, deploy_token).json()
    assert [(e["type"], e["status"]) for e in events[2:]] == [
        ("health_check", "failure"),
        ("rollback", "success"),
    ]
    assert events[-1]["version"] == "1.0.0"
    assert events[-1]["error"] == "error rate 20% above 5%"


@pytest.mark.parametrize(
    "after",
    [
        "yesterday",
        "2026-13-40T00:00:00Z",
        "x" * 100,
        # Valid where written, outside the years 1 to 9999 in UTC.
        "0001-01-01T00:00:00%2B01:00",
        "9999-12-31T23:59:59-01:00",
    ],
)
def test_a_bad_after_is_a_400_naming_it(client, package, deploy_token, after):
    stream = post(client, f"{API}/deploy", upstream_body(), deploy_token).json()["streamUrl"]
    answer = get(client, f"{stream}?after={after}", deploy_token)
    assert answer.status_code == 400
    assert "after" in answer.json()["error"]["details"]["fields"]


@pytest.mark.parametrize(
    "deployment_id",
    # %C2%B2 is "²": a digit to str.isdigit(), not to int().
    ["rollout-999", "deploy-1x", "nonsense", "deploy-999", "deploy-%C2%B2", "rollout-%C2%B2"],
)
def test_an_unknown_deployment_is_a_404(client, package, deploy_token, deployment_id):
    answer = get(client, f"{API}/deployments/{deployment_id}/events", deploy_token)
    assert answer.status_code == 404
    assert answer.json()["error"]["details"]["fields"] == {
        "deploymentId": f"No deployment {unquote(deployment_id)} of plugin 'my-wallet'."
    }


def test_another_packages_rollout_is_not_in_this_packages_stream(client, package, deploy_token):
    other = publish("other-tool", "1.0.0", marker="o")
    publish(
        "other-tool",
        "1.1.0",
        actor=other.version.published_by,
        publisher=other.package.publisher,
        deploy=False,
    )
    from registry import rollouts

    foreign = rollouts.start_rollout(
        actor=other.version.published_by,
        package=other.package,
        version="1.1.0",
        initial_percent=5,
        increment_percent=5,
        interval_seconds=60,
    )
    answer = get(client, f"{API}/deployments/rollout-{foreign.pk}/events", deploy_token)
    assert answer.status_code == 404


# ---------------------------------------------------------------------------------------------
# status


def report(version: str, *, loads: int, failed_mount: int = 0) -> None:
    mounted = loads - failed_mount
    buckets = [0] * (len(LOAD_MS_BUCKETS) + 1)
    buckets[0] = mounted
    PluginVersionMinute.objects.create(
        version=PluginVersion.objects.get(package__name="my-wallet", version=version),
        minute=timezone.now().replace(second=0, microsecond=0),
        loads=loads,
        mounted=mounted,
        failed_mount=failed_mount,
        load_ms_sum=mounted * 50,
        load_ms_buckets=buckets,
    )


def test_status_during_a_rollout_has_the_split_and_both_versions_health(
    client, package, deploy_token
):
    post(client, f"{API}/deploy", upstream_body(initialPercent=20), deploy_token)
    report("1.0.0", loads=100)
    report("1.1.0", loads=40, failed_mount=4)
    status = get(client, f"{API}/deployment/status", deploy_token).json()
    assert status["activeVersion"] == "1.0.0"
    assert status["activeSlot"] == "stable"
    assert (status["strategy"], status["candidateVersion"]) == ("canary", "1.1.0")
    assert status["isDeploying"] is True
    assert status["traffic"] == {"stable": 80, "candidate": 20}
    stable, canary = status["slots"]
    assert (stable["slot"], stable["version"], stable["trafficPercent"]) == ("stable", "1.0.0", 80)
    assert (canary["slot"], canary["version"], canary["trafficPercent"]) == ("canary", "1.1.0", 20)
    assert canary["status"] == "deploying"
    assert (stable["healthStatus"], canary["healthStatus"]) == ("healthy", "unhealthy")
    assert status["health"]["stable"]["successRate"] == 1.0
    assert status["health"]["candidate"]["successRate"] == 0.9
    assert status["health"]["candidate"]["errorRate"] == 0.1
    assert status["rollout"]["policy"]["successThreshold"] == 0.95
    # What upstream's status.ts prints.
    assert status["metrics"]["requestCount"] == 100
    assert status["metrics"]["errorCount"] == 0
    assert status["metrics"]["latencyP50"] is not None
    # 10 % of the candidate's 40 loads failed: above the policy's 5 %, and the stable version's
    # 0 % (test_deploy_alerts.py).
    assert [alert["name"] for alert in status["activeAlerts"]] == [
        "Candidate error rate above limit",
        "Candidate worse than stable",
    ]


def test_status_without_a_rollout_offers_the_previous_version(client, package, deploy_token):
    post(client, f"{API}/deploy", upstream_body("1.2.0", "immediate"), deploy_token)
    status = get(client, f"{API}/deployment/status", deploy_token).json()
    assert status["strategy"] == "immediate"
    assert status["rollout"] is None
    assert [(s["slot"], s["version"], s["trafficPercent"]) for s in status["slots"]] == [
        ("stable", "1.2.0", 100),
        ("previous", "1.0.0", 0),
    ]
    assert status["deploymentId"].startswith("deploy-")


def test_status_metrics_are_numbers_even_without_loads(client, package, deploy_token):
    """Upstream's CLI prints `p50=${latencyP50}ms`: a null would print "p50=nullms"."""
    status = get(client, f"{API}/deployment/status", deploy_token).json()
    assert status["metrics"] == {
        "requestCount": 0,
        "errorCount": 0,
        "errorRate": 0,
        "latencyP50": 0,
        "latencyP95": 0,
        "latencyP99": 0,
        "activeUsers": 0,
    }
    assert status["health"]["stable"]["latencyP50"] is None


# ---------------------------------------------------------------------------------------------
# rollback


def test_rollback_aborts_the_open_rollout(client, package, deploy_token):
    post(client, f"{API}/deploy", upstream_body(), deploy_token)
    # Upstream's rollback.ts body: targetVersion (undefined: left out) and a reason.
    answer = post(
        client, f"{API}/deployment/rollback", {"reason": "Manual rollback via CLI"}, deploy_token
    )
    assert answer.status_code == 200, answer.content
    body = answer.json()
    assert body["success"] is True
    assert (body["rolledBackTo"], body["version"], body["previousVersion"]) == (
        "stable",
        "1.0.0",
        "1.1.0",
    )
    assert Rollout.objects.get().status == "aborted"
    assert served(package) == ("1.0.0", None, 0)


def test_rollback_without_a_rollout_goes_to_the_previous_version(client, package, deploy_token):
    post(client, f"{API}/deploy", upstream_body("1.2.0", "immediate"), deploy_token)
    answer = post(client, f"{API}/deployment/rollback", {"reason": "1.2.0 crashes"}, deploy_token)
    assert answer.status_code == 200, answer.content
    assert (answer.json()["version"], answer.json()["previousVersion"]) == ("1.0.0", "1.2.0")
    assert served(package) == ("1.0.0", None, 0)
    assert AuditEvent.objects.order_by("-id").first().action == AuditAction.DEPLOYMENT_ROLLBACK


@pytest.mark.parametrize("field", ["version", "targetVersion"])
def test_rollback_to_a_named_version(client, package, deploy_token, field):
    answer = post(
        client,
        f"{API}/deployment/rollback",
        {field: "1.1.0", "reason": "forward to 1.1.0"},
        deploy_token,
    )
    assert answer.status_code == 200, answer.content
    assert served(package) == ("1.1.0", None, 0)


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"reason": "   "}, 400, "reason"),
        ({"reason": "x" * 1001}, 400, "reason"),
        ({}, 400, "reason"),
        ({"version": "9.9.9", "reason": "r"}, 404, "version"),
        ({"version": "1.0.0", "reason": "r"}, 409, "version"),
        ({"version": "1.1.0", "targetVersion": "1.2.0", "reason": "r"}, 400, "targetVersion"),
    ],
)
def test_bad_rollbacks_name_the_field_and_change_nothing(
    client, package, deploy_token, body, status, field
):
    before = snapshot(package)
    answer = post(client, f"{API}/deployment/rollback", body, deploy_token)
    assert answer.status_code == status, answer.content
    assert field in answer.json()["error"]["details"]["fields"]
    assert snapshot(package) == before


# ---------------------------------------------------------------------------------------------
# who may


def test_without_credentials_every_route_is_a_401(client, package):
    assert post(client, f"{API}/deploy", upstream_body()).status_code == 401
    assert post(client, f"{API}/deployment/rollback", {"reason": "r"}).status_code == 401
    assert get(client, f"{API}/deployment/status").status_code == 401


def test_a_read_token_reads_but_may_not_deploy_or_roll_back(client, package, owner):
    secret = token_for(package.publisher, scopes=("read",), user=owner)[3]
    before = snapshot(package)
    refused = post(client, f"{API}/deploy", upstream_body(), secret)
    assert refused.status_code == 403
    assert "lacks the 'deploy' scope" in refused.json()["message"]
    assert post(client, f"{API}/deployment/rollback", {"reason": "r"}, secret).status_code == 403
    assert snapshot(package) == before
    assert get(client, f"{API}/deployment/status", secret).status_code == 200


@pytest.mark.parametrize("scopes", [("publish",), ("admin",), ("deploy",)])
def test_publish_and_admin_imply_deploy(client, package, owner, scopes):
    secret = token_for(package.publisher, scopes=scopes, user=owner)[3]
    assert post(client, f"{API}/deploy", upstream_body(), secret).status_code == 201


def test_a_deploy_token_may_not_publish(client, package, deploy_token):
    from tests.publishing.helpers import publish_form

    answer = client.post(
        "/api/v1/plugins/publish", publish_form("my-wallet", "2.0.0"), **bearer(deploy_token)
    )
    assert answer.status_code == 403
    assert "lacks the 'publish' scope" in answer.json()["error"]["message"]


def test_another_publishers_member_and_token_are_refused(client, package):
    stranger = make_user("eve")
    eve_labs = make_publisher("eve-labs", owner=stranger)
    secret = token_for(eve_labs, scopes=("admin",), user=stranger)[3]
    before = snapshot(package)
    assert post(client, f"{API}/deploy", upstream_body(), secret).status_code == 403
    assert get(client, f"{API}/deployment/status", secret).status_code == 403
    client.force_login(stranger)
    assert post(client, f"{API}/deploy", upstream_body()).status_code == 403
    assert get(client, f"{API}/deployment/status").status_code == 403
    assert snapshot(package) == before


def test_members_and_staff_act_with_their_session(client, package, owner):
    client.force_login(owner)
    assert post(client, f"{API}/deploy", upstream_body()).status_code == 201
    plain_staff = make_user("clerk")
    plain_staff.is_staff = True
    plain_staff.save()
    client.force_login(plain_staff)
    # Staff without the rollback permission are refused; a superuser holds every one.
    refused = post(client, f"{API}/deployment/rollback", {"reason": "r"})
    assert refused.status_code == 403
    assert "rollback_plugindeployment" in refused.json()["message"]
    client.force_login(make_user("boss", staff=True))
    assert post(client, f"{API}/deployment/rollback", {"reason": "r"}).status_code == 200
    assert get(client, f"{API}/deployment/status").status_code == 200


def test_the_old_rollback_route_takes_a_deploy_token(client, package, deploy_token):
    answer = post(client, f"{API}/rollback", {"version": "1.1.0"}, deploy_token)
    assert answer.status_code == 200
    assert answer.json()["data"]["version"] == "1.1.0"


def test_the_stream_moments_are_utc_with_microseconds(client, package, deploy_token):
    stream = post(client, f"{API}/deploy", upstream_body(), deploy_token).json()["streamUrl"]
    [start, _] = get(client, stream, deploy_token).json()
    moment = dt.datetime.fromisoformat(start["timestamp"])
    assert start["timestamp"].endswith("Z") and moment.tzinfo is not None


# ---------------------------------------------------------------------------------------------
# a preview package: another publisher's token or member learns nothing of it


def answers_alike(hidden, missing) -> bool:
    """Same status, same body once the names are blanked out."""
    return hidden.status_code == missing.status_code and hidden.content.replace(
        b"my-wallet", b"X"
    ) == missing.content.replace(b"nothing-here", b"X")


@pytest.fixture
def preview(package, owner):
    from installs.testers import set_preview_testers

    set_preview_testers(actor=owner, name="my-wallet", preview=True, users=[], teams=[])
    return package


@pytest.fixture
def eve():
    return make_user("eve")


@pytest.fixture
def eve_labs(eve):
    return make_publisher("eve-labs", owner=eve)


READS = ["deployment/status", "deployments/deploy-1/events"]
WRITES = [
    ("deploy", upstream_body()),
    ("deployment/rollback", {"reason": "r"}),
    ("rollback", {"version": "1.1.0"}),
    ("versions/1.0.0/yank", {"reason": "r"}),
    ("versions/1.0.0/deprecate", {"message": "m"}),
]


@pytest.mark.parametrize("scopes", [("read",), ("admin",)])
def test_another_publishers_token_finds_no_preview(client, preview, eve, eve_labs, scopes):
    secret = token_for(eve_labs, scopes=scopes, user=eve)[3]
    before = snapshot(preview)
    for route in READS:
        hidden = get(client, f"{API}/{route}", secret)
        missing = get(client, f"/api/v1/plugins/nothing-here/{route}", secret)
        assert hidden.status_code == 404, (route, hidden.content)
        assert answers_alike(hidden, missing), route
    for route, body in WRITES:
        hidden = post(client, f"{API}/{route}", body, secret)
        missing = post(client, f"/api/v1/plugins/nothing-here/{route}", body, secret)
        assert hidden.status_code == 404, (route, hidden.content)
        assert answers_alike(hidden, missing), route
    assert snapshot(preview) == before


def test_another_publishers_member_finds_no_preview(client, preview, eve, eve_labs):
    client.force_login(eve)
    before = snapshot(preview)
    for route in READS:
        hidden = get(client, f"{API}/{route}")
        missing = get(client, f"/api/v1/plugins/nothing-here/{route}")
        assert hidden.status_code == 404, (route, hidden.content)
        assert answers_alike(hidden, missing), route
    for route, body in WRITES:
        hidden = post(client, f"{API}/{route}", body)
        missing = post(client, f"/api/v1/plugins/nothing-here/{route}", body)
        assert hidden.status_code == 404, (route, hidden.content)
        assert answers_alike(hidden, missing), route
    assert snapshot(preview) == before


def test_the_publishers_own_read_token_still_learns_what_it_lacks(client, preview, owner):
    secret = token_for(preview.publisher, scopes=("read",), user=owner)[3]
    refused = post(client, f"{API}/deploy", upstream_body(), secret)
    assert refused.status_code == 403
    assert "lacks the 'deploy' scope" in refused.json()["message"]
    assert get(client, f"{API}/deployment/status", secret).status_code == 200


def test_a_missing_or_hidden_plugin_is_not_found_in_the_words_naaps_cli_looks_for(
    client, preview, eve, eve_labs
):
    """Upstream's CLI prints its "publish it first" and "not deployed yet" hints when the
    message says "not found"."""
    secret = token_for(eve_labs, scopes=("admin",), user=eve)[3]
    answers = [
        *(get(client, f"{API}/{route}", secret) for route in READS),
        post(client, f"{API}/deploy", upstream_body(), secret),
        post(client, f"{API}/deployment/rollback", {"reason": "r"}, secret),
    ]
    for answer in answers:
        assert answer.status_code == 404
        body = answer.json()
        assert body["message"] == body["error"]["message"] == "Plugin 'my-wallet' not found."
        assert body["error"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    "route,body",
    [
        ("deploy", upstream_body("9.9.9")),
        ("deployment/rollback", {"version": "9.9.9", "reason": "r"}),
    ],
)
def test_a_missing_version_is_not_found_in_the_words_naaps_cli_looks_for(
    client, package, deploy_token, route, body
):
    answer = post(client, f"{API}/{route}", body, deploy_token)
    assert answer.status_code == 404
    message = "Version 9.9.9 of plugin 'my-wallet' not found."
    assert answer.json()["message"] == answer.json()["error"]["message"] == message
    assert answer.json()["error"]["details"]["fields"] == {"version": message}
