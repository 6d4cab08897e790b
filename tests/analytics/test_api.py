"""GET /api/v1/plugins/{name}/analytics: the selector's numbers in the envelope, for the
package's publisher (members' sessions, its tokens with the read scope) and staff; 404 for
everyone else, as for a plugin that does not exist."""

from __future__ import annotations

import datetime as dt

import pytest

from publishing.services import create_api_token
from registry.models import PluginPackage
from tests.factories import make_package, make_publisher, make_user

pytestmark = pytest.mark.django_db
URL = "/api/v1/plugins/wallet/analytics"


def bearer(catalog, *, scopes=("read",), publisher=None, packages=None) -> dict:
    publisher = publisher or catalog.publisher
    owner = catalog.owner if publisher == catalog.publisher else make_user()
    if owner is not catalog.owner:
        publisher.memberships.create(user=owner, role="owner")
    _, secret = create_api_token(
        actor=owner, publisher=publisher, name="t", scopes=list(scopes), package_names=packages
    )
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def test_a_member_reads_the_numbers_in_the_envelope(client, catalog):
    client.force_login(catalog.owner)
    response = client.get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["success"] is True
    data = body["data"]
    assert (data["plugin"], data["days"]) == ("wallet", 30)
    assert data["firstDay"] == str(catalog.today - dt.timedelta(days=29))
    assert data["lastDay"] == str(catalog.today)
    assert (data["deployedVersion"], data["candidateVersion"], data["candidatePercent"]) == (
        "1.1.0",
        "2.0.0",
        25,
    )
    assert data["activeInstalls"] == {"total": 15, "personal": 10, "team": 5, "estimated": True}
    assert data["unresolvedInstalls"]["total"] == 0
    versions = {row["version"]: row for row in data["versions"]}
    assert [row["version"] for row in data["versions"]] == ["2.0.0", "1.1.0", "1.0.0"]
    candidate = versions["2.0.0"]
    assert candidate["role"] == "candidate"
    assert candidate["activeInstalls"] == {"total": 3, "personal": 2, "team": 1, "estimated": True}
    assert (candidate["loads"], candidate["successRate"], candidate["downloads"]) == (20, 0.9, 7)
    assert len(candidate["daily"]) == 30
    assert candidate["daily"][-1] == {
        "day": str(catalog.today),
        "loads": 20,
        "mounted": 19,
        "runtimeFailures": 1,
        "successRate": 0.9,
        "downloads": 7,
    }
    assert candidate["daily"][0]["successRate"] is None
    assert versions["1.0.0"]["successRate"] is None
    assert data["downloads"] == 16
    assert data["downloadsDaily"][-1] == {"day": str(catalog.today), "count": 10}
    assert len(data["downloadsDaily"]) == 30


def test_days_sets_the_window(client, catalog):
    client.force_login(catalog.owner)
    data = client.get(URL, {"days": 31}).json()["data"]
    assert data["days"] == 31 and len(data["downloadsDaily"]) == 31
    assert {row["version"]: row["loads"] for row in data["versions"]}["1.1.0"] == 145
    assert client.get(URL, {"days": 90}).status_code == 200


@pytest.mark.parametrize("days", ["0", "91", "-3", "abc", "1.5", "9" * 30])
def test_a_bad_days_is_a_400_naming_the_field(client, catalog, days):
    client.force_login(catalog.owner)
    response = client.get(URL, {"days": days})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert set(error["details"]["fields"]) == {"days"}
    assert "days" in error["message"]


def test_anonymous_is_asked_to_sign_in(client, catalog):
    response = client.get(URL)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"


def not_found(response) -> None:
    assert response.status_code == 404
    error = response.json()["error"]
    assert error["code"] == "NOT_FOUND"
    assert error["message"] == "No plugin named 'wallet' whose analytics you may read."


def test_another_person_gets_the_404_of_a_missing_plugin(client, catalog):
    client.force_login(make_user())
    not_found(client.get(URL))
    missing = client.get("/api/v1/plugins/nothing-here/analytics").json()["error"]
    assert missing["message"] == "No plugin named 'nothing-here' whose analytics you may read."


def test_a_draft_package_is_as_hidden_as_a_missing_one(client, catalog):
    PluginPackage.objects.filter(pk=catalog.package.pk).update(status=PluginPackage.Status.DRAFT)
    client.force_login(make_user())
    not_found(client.get(URL))
    client.force_login(catalog.owner)
    assert client.get(URL).status_code == 200


def test_a_member_of_another_publisher_gets_404(client, catalog):
    other = make_user()
    make_package("other-plugin", publisher=make_publisher("rivals", owner=other))
    client.force_login(other)
    not_found(client.get(URL))


def test_another_publishers_token_gets_404(client, catalog):
    rivals = make_publisher("rivals")
    not_found(client.get(URL, **bearer(catalog, scopes=("read", "admin"), publisher=rivals)))


def test_staff_read_any_package(client, catalog):
    client.force_login(make_user(staff=True))
    assert client.get(URL).json()["data"]["activeInstalls"]["total"] == 15


@pytest.mark.parametrize("scopes", [("read",), ("admin",), ("read", "publish")])
def test_the_publishers_token_with_read_or_admin_scope_reads(client, catalog, scopes):
    response = client.get(URL, **bearer(catalog, scopes=scopes))
    assert response.status_code == 200
    assert response.json()["data"]["downloads"] == 16


def test_the_publishers_token_without_the_read_scope_is_403_naming_it(client, catalog):
    response = client.get(URL, **bearer(catalog, scopes=("publish",)))
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "FORBIDDEN" and "lacks the 'read' scope" in error["message"]


def test_a_token_limited_to_other_packages_is_403(client, catalog):
    make_package("other-plugin", publisher=catalog.publisher)
    response = client.get(URL, **bearer(catalog, packages=["other-plugin"]))
    assert response.status_code == 403
    assert "may act only on other-plugin" in response.json()["error"]["message"]
    allowed = bearer(catalog, packages=["wallet"])
    assert client.get(URL, **allowed).status_code == 200


def test_the_answer_takes_a_bounded_number_of_queries(
    client, catalog, django_assert_max_num_queries
):
    headers = bearer(catalog)
    client.get(URL, **headers)  # the token's last_used_at is written once a minute
    # Token, publisher membership, package, package limits, then the selector's five.
    with django_assert_max_num_queries(9):
        assert client.get(URL, **headers).status_code == 200
