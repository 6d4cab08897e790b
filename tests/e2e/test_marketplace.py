"""End to end in Chromium: people find, install and arrange plugins; staff moderate and roll
back."""

import pytest
from playwright.sync_api import expect

from installs.models import TenantPluginInstall, UserPluginPreference
from registry.models import (
    DeploymentEvent,
    DownloadStat,
    PluginDeployment,
    PluginPackage,
    PluginVersion,
)
from tests.e2e.conftest import sign_in
from tests.factories import make_publisher, make_user, publish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCHEMA = {
    "type": "object",
    "required": ["currency"],
    "properties": {
        "currency": {"type": "string", "enum": ["EUR", "USD"], "title": "Currency"},
        "refreshSeconds": {"type": "integer", "minimum": 5, "default": 30, "title": "Refresh"},
    },
}


@pytest.fixture
def catalog():
    from datetime import timedelta

    from django.utils import timezone

    owner = make_user()
    publisher = make_publisher("naap-labs", owner=owner)
    wallet = publish(
        "my-wallet",
        "1.2.0",
        actor=owner,
        publisher=publisher,
        description="Send, receive and track tokens across your nodes.",
        config={"schema": SCHEMA},
        keywords=["wallet", "tokens"],
        permissions={"shell": ["notifications"], "browser": ["clipboard"]},
    )
    for name, category, text in [
        ("gateway-manager", "operations", "Run and watch your gateways."),
        ("chat-room", "social", "Talk to your team without leaving the shell."),
        ("node-metrics", "monitoring", "Charts of your nodes' health."),
    ]:
        publish(
            name, "1.0.0", actor=owner, publisher=publisher, category=category, description=text
        )
    today = timezone.now().date()
    counts = [(offset * 7) % 23 + 3 for offset in range(60)]
    for offset, count in enumerate(counts):
        DownloadStat.objects.create(
            package=wallet.package,
            version=wallet.version,
            day=today - timedelta(days=offset),
            count=count,
        )
    PluginPackage.objects.filter(pk=wallet.package.pk).update(downloads=sum(counts))
    return owner, publisher


def test_people_search_install_with_config_reorder_and_disable(
    page, live_server, catalog, screenshot, tmp_path
):
    make_user("alice")
    sign_in(page, "alice")
    page.goto("/")
    screenshot(page, "browse", tmp_path)
    page.get_by_label("Search plugins").fill("wallet")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="My Wallet").click()
    page.wait_for_url("**/plugins/my-wallet/")
    expect(page.get_by_role("heading", name="What it may do")).to_be_visible()
    expect(page.locator("svg.chart")).to_be_visible()
    screenshot(page, "detail", tmp_path)

    page.get_by_label("Refresh").fill("2")
    page.get_by_role("button", name="Install My Wallet").click()
    expect(page.get_by_text("Ensure this value is greater than or equal to 5")).to_be_visible()
    assert not TenantPluginInstall.objects.exists()
    page.get_by_label("Refresh").fill("60")
    page.get_by_label("Currency").select_option("USD")
    page.get_by_role("button", name="Install My Wallet").click()
    page.wait_for_url("**/me/plugins/")
    install = TenantPluginInstall.objects.get()
    assert install.config["currency"] == "USD" and install.config["refreshSeconds"] == 60

    for name in ("chat-room", "node-metrics"):
        page.goto(f"/plugins/{name}/")
        page.get_by_role("button", name="Install").click()
        page.wait_for_url("**/me/plugins/")
    rows = page.locator("table.my-plugins tbody tr")
    assert rows.count() == 3
    page.get_by_role("button", name="Move Node Metrics up").click()
    page.wait_for_load_state()
    expect(page.locator("table.my-plugins tbody tr td:first-child a")).to_have_text(
        ["Chat Room", "Node Metrics", "My Wallet"]
    )
    page.locator("#plugin-chat-room").get_by_role("button", name="Disable").click()
    page.wait_for_load_state()
    expect(page.locator("#plugin-chat-room td.state")).to_have_text("disabled")
    assert UserPluginPreference.objects.get(package__name="chat-room").enabled is False
    screenshot(page, "my-plugins", tmp_path)


def test_staff_approve_a_pending_version_and_roll_a_deployment_back(
    page, live_server, catalog, screenshot, tmp_path
):
    owner, publisher = catalog
    newcomer = make_user()
    pending = publish(
        "fresh-plugin",
        "1.0.0",
        actor=newcomer,
        publisher=make_publisher("newcomer", owner=newcomer, verified=False),
    )
    publish(
        "my-wallet",
        "1.3.0",
        actor=owner,
        publisher=publisher,
        config={"schema": SCHEMA},
        marker="1.3",
    )
    make_user("root", staff=True)
    sign_in(page, "root")

    page.goto("/admin/")
    expect(page.locator("#naap-pending")).to_have_text("1")
    page.get_by_role("link", name="Versions awaiting review").click()
    page.locator(f'input[name="_selected_action"][value="{pending.version.pk}"]').check()
    page.locator('select[name="action"]').select_option("approve")
    page.get_by_role("button", name="Run").click()
    expect(page.get_by_text("Approved: 1.")).to_be_visible()
    assert PluginVersion.objects.get(pk=pending.version.pk).status == "published"

    deployment = PluginDeployment.objects.get(package__name="my-wallet")
    page.goto(f"/admin/registry/plugindeployment/{deployment.pk}/change/")
    page.get_by_role("link", name="Roll back…").click()
    page.get_by_label("1.2.0").check()
    page.get_by_label("Reason").fill("1.3.0 double-counts fees")
    screenshot(page, "rollback", tmp_path)
    page.get_by_role("button", name="Continue").click()
    page.get_by_role("button", name="Yes, roll back").click()
    page.wait_for_url(f"**/plugindeployment/{deployment.pk}/change/")
    expect(page.locator(".messagelist")).to_contain_text("now runs 1.2.0")
    assert PluginDeployment.objects.get(pk=deployment.pk).version.version == "1.2.0"
    event = DeploymentEvent.objects.filter(kind="rollback").get()
    assert event.reason == "1.3.0 double-counts fees"
