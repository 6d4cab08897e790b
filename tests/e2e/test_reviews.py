"""End to end in Chromium: a person rates a plugin from its page, and browse shows the stars
and sorts by rating."""

import pytest
from playwright.sync_api import expect

from installs import services as installs_services
from reviews.models import PluginReview
from tests.e2e.conftest import sign_in
from tests.factories import make_publisher, make_user, publish

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def catalog():
    owner = make_user()
    publisher = make_publisher("naap-labs", owner=owner)
    for name in ("my-wallet", "chat-room"):
        publish(name, "1.0.0", actor=owner, publisher=publisher)
    return publisher


def test_a_person_rates_from_the_plugin_page_and_browse_shows_and_sorts_the_stars(
    page, live_server, catalog, screenshot, tmp_path
):
    alice = make_user("alice")
    installs_services.install_plugin(actor=alice, name="my-wallet")
    sign_in(page, "alice")
    page.goto("/plugins/my-wallet/")
    reviews = page.locator("#reviews")
    summary = reviews.locator(".rating-text")
    expect(summary).to_have_text("No ratings yet")
    form = page.get_by_role("form", name="Rate this plugin")
    form.get_by_label("4 stars").check()
    form.get_by_label("Comment (optional, plain text)").fill("<b>Solid</b> wallet")
    form.get_by_role("button", name="Submit your rating").click()
    page.wait_for_url("**/plugins/my-wallet/#reviews")
    expect(page.get_by_role("status")).to_contain_text("Thanks for rating.")
    expect(summary).to_have_text("4.0 out of 5, 1 rating")
    expect(reviews.get_by_role("img", name="How people rated My Wallet")).to_be_visible()
    # The comment is shown as the text typed, not as markup.
    review = reviews.get_by_test_id("review")
    expect(review.locator(".review-comment")).to_have_text("<b>Solid</b> wallet")
    expect(review.locator("b")).to_have_count(0)
    screenshot(page, "plugin-reviews", tmp_path)

    # Edit from the same form.
    form = page.get_by_role("form", name="Edit your review")
    expect(form.get_by_label("4 stars")).to_be_checked()
    form.get_by_label("5 stars").check()
    form.get_by_role("button", name="Update your review").click()
    expect(summary).to_have_text("5.0 out of 5, 1 rating")
    assert PluginReview.objects.get().rating == 5

    # Browse: stars with their text alternative, the rated plugin first by rating.
    page.goto("/?sort=rating")
    cards = page.locator("article.plugin-card")
    expect(cards.first.get_by_role("img", name="5.0 out of 5, 1 rating")).to_be_visible()
    expect(cards.first.get_by_role("link", name="My Wallet")).to_be_visible()
    expect(cards.nth(1).get_by_role("img", name="No ratings yet")).to_be_visible()
    expect(page.get_by_label("Sort by")).to_have_value("rating")
    screenshot(page, "browse-ratings", tmp_path)
