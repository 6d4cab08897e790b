"""Staged rollouts in the admin: the page per package (split, per-minute charts, timeline),
its buttons (each calls registry.rollouts and needs the rollback permission), and the
dashboard's list of rollouts in progress."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from naap.errors import Conflict
from registry import rollouts
from registry.field_reports import LOAD_MS_BUCKETS
from registry.models import (
    AuditEvent,
    DeploymentEvent,
    PluginDeployment,
    PluginVersion,
    PluginVersionMinute,
    Rollout,
)
from tests.factories import make_staff, make_user, publish, publish_with_candidates

pytestmark = pytest.mark.django_db
CHART = 'class="chart line-chart" role="img"'


@pytest.fixture
def operator():
    return make_staff(groups=["Operators"])


@pytest.fixture
def package():
    """my-wallet 1.0.0 deployed, 1.1.0 published without a deploy."""
    return publish_with_candidates("my-wallet", "1.1.0")


@pytest.fixture
def rollout(package, operator):
    return rollouts.start_rollout(
        actor=operator,
        package=package,
        version="1.1.0",
        initial_percent=10,
        increment_percent=25,
        interval_seconds=600,
        reason="new checkout",
    )


def page_url(package) -> str:
    return reverse("admin:registry_rollout_package", args=[package.pk])


def act_url(package, act: str) -> str:
    return reverse("admin:registry_rollout_act", args=[package.pk, act])


def state(package) -> tuple:
    """What any button would change: the rollout rows, the deployment, the events, the audit."""
    deployment = PluginDeployment.objects.get(package=package)
    return (
        tuple(Rollout.objects.order_by("pk").values_list("status", "percent", "next_step_at")),
        (deployment.version_id, deployment.canary_version_id, deployment.canary_percent),
        DeploymentEvent.objects.count(),
        AuditEvent.objects.count(),
    )


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def minute_row(version, minute, *, loads, mounted, failed_mount=0, buckets=None):
    return PluginVersionMinute.objects.create(
        version=version,
        minute=minute,
        loads=loads,
        mounted=mounted,
        failed_mount=failed_mount,
        load_ms_sum=mounted * 120,
        load_ms_buckets=buckets or [],
    )


# --- the page ---------------------------------------------------------------------------------


def test_the_page_shows_the_split_the_charts_and_the_timeline(client, package, rollout, operator):
    now = timezone.now().replace(second=0, microsecond=0)
    # Started ten minutes ago: the chart covers its minutes since.
    Rollout.objects.filter(pk=rollout.pk).update(created_at=now - dt.timedelta(minutes=10))
    stable = PluginVersion.objects.get(package=package, version="1.0.0")
    candidate = rollout.candidate
    # The candidate: 20 loads, 18 mounted, 2 failed; its 95th percentile in the 300 ms bucket.
    buckets = [0] * (len(LOAD_MS_BUCKETS) + 1)
    buckets[1], buckets[3] = 16, 2
    minute_row(
        candidate,
        now - dt.timedelta(minutes=1),
        loads=20,
        mounted=18,
        failed_mount=2,
        buckets=buckets,
    )
    minute_row(stable, now - dt.timedelta(minutes=1), loads=40, mounted=40, buckets=[40])
    minute_row(stable, now, loads=10, mounted=10, buckets=[10])
    client.force_login(operator)

    response = client.get(page_url(package))

    assert response.status_code == 200
    body = response.content.decode()
    split = re.search(r'<p id="naap-split">(.*?)</p>', body, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", split).split() == [
        "90",
        "%",
        "on",
        "stable",
        "1.0.0,",
        "10",
        "%",
        "on",
        "candidate",
        "1.1.0",
    ]
    assert body.count(CHART) == 3
    for title in ("Loads per minute", "Success rate per minute", "p95 load time per minute"):
        assert f">{title}: My Wallet (my-wallet)</title>" in body
    assert 'role="img" aria-labelledby="rollout-' in body
    # Per-minute points: the candidate's loads, success rate and p95, the stable version's.
    assert f"candidate 1.1.0 at {now - dt.timedelta(minutes=1):%H:%M}: 20</title>" in body
    assert f"candidate 1.1.0 at {now - dt.timedelta(minutes=1):%H:%M}: 90%</title>" in body
    assert f"candidate 1.1.0 at {now - dt.timedelta(minutes=1):%H:%M}: 300 ms</title>" in body
    assert f"stable 1.0.0 at {now:%H:%M}: 100%</title>" in body
    assert f"stable 1.0.0 at {now:%H:%M}: 50 ms</title>" in body
    totals = re.search(r'<table id="naap-field-totals">(.*?)</table>', body, re.S).group(1)
    cells = [
        re.sub(r"\s+", " ", cell).strip()
        for cell in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", totals, re.S)
    ]
    assert cells[4:] == [
        "stable 1.0.0",
        "50",
        "100 %",
        "≤ 50 ms",
        "candidate 1.1.0",
        "20",
        "90 %",
        "≤ 300 ms",
    ]
    timeline = re.search(r'<table id="naap-timeline">(.*?)</table>', body, re.S).group(1)
    assert "Canary" in timeline and "0 % → 10 %" in timeline
    assert "1.0.0 → 1.1.0" in timeline
    assert operator.username in timeline and "new checkout" in timeline
    assert "advance to 35 %" in body
    # The gate judges the current step's window (since the start, this minute): no loads yet.
    assert 'id="naap-verdict">wait: 0 of 20 loads needed' in body
    for act in ("advance", "promote", "pause", "abort"):
        assert f'action="{act_url(package, act)}"' in body
    assert f'action="{act_url(package, "resume")}"' not in body
    assert 'name="csrfmiddlewaretoken"' in body


def test_chart_titles_and_series_names_are_escaped(client, package, rollout):
    package.display_name = '<script>alert("x")</script>'
    package.save()
    client.force_login(make_user("root", staff=True))
    body = client.get(page_url(package)).content.decode()
    assert "<script>alert" not in body
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; (my-wallet)</title>" in body


def test_the_page_reads_a_fixed_number_of_queries(
    client, package, rollout, operator, django_assert_max_num_queries
):
    for step in range(6):
        rollouts.pause_rollout(actor=operator, package=package, reason=f"hold {step}")
        rollouts.resume_rollout(actor=operator, package=package, reason=f"go {step}")
    client.force_login(operator)
    with django_assert_max_num_queries(10):
        body = client.get(page_url(package)).content.decode()
    assert body.count("hold ") == 6 and body.count("go ") >= 6


def test_a_package_never_rolled_out_has_a_page_that_says_so(client, package, operator):
    client.force_login(operator)
    response = client.get(page_url(package))
    assert response.status_code == 200
    assert "has never been rolled out in stages" in response.content.decode()


def test_a_closed_rollout_shows_its_end_and_no_buttons(client, package, rollout, operator):
    rollouts.abort_rollout(actor=operator, package=package, reason="checkout broken")
    rollout.refresh_from_db()
    ended = rollout.ended_at.replace(second=0, microsecond=0)
    minute_row(rollout.candidate, ended, loads=7, mounted=7)
    minute_row(rollout.candidate, ended + dt.timedelta(minutes=3), loads=500, mounted=500)
    client.force_login(operator)
    body = client.get(page_url(package)).content.decode()
    assert "Ended" in body and "checkout broken" in body
    # Its charts and totals stop at its end: later reports are another story.
    totals = re.search(r'<table id="naap-field-totals">(.*?)</table>', body, re.S).group(1)
    assert "<td>7</td>" in totals and "500" not in totals
    assert f"candidate 1.1.0 at {ended:%H:%M}: 7</title>" in body
    assert '<form method="post"' not in body
    assert body.count(CHART) == 3
    # The list links each rollout to its own page.
    listing = client.get(reverse("admin:registry_rollout_changelist")).content.decode()
    own = reverse("admin:registry_rollout_change", args=[rollout.pk])
    assert own in listing
    assert client.get(own).status_code == 200


def test_viewers_see_the_page_without_buttons_and_get_never_changes_anything(
    client, package, rollout
):
    client.force_login(make_staff(groups=["Moderators"]))  # they view deployments
    before = state(package)
    response = client.get(page_url(package))
    assert response.status_code == 200
    assert CHART in response.content.decode()
    assert 'name="reason"' not in response.content.decode()
    for act in ("advance", "promote", "pause", "resume", "abort"):
        assert client.get(act_url(package, act)).status_code == 405
    assert state(package) == before


def test_staff_without_any_view_access_get_403(client, package, rollout):
    client.force_login(make_staff())
    assert client.get(page_url(package)).status_code == 403


# --- the buttons ------------------------------------------------------------------------------


def paused(package, operator):
    rollouts.pause_rollout(actor=operator, package=package)


# act → (what to do before, the rollout's status, percent after, the event's kind)
BUTTONS = {
    "advance": (None, "running", 35, "advance"),
    "promote": (None, "promoted", 100, "promote"),
    "pause": (None, "paused", 10, "pause"),
    "resume": (paused, "running", 10, "resume"),
    "abort": (None, "aborted", 0, "abort"),
}


@pytest.mark.parametrize("act", sorted(BUTTONS))
def test_each_button_moves_the_rollout_and_records_who_and_why(
    client, package, rollout, operator, act
):
    before_act, status, percent, kind = BUTTONS[act]
    if before_act:
        before_act(package, operator)
    client.force_login(operator)
    response = client.post(
        act_url(package, act), {"rollout": rollout.pk, "reason": f"{act} it"}, follow=True
    )
    assert response.redirect_chain == [(page_url(package), 302)]
    rollout.refresh_from_db()
    assert (rollout.status, rollout.percent) == (status, percent)
    event = DeploymentEvent.objects.order_by("-id").first()
    assert (event.kind, event.actor, event.reason, event.rollout) == (
        kind,
        operator,
        f"{act} it",
        rollout,
    )
    assert AuditEvent.objects.order_by("-id").first().actor == operator
    [message] = messages_of(response)
    done = {"advance": "Advanced", "promote": "Promoted", "pause": "Paused", "resume": "Resumed"}
    assert message.startswith(f"{done.get(act, 'Aborted')}: my-wallet 1.1.0 is {status}")
    deployment = PluginDeployment.objects.get(package=package)
    if act == "promote":
        assert deployment.version == rollout.candidate and deployment.canary_version is None
    elif act == "abort":
        assert deployment.version.version == "1.0.0" and deployment.canary_percent == 0
    else:
        assert deployment.canary_percent == percent


@pytest.mark.parametrize("act", sorted(BUTTONS))
def test_every_button_is_refused_without_the_rollback_permission(client, package, rollout, act):
    before = state(package)
    data = {"rollout": rollout.pk, "reason": "because"}
    client.force_login(make_staff(view_only=True))
    assert client.post(act_url(package, act), data).status_code == 403
    client.force_login(make_staff(groups=["Moderators"]))
    assert client.post(act_url(package, act), data).status_code == 403
    # Not staff, or not signed in: the admin sends them to its sign-in page.
    client.force_login(make_user())
    response = client.post(act_url(package, act), data)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    client.logout()
    response = client.post(act_url(package, act), data)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    assert state(package) == before


def test_abort_needs_a_reason_and_reasons_are_bounded(client, package, rollout, operator):
    client.force_login(operator)
    before = state(package)
    response = client.post(act_url(package, "abort"), {"rollout": rollout.pk}, follow=True)
    assert messages_of(response) == ["Say why."]
    too_long = "x" * (rollouts.MAX_REASON_LENGTH + 1)
    for act in ("advance", "abort"):
        response = client.post(
            act_url(package, act), {"rollout": rollout.pk, "reason": too_long}, follow=True
        )
        [message] = messages_of(response)
        assert message.startswith("reason: Ensure this value has at most 1000 characters")
    assert state(package) == before
    longest = "y" * rollouts.MAX_REASON_LENGTH
    client.post(act_url(package, "abort"), {"rollout": rollout.pk, "reason": longest})
    rollout.refresh_from_db()
    assert (rollout.status, rollout.end_reason) == ("aborted", longest)


def test_domain_refusals_become_messages_not_errors(client, package, rollout, operator):
    client.force_login(operator)
    paused(package, operator)
    before = state(package)
    response = client.post(act_url(package, "advance"), {"rollout": rollout.pk}, follow=True)
    assert response.status_code == 200
    assert messages_of(response) == ["The rollout is paused; resume it before advancing it."]
    response = client.post(act_url(package, "pause"), {"rollout": rollout.pk}, follow=True)
    assert messages_of(response) == ["The rollout is already paused."]
    assert state(package) == before


def test_a_button_from_a_stale_page_does_nothing(client, package, rollout, operator):
    client.force_login(operator)
    rollouts.abort_rollout(actor=operator, package=package, reason="by the gate")
    newer = rollouts.start_rollout(
        actor=operator,
        package=package,
        version="1.1.0",
        initial_percent=5,
        increment_percent=5,
        interval_seconds=60,
    )
    before = state(package)
    for data in ({"rollout": rollout.pk}, {}, {"rollout": "x"}):
        response = client.post(act_url(package, "advance"), data, follow=True)
        [message] = messages_of(response)
        assert message == rollouts.STALE_ROLLOUT or message.startswith("rollout:")
    assert state(package) == before
    newer.refresh_from_db()
    assert newer.percent == 5


@pytest.mark.parametrize("act", ["advance", "promote", "pause", "abort"])
def test_the_rollout_acted_on_is_checked_under_the_services_lock(package, rollout, operator, act):
    """The page's rollout id goes to the service, which compares it with the open rollout
    once that is locked: a rollout opened in between (after the page's check, before the act)
    is never the one changed."""
    rollouts.abort_rollout(actor=operator, package=package, reason="by the gate")
    newer = rollouts.start_rollout(
        actor=operator,
        package=package,
        version="1.1.0",
        initial_percent=5,
        increment_percent=5,
        interval_seconds=60,
    )
    before = state(package)
    service = getattr(rollouts, f"{act}_rollout")
    with pytest.raises(Conflict) as refused:
        service(actor=operator, package=package, reason="r", rollout_id=rollout.pk)
    assert refused.value.message == rollouts.STALE_ROLLOUT
    assert state(package) == before
    service(actor=operator, package=package, reason="r", rollout_id=newer.pk)
    assert state(package) != before


def test_an_unknown_act_or_package_is_not_found(client, package, rollout, operator):
    client.force_login(operator)
    before = state(package)
    assert client.post(act_url(package, "delete"), {"rollout": rollout.pk}).status_code == 404
    missing = reverse("admin:registry_rollout_act", args=[package.pk + 999, "abort"])
    assert client.post(missing, {"rollout": rollout.pk, "reason": "x"}).status_code == 404
    assert state(package) == before


# --- the dashboard ----------------------------------------------------------------------------


def test_the_dashboard_lists_running_and_paused_rollouts_only(client, package, rollout, operator):
    others = {}
    for name in ("chat-room", "node-metrics", "old-thing"):
        first = publish(name, "1.0.0")
        publish(
            name,
            "2.0.0",
            actor=first.version.published_by,
            publisher=first.package.publisher,
            deploy=False,
        )
        others[name] = first.package
        rollouts.start_rollout(
            actor=operator,
            package=first.package,
            version="2.0.0",
            initial_percent=20,
            increment_percent=50,
            interval_seconds=60,
        )
    rollouts.pause_rollout(actor=operator, package=others["chat-room"])
    rollouts.abort_rollout(actor=operator, package=others["old-thing"], reason="no")
    rollouts.promote_rollout(actor=operator, package=others["node-metrics"])

    client.force_login(operator)
    body = client.get(reverse("admin:index")).content.decode()
    table = re.search(r'<table id="naap-rollouts">(.*?)</table>', body, re.S).group(1)
    rows = [
        [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)
    ]
    assert rows[1:] == [
        ["chat-room", "2.0.0", "1.0.0", "20 %", "paused: no step until it is resumed"],
        [
            "my-wallet",
            "1.1.0",
            "1.0.0",
            "10 %",
            f"advance to 35 % at {rollout.next_step_at:%Y-%m-%d %H:%M} UTC, if healthy",
        ],
    ]
    assert page_url(package) in table and page_url(others["chat-room"]) in table
    assert "old-thing" not in table and "node-metrics" not in table


def test_the_dashboard_says_when_nothing_is_in_progress(client, package):
    client.force_login(make_user("root", staff=True))
    assert "No rollout is running or paused." in client.get(reverse("admin:index")).content.decode()


def test_the_deployment_links_to_its_rollout_page(client, package, rollout, operator):
    deployment = PluginDeployment.objects.get(package=package)
    client.force_login(operator)
    page = client.get(reverse("admin:registry_plugindeployment_change", args=[deployment.pk]))
    assert f'href="{page_url(package)}"' in page.content.decode()
