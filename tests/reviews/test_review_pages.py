"""The plugin page's ratings and reviews, its forms, and the browse page's stars and sort."""

import pytest
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from registry.models import PluginPackage
from reviews import services
from reviews.models import PluginReview
from tests.factories import make_user, publish
from tests.reviews.helpers import stored_rating, user_with_wallet, wallet

pytestmark = pytest.mark.django_db
PAGE = "/plugins/my-wallet/"


@pytest.fixture
def package():
    return wallet()[0]


def test_the_plugin_page_shows_the_average_the_distribution_and_escaped_comments(client, package):
    services.create_review(
        actor=user_with_wallet("mallory"),
        name="my-wallet",
        rating=1,
        comment='<script>alert("x")</script> & <b>bold</b>',
    )
    services.create_review(actor=user_with_wallet(), name="my-wallet", rating=5)
    html = client.get(PAGE).content.decode()
    assert "3.0 out of 5, 2 ratings" in html
    assert 'class="chart rating-bars"' in html
    assert "5 stars: 1, 4 stars: 0, 3 stars: 0, 2 stars: 0, 1 stars: 1." in html
    assert '<script>alert("x")</script>' not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html


def test_reviews_are_newest_first_and_paged(client, package):
    for index in range(12):
        services.create_review(
            actor=user_with_wallet(f"rater{index:02d}"), name="my-wallet", rating=3
        )
    html = client.get(PAGE).content.decode()
    assert html.count('data-testid="review"') == 10
    assert html.index("rater11") < html.index("rater10")
    assert "rater01" not in html and "Older reviews" in html
    second = client.get(PAGE, {"reviews": 2}).content.decode()
    assert second.count('data-testid="review"') == 2
    assert "rater00" in second and "rater11" not in second
    assert client.get(PAGE, {"reviews": "x"}).status_code == 200


def test_a_signed_in_installer_rates_edits_and_deletes_from_the_page(client, package):
    client.force_login(user_with_wallet())
    assert b"Submit your rating" in client.get(PAGE).content
    response = client.post(f"{PAGE}reviews/", {"rating": "4", "comment": "Good"})
    assert response.status_code == 302 and response["Location"].endswith("#reviews")
    assert stored_rating()[:2] == (1, 4.0)
    assert b"Update your review" in client.get(PAGE).content
    client.post(f"{PAGE}reviews/", {"rating": "2"})
    assert PluginReview.objects.get().rating == 2
    client.post(f"{PAGE}reviews/delete/")
    assert not PluginReview.objects.exists()


def test_a_bad_rating_from_the_page_is_refused_with_a_message(client, package):
    client.force_login(user_with_wallet())
    followed = client.post(f"{PAGE}reviews/", {"rating": "9"}, follow=True)
    assert b"Your review was not saved" in followed.content
    assert not PluginReview.objects.exists()


def test_the_page_says_why_a_person_may_not_rate(client, package):
    assert b"Sign in to rate this plugin." in client.get(PAGE).content
    client.force_login(make_user())
    html = client.get(PAGE).content.decode()
    assert "Install &#x27;my-wallet&#x27;" in html and "Submit your rating" not in html
    followed = client.post(f"{PAGE}reviews/", {"rating": "5"}, follow=True)
    assert b"Your review was not saved" in followed.content
    assert not PluginReview.objects.exists()


def test_anonymous_posts_go_to_sign_in(client, package):
    response = client.post(f"{PAGE}reviews/", {"rating": "5"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not PluginReview.objects.exists()


def test_the_author_sees_their_hidden_review_marked(client, package):
    alice = user_with_wallet()
    review = services.create_review(actor=alice, name="my-wallet", rating=1, comment="rude")
    services.hide_review(actor=make_user(staff=True), review=review, reason="Insults")
    assert b"rude" not in client.get(PAGE).content
    client.force_login(alice)
    html = client.get(PAGE).content.decode()
    assert "Hidden by staff: Insults" in html


def test_the_publisher_replies_from_the_page_once(client, package):
    review = services.create_review(actor=user_with_wallet(), name="my-wallet", rating=2)
    client.force_login(package.publisher.memberships.get().user)
    html = client.get(PAGE).content.decode()
    assert "Reply as" in html and "Submit your rating" not in html
    client.post(f"{PAGE}reviews/{review.pk}/reply/", {"text": "<i>Fixed</i> in 1.1"})
    html = client.get(PAGE).content.decode()
    assert "&lt;i&gt;Fixed&lt;/i&gt; in 1.1" in html and "Reply as" not in html
    followed = client.post(f"{PAGE}reviews/{review.pk}/reply/", {"text": "Again"}, follow=True)
    assert b"already" in followed.content
    assert PluginReview.objects.get().reply == "<i>Fixed</i> in 1.1"


def test_the_page_forms_share_the_review_rate_limit(client, package, monkeypatch):
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {**api_settings.DEFAULT_THROTTLE_RATES, "review": "1/hour"},
    )
    client.force_login(user_with_wallet())
    assert client.post(f"{PAGE}reviews/", {"rating": "4"}).status_code == 302
    limited = client.post(f"{PAGE}reviews/", {"rating": "1"})
    assert limited.status_code == 429 and int(limited["Retry-After"]) >= 1
    assert PluginReview.objects.get().rating == 4


def test_browse_shows_stars_with_a_text_alternative_and_sorts_by_rating(client):
    for name in ("alpha", "bravo", "charlie"):
        publish(name, "1.0.0")
    PluginPackage.objects.filter(name="bravo").update(
        rating_count=12, rating_average=4.3, rating_distribution=[0, 0, 1, 5, 6]
    )
    PluginPackage.objects.filter(name="charlie").update(
        rating_count=1, rating_average=2.0, rating_distribution=[0, 1, 0, 0, 0]
    )
    html = client.get("/", {"sort": "rating"}).content.decode()
    assert 'aria-label="4.3 out of 5, 12 ratings"' in html
    assert 'aria-label="2.0 out of 5, 1 rating"' in html
    assert 'aria-label="No ratings yet"' in html
    assert html.index("Bravo") < html.index("Charlie") < html.index("Alpha")
    assert 'value="rating" selected' in html
