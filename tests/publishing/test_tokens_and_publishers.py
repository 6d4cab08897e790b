"""Publishers and API tokens: creation, secrecy, scopes, expiry, revocation."""

import hashlib
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from publishing.models import ApiToken
from registry.models import AuditEvent, Publisher
from tests.factories import make_publisher, make_user
from tests.publishing.helpers import bearer, token_for

pytestmark = pytest.mark.django_db


def test_a_signed_in_user_creates_a_publisher_and_becomes_its_owner(client):
    user = make_user("alice")
    client.force_login(user)
    response = client.post(
        "/api/v1/publishers",
        {"name": "acme", "displayName": "Acme Corp", "email": "dev@acme.test"},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["data"]["verified"] is False
    publisher = Publisher.objects.get(name="acme")
    assert publisher.memberships.get().user == user
    assert publisher.memberships.get().role == "owner"
    assert AuditEvent.objects.filter(action="publisher.create").exists()


def test_anonymous_users_cannot_create_publishers(client):
    response = client.post(
        "/api/v1/publishers", {"name": "acme", "displayName": "A"}, content_type="application/json"
    )
    assert response.status_code == 401
    assert not Publisher.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "Acme", "displayName": "A"}, "name"),
        ({"name": "admin", "displayName": "A"}, "name"),
        ({"name": "acme"}, "displayName"),
        ({"name": "acme", "displayName": "A", "email": "nope"}, "email"),
    ],
)
def test_invalid_publishers_are_refused_naming_the_field(client, payload, field):
    client.force_login(make_user())
    response = client.post("/api/v1/publishers", payload, content_type="application/json")
    assert response.status_code == 400
    assert field in response.json()["error"]["details"]["fields"]
    assert not Publisher.objects.exists()


def test_a_taken_publisher_name_is_409(client):
    make_publisher("acme")
    client.force_login(make_user())
    response = client.post(
        "/api/v1/publishers", {"name": "acme", "displayName": "A"}, content_type="application/json"
    )
    assert response.status_code == 409
    assert Publisher.objects.count() == 1


def test_a_member_creates_a_token_whose_secret_is_shown_once_and_stored_hashed(client):
    user = make_user()
    publisher = make_publisher("acme", owner=user)
    client.force_login(user)
    response = client.post(
        "/api/v1/tokens",
        {"name": "ci", "publisher": "acme", "scopes": ["publish"]},
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    secret = data["token"]
    assert re.fullmatch(r"naap_[A-Za-z0-9_-]{43}", secret)
    token = ApiToken.objects.get()
    assert token.token_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:12] == data["prefix"]
    assert token.publisher == publisher
    stored_values = [str(value) for value in ApiToken.objects.values().get().values()]
    assert secret not in stored_values
    listing = client.get("/api/v1/tokens").json()["data"]
    assert listing[0]["prefix"] == secret[:12]
    assert "token" not in listing[0]


def test_a_non_member_cannot_create_a_publishers_token(client):
    make_publisher("acme", owner=make_user())
    client.force_login(make_user())
    response = client.post(
        "/api/v1/tokens",
        {"name": "ci", "publisher": "acme", "scopes": ["publish"]},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "ci", "publisher": "acme", "scopes": ["everything"]}, "scopes[0]"),
        ({"name": "ci", "publisher": "acme", "scopes": []}, "scopes"),
        ({"name": "ci", "publisher": "acme", "scopes": ["read"], "packages": ["nope"]}, "packages"),
        (
            {
                "name": "ci",
                "publisher": "acme",
                "scopes": ["read"],
                "expiresAt": "2001-01-01T00:00Z",
            },
            "expiresAt",
        ),
        ({"name": "ci", "publisher": "ghost", "scopes": ["read"]}, "publisher"),
    ],
)
def test_invalid_token_requests_are_refused_naming_the_field(client, payload, field):
    user = make_user()
    make_publisher("acme", owner=user)
    client.force_login(user)
    response = client.post("/api/v1/tokens", payload, content_type="application/json")
    assert response.status_code in {400, 404}, response.json()
    assert field in response.json()["error"]["details"]["fields"], response.json()
    assert not ApiToken.objects.exists()


def test_revoking_a_token_stops_it_working(client):
    user, _, token, secret = token_for()
    client.force_login(user)
    response = client.delete(f"/api/v1/tokens/{token.pk}")
    assert response.status_code == 200
    assert response.json()["data"]["active"] is False
    client.logout()
    denied = client.post("/api/v1/plugins/publish", {}, **bearer(secret))
    assert denied.status_code == 401
    assert "revoked" in denied.json()["error"]["message"]
    assert AuditEvent.objects.filter(action="token.revoke").exists()


def test_a_token_stops_working_when_its_owner_leaves_the_publisher(client):
    user, publisher, _, secret = token_for()
    assert client.post("/api/v1/plugins/publish", {}, **bearer(secret)).status_code == 400
    publisher.memberships.filter(user=user).delete()
    denied = client.post("/api/v1/plugins/publish", {}, **bearer(secret))
    assert denied.status_code == 401
    error = denied.json()["error"]
    assert error["code"] == "UNAUTHORIZED"
    assert f"no longer belongs to publisher '{publisher.name}'" in error["message"]


def test_a_token_stops_working_when_its_owner_is_deactivated(client):
    user, _, _, secret = token_for()
    user.is_active = False
    user.save()
    denied = client.post("/api/v1/plugins/publish", {}, **bearer(secret))
    assert denied.status_code == 401
    assert "no longer active" in denied.json()["error"]["message"]


def test_a_staff_token_for_another_publisher_dies_with_the_staff_role(client):
    staff = make_user(staff=True)
    publisher = make_publisher()
    _, _, _, secret = token_for(publisher, user=staff)
    publisher.memberships.filter(user=staff).delete()
    assert client.post("/api/v1/plugins/publish", {}, **bearer(secret)).status_code == 400
    staff.is_staff = False
    staff.save()
    assert client.post("/api/v1/plugins/publish", {}, **bearer(secret)).status_code == 401


def test_another_users_token_cannot_be_revoked(client):
    _, _, token, _ = token_for()
    client.force_login(make_user())
    assert client.delete(f"/api/v1/tokens/{token.pk}").status_code == 404
    assert ApiToken.objects.get().revoked_at is None


def test_tokens_cannot_manage_tokens(client):
    _, _, _, secret = token_for(scopes=("admin",))
    response = client.get("/api/v1/tokens", **bearer(secret))
    assert response.status_code == 403


def test_using_a_token_records_last_used_at(client):
    _, _, token, secret = token_for()
    assert ApiToken.objects.get().last_used_at is None
    client.post("/api/v1/plugins/publish", {}, **bearer(secret))
    assert ApiToken.objects.get(pk=token.pk).last_used_at is not None


def test_a_token_that_expires_in_the_future_works_until_then(client):
    _, _, token, secret = token_for(expires_at=timezone.now() + timedelta(days=1))
    response = client.post("/api/v1/plugins/publish", {}, **bearer(secret))
    assert response.status_code == 400  # authenticated; only the empty form is wrong
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert client.post("/api/v1/plugins/publish", {}, **bearer(secret)).status_code == 401


def test_a_malformed_authorization_header_is_401(client):
    response = client.post("/api/v1/plugins/publish", {}, HTTP_AUTHORIZATION="Bearer two words")
    assert response.status_code == 401
    assert "Malformed" in response.json()["error"]["message"]


def test_a_token_cannot_create_a_publisher_and_nothing_is_written(client):
    _, _, _, secret = token_for(scopes=("admin",))
    response = client.post(
        "/api/v1/publishers",
        {"name": "acme", "displayName": "Acme"},
        content_type="application/json",
        **bearer(secret),
    )
    assert response.status_code == 403
    assert response.json() == {
        "success": False,
        "error": {
            "code": "FORBIDDEN",
            "message": "Sign in to manage publishers and tokens; API tokens cannot.",
        },
    }
    assert not Publisher.objects.filter(name="acme").exists()
