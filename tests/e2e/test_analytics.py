"""In Chromium: a publisher's member opens a plugin's analytics from its page and sees the
charts drawn and the installs table."""

import pytest
from playwright.sync_api import expect

from tests.analytics.conftest import build_catalog
from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_member_opens_the_analytics_page_and_sees_the_charts(page, screenshot, tmp_path):
    build_catalog()
    sign_in(page, "owner")
    page.goto("/plugins/wallet/")
    page.get_by_role("link", name="Installs, loads and downloads of Wallet").click()
    page.wait_for_url("**/plugins/wallet/analytics/")
    expect(page.get_by_role("heading", name="Analytics of Wallet")).to_be_visible()

    loads = page.get_by_role("img", name="Loads per version per day: Wallet, last 30 days")
    success = page.get_by_role("img", name="Success rate per version per day: Wallet, last 30 days")
    downloads = page.get_by_role("img", name="Downloads per day: Wallet, last 30 days")
    for chart in (loads, success, downloads):
        expect(chart).to_be_visible()
        box = chart.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 100
    # The lines are drawn with the stylesheet's colours, and without a fill.
    line = loads.locator("polyline.series-0").first
    expect(line).to_be_visible()
    assert line.evaluate("node => getComputedStyle(node).fill") == "none"
    assert line.evaluate("node => getComputedStyle(node).stroke") == "rgb(31, 95, 191)"
    expect(downloads.locator("rect.bar")).to_have_count(30)
    row = page.get_by_role("row", name="2.0.0 candidate")
    expect(row).to_contain_text("90.0 %")
    screenshot(page, "analytics", tmp_path)

    page.get_by_role("link", name="7 days").click()
    expect(page.get_by_role("img", name="Downloads per day: Wallet, last 7 days")).to_be_visible()
    expect(page.get_by_text("12 in this window.")).to_be_visible()
