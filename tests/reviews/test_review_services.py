"""The review rules, as the services apply them: who may rate, once, bounded, and the
package's rating kept equal to a fresh aggregate after every kind of write."""

import pytest
from django.db import IntegrityError, transaction

from naap.errors import Conflict, Forbidden, NotFound, ValidationFailed
from registry.audit import AuditAction
from registry.models import AuditEvent, PublisherMembership
from reviews import services
from reviews.models import MAX_COMMENT_LENGTH, PluginReview, PluginReviewRevision
from tests.factories import make_user
from tests.reviews.helpers import (
    fresh_aggregate,
    stored_rating,
    team_member_with_wallet,
    user_with_wallet,
    wallet,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def package():
    return wallet()[0]


def test_a_person_who_installed_the_plugin_rates_it_and_the_package_counts_it(package):
    alice = user_with_wallet("alice")
    review = services.create_review(actor=alice, name="my-wallet", rating=4, comment="Handy.")
    assert (review.rating, review.comment) == (4, "Handy.")
    assert stored_rating() == (1, 4.0, [0, 0, 0, 1, 0]) == fresh_aggregate()
    assert AuditEvent.objects.filter(action=AuditAction.REVIEW_CREATE).count() == 1
    assert PluginReviewRevision.objects.get(review=review).kind == "created"


def test_a_team_install_is_enough_to_rate(package):
    member = team_member_with_wallet()
    services.create_review(actor=member, name="my-wallet", rating=5)
    assert stored_rating()[0] == 1


def test_a_person_who_has_not_installed_it_is_refused_and_nothing_is_written(package):
    with pytest.raises(Forbidden, match="Install 'my-wallet'"):
        services.create_review(actor=make_user(), name="my-wallet", rating=5)
    assert not PluginReview.objects.exists()
    assert stored_rating() == (0, None, [])


def test_a_member_of_the_publisher_cannot_rate_its_plugin(package):
    maintainer = user_with_wallet()
    PublisherMembership.objects.create(
        publisher=package.publisher, user=maintainer, role=PublisherMembership.Role.MAINTAINER
    )
    with pytest.raises(Forbidden, match="publishes 'my-wallet'"):
        services.create_review(actor=maintainer, name="my-wallet", rating=5)
    assert not PluginReview.objects.exists()


def test_an_unknown_plugin_is_not_found(package):
    with pytest.raises(NotFound):
        services.create_review(actor=user_with_wallet(), name="no-such", rating=5)


def test_a_second_review_by_the_same_person_is_a_conflict(package):
    alice = user_with_wallet()
    services.create_review(actor=alice, name="my-wallet", rating=4)
    with pytest.raises(Conflict) as refusal:
        services.create_review(actor=alice, name="my-wallet", rating=1)
    assert refusal.value.details["fields"] == {"rating": refusal.value.message}
    assert PluginReview.objects.get().rating == 4
    assert stored_rating() == (1, 4.0, [0, 0, 0, 1, 0])


def test_the_database_holds_one_review_per_person_and_plugin(package):
    alice = user_with_wallet()
    PluginReview.objects.create(package=package, user=alice, rating=3)
    with pytest.raises(IntegrityError), transaction.atomic():
        PluginReview.objects.create(package=package, user=alice, rating=4)


@pytest.mark.parametrize("rating", [0, 6, -1])
def test_the_database_holds_ratings_within_one_to_five(package, rating):
    with pytest.raises(IntegrityError), transaction.atomic():
        PluginReview.objects.create(package=package, user=make_user(), rating=rating)


def test_the_database_refuses_a_hidden_review_without_a_reason(package):
    with pytest.raises(IntegrityError), transaction.atomic():
        PluginReview.objects.create(package=package, user=make_user(), rating=3, hidden=True)


def test_the_database_refuses_a_package_average_out_of_step_with_its_count(package):
    from registry.models import PluginPackage

    with pytest.raises(IntegrityError), transaction.atomic():
        PluginPackage.objects.filter(pk=package.pk).update(rating_count=0, rating_average=3.0)


@pytest.mark.parametrize(
    ("rating", "comment", "field"),
    [
        (0, "", "rating"),
        (6, "", "rating"),
        (True, "", "rating"),
        ("5", "", "rating"),
        (3, "x" * (MAX_COMMENT_LENGTH + 1), "comment"),
    ],
)
def test_bad_ratings_and_comments_are_refused_by_field(package, rating, comment, field):
    with pytest.raises(ValidationFailed) as refusal:
        services.create_review(
            actor=user_with_wallet(), name="my-wallet", rating=rating, comment=comment
        )
    assert field in refusal.value.details["fields"]
    assert not PluginReview.objects.exists()


def test_the_author_edits_and_the_average_follows(package):
    alice, bob = user_with_wallet(), user_with_wallet()
    services.create_review(actor=alice, name="my-wallet", rating=5)
    services.create_review(actor=bob, name="my-wallet", rating=2)
    assert stored_rating() == (2, 3.5, [0, 1, 0, 0, 1])
    services.edit_review(actor=bob, name="my-wallet", rating=4, comment="Better now.")
    assert stored_rating() == (2, 4.5, [0, 0, 0, 1, 1]) == fresh_aggregate()
    kinds = list(
        PluginReviewRevision.objects.filter(author=bob).order_by("pk").values_list("kind", "rating")
    )
    assert kinds == [("created", 2), ("edited", 4)]


def test_someone_without_a_review_has_nothing_to_edit_or_delete(package):
    with pytest.raises(NotFound):
        services.edit_review(actor=user_with_wallet(), name="my-wallet", rating=3)
    with pytest.raises(NotFound):
        services.delete_review(actor=make_user(), name="my-wallet")


def test_the_author_deletes_and_the_history_stays(package):
    alice = user_with_wallet()
    services.create_review(actor=alice, name="my-wallet", rating=1, comment="Broken.")
    services.delete_review(actor=alice, name="my-wallet")
    assert not PluginReview.objects.exists()
    assert stored_rating() == (0, None, [0, 0, 0, 0, 0])
    history = list(PluginReviewRevision.objects.filter(author=alice).values_list("kind", "comment"))
    assert sorted(history) == [("created", "Broken."), ("deleted", "Broken.")]


def test_an_author_who_uninstalled_may_still_edit_and_delete(package):
    from installs import services as installs_services

    alice = user_with_wallet()
    services.create_review(actor=alice, name="my-wallet", rating=4)
    installs_services.uninstall_plugin(actor=alice, name="my-wallet")
    services.edit_review(actor=alice, name="my-wallet", rating=1)
    assert stored_rating()[1] == 1.0
    services.delete_review(actor=alice, name="my-wallet")


def test_staff_hide_with_a_reason_and_the_review_stops_counting(package):
    staff = make_user(staff=True)
    alice, bob = user_with_wallet(), user_with_wallet()
    abusive = services.create_review(actor=alice, name="my-wallet", rating=1, comment="spam")
    services.create_review(actor=bob, name="my-wallet", rating=5)
    services.hide_review(actor=staff, review=abusive, reason="Spam link")
    abusive.refresh_from_db()
    assert (abusive.hidden, abusive.hidden_reason, abusive.hidden_by) == (True, "Spam link", staff)
    assert stored_rating() == (1, 5.0, [0, 0, 0, 0, 1]) == fresh_aggregate()
    event = AuditEvent.objects.get(action=AuditAction.REVIEW_HIDE)
    assert event.details["reason"] == "Spam link" and event.details["comment"] == "spam"
    services.unhide_review(actor=staff, review=abusive)
    assert stored_rating() == (2, 3.0, [1, 0, 0, 0, 1]) == fresh_aggregate()
    kinds = PluginReviewRevision.objects.filter(review=abusive).values_list("kind", flat=True)
    assert sorted(kinds) == ["created", "hidden", "unhidden"]


def test_hiding_needs_a_reason(package):
    review = services.create_review(actor=user_with_wallet(), name="my-wallet", rating=1)
    with pytest.raises(ValidationFailed):
        services.hide_review(actor=make_user(staff=True), review=review, reason="  ")
    assert not PluginReview.objects.get().hidden


def test_hiding_needs_the_staff_permission(package):
    review = services.create_review(actor=user_with_wallet(), name="my-wallet", rating=1)
    someone = make_user()
    someone.is_staff = True
    someone.save()
    with pytest.raises(Forbidden):
        services.hide_review(actor=someone, review=review, reason="no")
    with pytest.raises(Forbidden):
        services.hide_review(actor=make_user(), review=review, reason="no")
    assert not PluginReview.objects.get().hidden


def test_the_moderators_group_may_hide(package):
    from django.contrib.auth.models import Group

    moderator = make_user()
    moderator.is_staff = True
    moderator.save()
    moderator.groups.add(Group.objects.get(name="Moderators"))
    moderator = type(moderator).objects.get(pk=moderator.pk)
    review = services.create_review(actor=user_with_wallet(), name="my-wallet", rating=1)
    services.hide_review(actor=moderator, review=review, reason="abuse")
    assert PluginReview.objects.get().hidden


def test_editing_a_hidden_review_keeps_it_hidden_and_uncounted(package):
    alice = user_with_wallet()
    review = services.create_review(actor=alice, name="my-wallet", rating=1)
    services.hide_review(actor=make_user(staff=True), review=review, reason="abuse")
    services.edit_review(actor=alice, name="my-wallet", rating=5)
    assert PluginReview.objects.get().hidden
    assert stored_rating() == (0, None, [0, 0, 0, 0, 0])


def test_a_publisher_member_replies_once(package):
    owner = package.publisher.memberships.get().user
    review = services.create_review(actor=user_with_wallet(), name="my-wallet", rating=2)
    services.reply_to_review(actor=owner, name="my-wallet", review_id=review.pk, text="Fixed!")
    review.refresh_from_db()
    assert (review.reply, review.replied_by) == ("Fixed!", owner)
    with pytest.raises(Conflict):
        services.reply_to_review(actor=owner, name="my-wallet", review_id=review.pk, text="Again")
    assert PluginReview.objects.get().reply == "Fixed!"


def test_only_the_publisher_replies(package):
    review = services.create_review(actor=user_with_wallet(), name="my-wallet", rating=2)
    with pytest.raises(Forbidden):
        services.reply_to_review(
            actor=user_with_wallet(), name="my-wallet", review_id=review.pk, text="Me too"
        )
    assert PluginReview.objects.get().reply == ""


def test_a_reply_to_a_review_of_another_plugin_is_not_found(package):
    from tests.factories import publish

    other = publish("other-plugin", "1.0.0")
    owner = other.version.published_by
    review = services.create_review(actor=user_with_wallet(), name="my-wallet", rating=2)
    with pytest.raises(NotFound):
        services.reply_to_review(actor=owner, name="other-plugin", review_id=review.pk, text="x")
