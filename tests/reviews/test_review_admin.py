"""Staff and reviews in the admin: hide with a reason (a permission of its own), show again,
read each review's history; nobody edits or deletes a review there."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from registry.audit import AuditAction
from registry.models import AuditEvent
from reviews import services
from reviews.models import PluginReview
from tests.factories import make_staff, make_user
from tests.reviews.helpers import stored_rating, user_with_wallet, wallet

pytestmark = pytest.mark.django_db
LIST = "/admin/reviews/pluginreview/"


@pytest.fixture
def review():
    wallet()
    review = services.create_review(
        actor=user_with_wallet(), name="my-wallet", rating=1, comment="first words"
    )
    services.edit_review(actor=review.user, name="my-wallet", rating=1, comment="<b>abuse</b>")
    return review


def hide(client, review, text="Insults"):
    return client.post(
        LIST, {"action": "hide", ACTION_CHECKBOX_NAME: [review.pk], "text": text, "apply": 1}
    )


def test_a_moderator_hides_a_review_with_a_reason_and_it_stops_counting(client, review):
    client.force_login(make_staff(groups=["Moderators"]))
    assert 'value="hide"' in client.get(LIST).content.decode()
    asked = client.post(LIST, {"action": "hide", ACTION_CHECKBOX_NAME: [review.pk]})
    assert b"Why are they hidden?" in asked.content
    assert not PluginReview.objects.get().hidden
    hide(client, review)
    hidden = PluginReview.objects.get()
    assert (hidden.hidden, hidden.hidden_reason) == (True, "Insults")
    assert stored_rating()[0] == 0
    assert AuditEvent.objects.filter(action=AuditAction.REVIEW_HIDE).exists()


def test_an_empty_reason_hides_nothing(client, review):
    client.force_login(make_staff(groups=["Moderators"]))
    hide(client, review, text="")
    assert not PluginReview.objects.get().hidden


def test_staff_without_the_permission_are_not_offered_hide_and_cannot_post_it(client, review):
    client.force_login(make_staff(view_only=True))
    page = client.get(LIST)
    assert page.status_code == 200
    assert 'value="hide"' not in page.content.decode()
    hide(client, review)
    assert not PluginReview.objects.get().hidden
    client.force_login(make_staff(groups=["Operators"]))
    hide(client, review)
    assert not PluginReview.objects.get().hidden


def test_a_moderator_shows_a_hidden_review_again(client, review):
    services.hide_review(actor=make_user(staff=True), review=review, reason="spam")
    client.force_login(make_staff(groups=["Moderators"]))
    client.post(LIST, {"action": "unhide", ACTION_CHECKBOX_NAME: [review.pk]})
    assert not PluginReview.objects.get().hidden
    assert stored_rating()[0] == 1


def test_the_review_page_shows_its_history_escaped_and_offers_no_edit_or_delete(client, review):
    services.hide_review(actor=make_user(staff=True), review=review, reason="spam")
    client.force_login(make_staff(groups=["Moderators"]))
    html = client.get(f"{LIST}{review.pk}/change/").content.decode()
    assert "History (newest first)" in html
    assert "first words" in html  # the text before the edit
    assert "&lt;b&gt;abuse&lt;/b&gt;" in html and "<b>abuse</b>" not in html
    assert "spam" in html
    assert 'name="_save"' not in html
    assert f"{LIST}{review.pk}/delete/" not in html
    assert client.post(f"{LIST}{review.pk}/delete/", {"post": "yes"}).status_code == 403
    assert PluginReview.objects.filter(pk=review.pk).exists()


def test_the_history_of_a_deleted_review_stays_in_the_admin(client, review):
    services.delete_review(actor=review.user, name="my-wallet")
    client.force_login(make_staff(groups=["Moderators"]))
    html = client.get("/admin/reviews/pluginreviewrevision/").content.decode()
    assert html.count("my-wallet") >= 3  # created, edited, deleted
