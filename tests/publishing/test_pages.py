"""The publisher and token pages."""

import re

import pytest

from publishing.models import ApiToken
from registry.models import Publisher
from tests.factories import make_publisher, make_user
from tests.publishing.helpers import token_for

pytestmark = pytest.mark.django_db


def test_pages_ask_anonymous_people_to_sign_in(client):
    for url in ["/publishers/new/", "/me/tokens/"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")


def test_the_sign_in_page_renders_with_labels(client):
    response = client.get("/accounts/login/")
    assert response.status_code == 200
    assert b'<label for="id_username">' in response.content


def test_creating_a_publisher_from_the_page(client):
    user = make_user()
    client.force_login(user)
    response = client.post(
        "/publishers/new/", {"name": "acme", "display_name": "Acme", "email": "", "website": ""}
    )
    assert response.status_code == 302
    assert Publisher.objects.get(name="acme").memberships.get().user == user


def test_a_refused_publisher_name_is_shown_next_to_the_field(client):
    client.force_login(make_user())
    response = client.post("/publishers/new/", {"name": "admin", "display_name": "Admin"})
    assert response.status_code == 200
    assert b"reserved" in response.content
    assert not Publisher.objects.exists()


def test_creating_a_token_shows_the_secret_once(client):
    user = make_user()
    make_publisher("acme", owner=user)
    client.force_login(user)
    response = client.post(
        "/me/tokens/", {"name": "ci", "publisher": "acme", "scopes": ["publish", "read"]}
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    secret = re.search(rb'value="(naap_[A-Za-z0-9_-]{43})"', response.content).group(1).decode()
    token = ApiToken.objects.get()
    assert token.prefix == secret[:12]
    assert token.scopes == ["publish", "read"]
    again = client.get("/me/tokens/")
    assert secret.encode() not in again.content
    assert token.prefix.encode() in again.content


def test_a_token_limited_to_an_unknown_package_is_refused_on_the_page(client):
    user = make_user()
    make_publisher("acme", owner=user)
    client.force_login(user)
    response = client.post(
        "/me/tokens/",
        {"name": "ci", "publisher": "acme", "scopes": ["publish"], "packages": "ghost"},
    )
    assert b"Not packages of" in response.content
    assert not ApiToken.objects.exists()


def test_revoking_from_the_page(client):
    user, _, token, _ = token_for()
    client.force_login(user)
    response = client.post(f"/me/tokens/{token.pk}/revoke/")
    assert response.status_code == 302
    assert ApiToken.objects.get().revoked_at is not None


def test_revoking_needs_post_and_csrf(client):
    user, _, token, _ = token_for()
    client.force_login(user)
    assert client.get(f"/me/tokens/{token.pk}/revoke/").status_code == 405
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(user)
    assert strict.post(f"/me/tokens/{token.pk}/revoke/").status_code == 403
    assert ApiToken.objects.get().revoked_at is None
