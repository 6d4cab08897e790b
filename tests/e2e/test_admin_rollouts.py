"""End to end in Chromium: staff advance, then abort, a staged rollout from its admin page."""

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from registry import rollouts
from registry.models import DeploymentEvent, PluginDeployment, PluginVersionMinute, Rollout
from tests.e2e.conftest import sign_in
from tests.factories import make_user, publish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_advance_then_abort_a_rollout_and_see_the_split_change(
    page, live_server, screenshot, tmp_path
):
    first = publish("my-wallet", "1.0.0")
    publish(
        "my-wallet",
        "1.1.0",
        actor=first.version.published_by,
        publisher=first.package.publisher,
        deploy=False,
    )
    root = make_user("root", staff=True)
    rollouts.start_rollout(
        actor=root,
        package=first.package,
        version="1.1.0",
        initial_percent=10,
        increment_percent=25,
        interval_seconds=600,
    )
    # Twenty minutes of field reports: the stable version healthy, the candidate worse.
    now = timezone.now().replace(second=0, microsecond=0)
    Rollout.objects.update(created_at=now - dt.timedelta(minutes=20))
    for ago in range(20):
        for version, failed, bucket in ((first.version, 0, 1), (rollout_candidate(), ago % 4, 4)):
            buckets = [0] * 13
            buckets[bucket] = 30 - failed
            PluginVersionMinute.objects.create(
                version=version,
                minute=now - dt.timedelta(minutes=ago),
                loads=30,
                mounted=30 - failed,
                failed_mount=failed,
                load_ms_buckets=buckets,
            )
    sign_in(page, "root")

    page.goto("/admin/")
    page.locator("#naap-rollouts").get_by_role("link", name="my-wallet").click()
    split = page.locator("#naap-split")
    expect(split).to_have_text("90 % on stable 1.0.0, 10 % on candidate 1.1.0")
    expect(page.get_by_role("img", name="Loads per minute: My Wallet (my-wallet)")).to_be_visible()
    expect(page.locator("#naap-field-totals")).to_contain_text("candidate 1.1.0")

    page.get_by_label("Reason for advance").fill("looks healthy")
    page.get_by_role("button", name="Advance").click()
    expect(page.locator(".messagelist")).to_contain_text("Advanced: my-wallet 1.1.0 is running")
    expect(split).to_have_text("65 % on stable 1.0.0, 35 % on candidate 1.1.0")
    expect(page.locator("#naap-timeline")).to_contain_text("looks healthy")
    assert PluginDeployment.objects.get(package=first.package).canary_percent == 35
    screenshot(page, "rollout", tmp_path)

    page.get_by_label("Reason for abort").fill("checkout totals wrong")
    page.get_by_role("button", name="Abort").click()
    expect(page.locator(".messagelist")).to_contain_text("Aborted: my-wallet 1.1.0 is aborted")
    expect(split).to_contain_text("checkout totals wrong")
    expect(page.get_by_role("button", name="Advance")).to_have_count(0)
    rollout = Rollout.objects.get()
    assert (rollout.status, rollout.percent) == ("aborted", 0)
    deployment = PluginDeployment.objects.get(package=first.package)
    assert (deployment.version.version, deployment.canary_version) == ("1.0.0", None)
    kinds = list(
        DeploymentEvent.objects.filter(rollout=rollout)
        .order_by("id")
        .values_list("kind", "actor__username")
    )
    assert kinds == [("canary", "root"), ("advance", "root"), ("abort", "root")]


def rollout_candidate():
    return Rollout.objects.select_related("candidate").get().candidate
