"""End to end in Chromium: staff advance, then abort, a staged rollout from its admin page."""

import pytest
from playwright.sync_api import expect

from registry import rollouts
from registry.models import DeploymentEvent, PluginDeployment, Rollout
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
    sign_in(page, "root")

    page.goto("/admin/")
    page.locator("#naap-rollouts").get_by_role("link", name="my-wallet").click()
    split = page.locator("#naap-split")
    expect(split).to_have_text("90 % on stable 1.0.0, 10 % on candidate 1.1.0")
    expect(page.get_by_role("img", name="Loads per minute: My Wallet (my-wallet)")).to_be_visible()

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
