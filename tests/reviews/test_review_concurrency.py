"""The package's rating never drifts: many people rate, re-rate, delete and staff hide at
once (real threads, each with its own database connection), and the stored average, count
and distribution equal a fresh aggregate of the visible reviews afterwards. Run on
PostgreSQL (DATABASE_URL) this is the row lock at work; on SQLite, its serialised writers."""

import pytest

from naap.errors import Conflict
from reviews import services
from reviews.models import PluginReview
from tests.factories import make_user
from tests.installs.test_install_concurrency import run_together
from tests.reviews.helpers import fresh_aggregate, stored_rating, user_with_wallet, wallet

pytestmark = pytest.mark.django_db(transaction=True)


def rate(user, rating):
    return lambda: services.create_review(actor=user, name="my-wallet", rating=rating)


def test_concurrent_review_writes_leave_the_rating_equal_to_a_fresh_aggregate():
    wallet()
    people = [user_with_wallet() for _ in range(16)]
    staff = make_user(staff=True)

    # Phase 1: twelve people rate at once, each twice (a double click): one review each.
    outcomes = run_together(
        [rate(user, 1 + index % 5) for index, user in enumerate(people[:12])] * 2
    )
    failures = [outcome for outcome in outcomes if isinstance(outcome, Exception)]
    assert len(failures) == 12 and all(isinstance(failure, Conflict) for failure in failures)
    assert PluginReview.objects.count() == 12
    assert stored_rating() == fresh_aggregate()
    assert stored_rating()[0] == 12

    # Phase 2: four re-rate, four delete, staff hide two, four newcomers rate, all at once.
    reviews = {review.user_id: review for review in PluginReview.objects.all()}
    calls = [
        *(
            (lambda user=user: services.edit_review(actor=user, name="my-wallet", rating=5))
            for user in people[:4]
        ),
        *(
            (lambda user=user: services.delete_review(actor=user, name="my-wallet"))
            for user in people[4:8]
        ),
        *(
            (
                lambda review=reviews[user.pk]: services.hide_review(
                    actor=staff, review=review, reason="abuse"
                )
            )
            for user in people[8:10]
        ),
        *(rate(user, 2) for user in people[12:]),
    ]
    outcomes = run_together(calls)
    assert not [outcome for outcome in outcomes if isinstance(outcome, Exception)], outcomes
    assert PluginReview.objects.count() == 12
    assert PluginReview.objects.filter(hidden=True).count() == 2
    count, average, distribution = stored_rating()
    assert (count, average, distribution) == fresh_aggregate()
    # 4 fives (re-rated), people[10:12] kept 1 + 10 % 5 = 1 and 1 + 11 % 5 = 2, 4 twos.
    assert (count, distribution) == (10, [1, 5, 0, 0, 4])
    assert average == pytest.approx((4 * 5 + 1 + 2 + 4 * 2) / 10)
