"""The reviews API: our path in our envelope, upstream's path with its paging, each refusal
with its status, code and field, and nothing written."""

import pytest
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from reviews import services
from reviews.models import PluginReview
from tests.factories import make_user
from tests.installs.helpers import error_of, send
from tests.publishing.helpers import bearer, token_for
from tests.reviews.helpers import stored_rating, user_with_wallet, wallet

pytestmark = pytest.mark.django_db
URL = "/api/v1/plugins/my-wallet/reviews"
UPSTREAM = "/api/v1/registry/packages/my-wallet/reviews"


@pytest.fixture
def package():
    return wallet()[0]


@pytest.fixture
def alice(client, package):
    user = user_with_wallet("alice")
    client.force_login(user)
    return user


def test_anyone_reads_the_reviews_newest_first_with_the_rating(client, package):
    for rating in (5, 3, 4):
        services.create_review(actor=user_with_wallet(), name="my-wallet", rating=rating)
    response = client.get(URL, {"limit": 2})
    assert response.status_code == 200
    data = response.json()["data"]
    assert [review["rating"] for review in data["reviews"]] == [4, 3]
    assert (data["total"], data["page"], data["limit"], data["mine"]) == (3, 1, 2, None)
    assert data["rating"] == {
        "rating": 4.0,
        "ratingCount": 3,
        "distribution": {"1": 0, "2": 0, "3": 1, "4": 1, "5": 1},
    }
    assert set(data["reviews"][0]) >= {"id", "rating", "comment", "userId", "createdAt"}
    second = client.get(URL, {"limit": 2, "page": 2}).json()["data"]["reviews"]
    assert [review["rating"] for review in second] == [5]


def test_reading_the_list_takes_the_same_queries_for_many_reviews(
    client, package, django_assert_max_num_queries
):
    for _ in range(12):
        services.create_review(actor=user_with_wallet(), name="my-wallet", rating=3)
    with django_assert_max_num_queries(4):
        assert len(client.get(URL, {"limit": 10}).json()["data"]["reviews"]) == 10


def test_a_signed_in_person_creates_edits_and_deletes_their_review(client, alice):
    created = send(client, "post", URL, {"rating": 4, "comment": "Nice <b>wallet</b>"})
    assert created.status_code == 201
    body = created.json()["data"]
    assert body["review"]["comment"] == "Nice <b>wallet</b>"  # JSON carries text as it is
    assert body["rating"]["rating"] == 4.0
    assert client.get(URL).json()["data"]["mine"]["id"] == body["review"]["id"]

    edited = send(client, "put", URL, {"rating": 2})
    assert edited.status_code == 200
    assert edited.json()["data"]["review"]["comment"] == ""
    assert stored_rating()[:2] == (1, 2.0)

    deleted = send(client, "delete", URL)
    assert deleted.status_code == 200
    assert deleted.json()["data"]["deleted"] is True
    assert deleted.json()["data"]["rating"]["ratingCount"] == 0
    assert not PluginReview.objects.exists()


def test_a_second_create_is_409(client, alice):
    send(client, "post", URL, {"rating": 4})
    response = send(client, "post", URL, {"rating": 1})
    assert response.status_code == 409
    assert error_of(response)["code"] == "CONFLICT"
    assert PluginReview.objects.get().rating == 4


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "rating"),
        ({"rating": 0}, "rating"),
        ({"rating": 6}, "rating"),
        ({"rating": "five"}, "rating"),
        ({"rating": 3, "comment": "x" * 2001}, "comment"),
    ],
)
def test_bad_bodies_are_400_naming_the_field(client, alice, body, field):
    response = send(client, "post", URL, body)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "VALIDATION_ERROR"
    assert field in error["details"]["fields"]
    assert not PluginReview.objects.exists()


def test_anonymous_writes_are_401(client, package):
    response = send(client, "post", URL, {"rating": 5})
    assert response.status_code == 401
    assert not PluginReview.objects.exists()


def test_api_tokens_cannot_review(client, package):
    _, _, _, secret = token_for()
    response = send(client, "post", URL, {"rating": 5}, **bearer(secret))
    assert response.status_code == 403
    assert "API tokens" in error_of(response)["message"]
    assert not PluginReview.objects.exists()


def test_not_installed_is_403(client, package):
    client.force_login(make_user())
    response = send(client, "post", URL, {"rating": 5})
    assert response.status_code == 403
    assert "Install" in error_of(response)["message"]
    assert not PluginReview.objects.exists()


def test_the_publishers_own_member_is_403(client, package):
    owner = package.publisher.memberships.get().user
    client.force_login(owner)
    response = send(client, "post", URL, {"rating": 5})
    assert response.status_code == 403
    assert not PluginReview.objects.exists()


def test_an_unknown_plugin_is_404(client, alice):
    response = send(client, "post", "/api/v1/plugins/nothing-here/reviews", {"rating": 5})
    assert response.status_code == 404
    assert client.get("/api/v1/plugins/nothing-here/reviews").status_code == 404


def test_editing_without_a_review_is_404(client, alice):
    assert send(client, "put", URL, {"rating": 3}).status_code == 404
    assert send(client, "delete", URL).status_code == 404


def test_hidden_reviews_leave_the_list_but_their_author_sees_theirs_marked(client, alice):
    send(client, "post", URL, {"rating": 1, "comment": "rude"})
    services.create_review(actor=user_with_wallet(), name="my-wallet", rating=5)
    services.hide_review(
        actor=make_user(staff=True), review=PluginReview.objects.get(user=alice), reason="Abuse"
    )
    data = client.get(URL).json()["data"]
    assert [review["rating"] for review in data["reviews"]] == [5]
    assert data["mine"]["hidden"] is True
    assert data["mine"]["hiddenReason"] == "Abuse"
    assert data["rating"]["ratingCount"] == 1
    client.logout()
    assert client.get(URL).json()["data"]["mine"] is None


def test_the_publisher_replies_once_through_the_api(client, package):
    review = services.create_review(actor=user_with_wallet(), name="my-wallet", rating=3)
    client.force_login(package.publisher.memberships.get().user)
    reply_url = f"{URL}/{review.pk}/reply"
    first = send(client, "post", reply_url, {"text": "Thanks, fixed in 1.1."})
    assert first.status_code == 201
    assert first.json()["data"]["review"]["reply"] == "Thanks, fixed in 1.1."
    again = send(client, "post", reply_url, {"text": "Again"})
    assert again.status_code == 409
    assert PluginReview.objects.get().reply == "Thanks, fixed in 1.1."


def test_a_stranger_cannot_reply(client, alice, package):
    review = services.create_review(actor=user_with_wallet(), name="my-wallet", rating=3)
    response = send(client, "post", f"{URL}/{review.pk}/reply", {"text": "Me too"})
    assert response.status_code == 403
    assert PluginReview.objects.get(pk=review.pk).reply == ""


def test_upstreams_path_lists_with_paging_in_meta(client, package):
    for rating in (2, 4):
        services.create_review(actor=user_with_wallet(), name="my-wallet", rating=rating)
    body = client.get(UPSTREAM, {"pageSize": 1}).json()
    assert body["meta"] == {"page": 1, "pageSize": 1, "total": 2, "totalPages": 2}
    assert body["data"]["rating"] == 3.0
    assert body["data"]["ratingCount"] == 2
    assert [review["rating"] for review in body["data"]["reviews"]] == [4]


def test_upstreams_post_rates_then_rerates_and_delete_removes(client, alice):
    first = send(client, "post", UPSTREAM, {"rating": 5, "comment": "Great"})
    assert first.status_code == 201
    second = send(client, "post", UPSTREAM, {"rating": 3})
    assert second.status_code == 200
    assert PluginReview.objects.get().rating == 3
    assert send(client, "delete", UPSTREAM).status_code == 200
    assert not PluginReview.objects.exists()


def test_review_writes_are_rate_limited(client, alice, monkeypatch):
    monkeypatch.setattr(
        SimpleRateThrottle,
        "THROTTLE_RATES",
        {**api_settings.DEFAULT_THROTTLE_RATES, "review": "2/hour"},
    )
    assert send(client, "post", URL, {"rating": 4}).status_code == 201
    assert send(client, "put", URL, {"rating": 3}).status_code == 200
    limited = send(client, "put", URL, {"rating": 1})
    assert limited.status_code == 429
    assert error_of(limited)["code"] == "RATE_LIMITED"
    assert int(limited["Retry-After"]) >= 1
    assert PluginReview.objects.get().rating == 3
    assert client.get(URL).status_code == 200  # reads are not counted


def test_the_registry_sorts_by_rating_unrated_last_ties_by_count_then_name(client):
    from registry.models import PluginPackage
    from tests.factories import publish

    for name in ("alpha", "bravo", "charlie", "delta"):
        publish(name, "1.0.0")
    PluginPackage.objects.filter(name="alpha").update(
        rating_count=2, rating_average=4.0, rating_distribution=[0, 0, 0, 2, 0]
    )
    PluginPackage.objects.filter(name="bravo").update(
        rating_count=5, rating_average=4.0, rating_distribution=[0, 0, 0, 5, 0]
    )
    PluginPackage.objects.filter(name="delta").update(
        rating_count=1, rating_average=5.0, rating_distribution=[0, 0, 0, 0, 1]
    )
    listed = client.get("/api/v1/plugins/registry", {"sort": "rating"}).json()["data"]["plugins"]
    assert [plugin["name"] for plugin in listed] == ["delta", "bravo", "alpha", "charlie"]
    assert [plugin["rating"] for plugin in listed] == [5.0, 4.0, 4.0, None]
    assert [plugin["ratingCount"] for plugin in listed] == [1, 5, 2, 0]
    upstream = client.get("/api/v1/registry/packages", {"sort": "rating"})
    assert upstream.status_code == 200
    names = [plugin["name"] for plugin in upstream.json()["data"]["packages"]]
    assert names == ["delta", "bravo", "alpha", "charlie"]


def test_the_rating_order_is_walked_along_its_index_on_postgresql():
    """PostgreSQL reads sort=rating's first page along package_rating_idx (a plain sort of
    every package otherwise); SQLite, which cannot index NULLS LAST, sorts."""
    from django.db import connection, transaction

    from registry.filters import PackageFilterSet
    from registry.selectors import listed_packages
    from tests.factories import make_package, make_version

    for index in range(30):
        make_version(make_package(f"rated-{index:02d}", rating_count=0), "1.0.0")
    query = PackageFilterSet({"sort": "rating"}, queryset=listed_packages()).qs[:20]
    sql, params = query.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE registry_pluginpackage")
            cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(str(row[0]) for row in cursor.fetchall())
    assert ("package_rating_idx" in plan) == (connection.vendor == "postgresql"), plan
