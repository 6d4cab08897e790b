"""End to end in Chromium: the browse page's listing comes from the cache, the same for
everyone (registry/browse_cache.py), and each person's "Installed" badges are filled in per
request: on the cards of what they installed, never for anybody else, never stale."""

import pytest
from django.core.cache import cache
from django.http import QueryDict
from playwright.sync_api import expect

from installs import services as installs_services
from registry import browse_cache
from registry.cache import catalog_generation
from registry.views import BROWSE_PARAMETERS
from tests.e2e.conftest import sign_in
from tests.factories import make_publisher, make_user, publish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLUGINS = {"my-wallet": "My Wallet", "chat-room": "Chat Room", "node-metrics": "Node Metrics"}


@pytest.fixture
def catalog():
    owner = make_user()
    publisher = make_publisher("naap-labs", owner=owner)
    for name in PLUGINS:
        publish(name, "1.0.0", actor=owner, publisher=publisher)
    return publisher


def card(page, display_name: str):
    """The browse card whose title links to the plugin."""
    return page.locator(
        "article.plugin-card", has=page.get_by_role("link", name=display_name, exact=True)
    )


def expect_badges(page, installed: set[str]) -> None:
    """The browse page shows every plugin, with an "Installed" badge on exactly these."""
    expect(page.locator("article.plugin-card")).to_have_count(len(PLUGINS))
    for name, display_name in PLUGINS.items():
        badges = card(page, display_name).locator(".badge.installed")
        if name in installed:
            expect(badges).to_have_text("Installed")
        else:
            expect(badges).to_have_count(0)
    expect(page.locator(".badge.installed")).to_have_count(len(installed))


def cached_front_page():
    """The front page's listing as the cache holds it now (None: not cached)."""
    query = browse_cache.query_key(QueryDict(""), BROWSE_PARAMETERS)
    return cache.get(browse_cache.entry_key("browse", catalog_generation(), query))


def test_browse_badges_are_each_persons_and_follow_their_installs(
    browser, page, live_server, catalog, screenshot, tmp_path
):
    alice = make_user("alice")
    installs_services.install_plugin(actor=alice, name="my-wallet")

    # Anonymous: no badge; the listing is now cached.
    page.goto("/")
    expect_badges(page, set())
    listing = cached_front_page()
    assert listing is not None
    assert "Installed" not in "".join(listing.parts)

    sign_in(page, "alice")
    page.goto("/")
    expect_badges(page, {"my-wallet"})

    # Installed from its page: an install changes no listing (the catalog generation stays),
    # so the cached listing is served again, and the badge is there all the same.
    page.goto("/plugins/chat-room/")
    page.get_by_role("button", name="Install").click()
    page.wait_for_url("**/me/plugins/")
    assert cached_front_page() == listing
    page.goto("/")
    expect_badges(page, {"my-wallet", "chat-room"})
    screenshot(page, "browse-installed-badges", tmp_path)

    # Someone else, signed in or not, sees none of alice's badges from that cached listing.
    make_user("bob")
    for username in ("bob", None):
        context = browser.new_context(base_url=live_server.url)
        other = context.new_page()
        other.set_default_timeout(10_000)
        if username:
            sign_in(other, username)
        other.goto("/")
        expect_badges(other, set())
        context.close()
    assert cached_front_page() == listing
