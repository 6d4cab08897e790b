"""Plugin grants: what a plugin's storage calls carry in the sandboxed shell, and nothing more."""

from __future__ import annotations

import time

import pytest
from django.test import Client, override_settings

from installs.models import PluginStorageEntry
from publishing.models import ApiToken
from tests.installs.helpers import error_of, frame_grants, install, publish_plugin, send

pytestmark = pytest.mark.django_db


@pytest.fixture
def plugins(wallet):
    publish_plugin("notes-board", "1.0.0")
    return wallet


@pytest.fixture
def grants(api, plugins) -> dict[str, str]:
    """The grants the shell frame gives the signed-in person's two plugins."""
    assert install(api, "my-wallet").status_code == 201
    assert install(api, "notes-board").status_code == 201
    return frame_grants(api, "my-wallet", "notes-board")


def as_plugin(grant: str, method: str, url: str, body=None):
    """A request from the frame: no cookies (a fresh client), the grant in Authorization."""
    return send(Client(), method, url, body, HTTP_AUTHORIZATION=f"NaapPlugin {grant}")


def test_a_grant_reads_and_writes_its_own_plugins_storage_for_its_person(grants, person):
    stored = as_plugin(
        grants["my-wallet"], "put", "/api/v1/plugins/my-wallet/storage/k", {"value": 7}
    )
    read = as_plugin(grants["my-wallet"], "get", "/api/v1/plugins/my-wallet/storage/k")
    listed = as_plugin(grants["my-wallet"], "get", "/api/v1/plugins/my-wallet/storage")

    assert stored.status_code == 201
    assert read.json()["data"]["value"] == 7
    assert [entry["key"] for entry in listed.json()["data"]["keys"]] == ["k"]
    assert PluginStorageEntry.objects.get().user == person


def test_a_grant_cannot_reach_another_plugins_storage(grants, person, plugins):
    PluginStorageEntry.objects.create(
        package=plugins.__class__.objects.get(name="notes-board"),
        user=person,
        key="secret",
        value=1,
    )

    read = as_plugin(grants["my-wallet"], "get", "/api/v1/plugins/notes-board/storage/secret")
    written = as_plugin(
        grants["my-wallet"], "put", "/api/v1/plugins/notes-board/storage/x", {"value": 1}
    )

    assert read.status_code == written.status_code == 403
    assert error_of(read)["message"] == (
        "This credential belongs to the plugin 'my-wallet'; it cannot reach 'notes-board'."
    )
    assert PluginStorageEntry.objects.count() == 1


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/plugins/installed"),
        ("post", "/api/v1/plugins/my-wallet/uninstall"),
        ("post", "/api/v1/plugins/my-wallet/preferences"),
        ("get", "/api/v1/tokens"),
        ("post", "/api/v1/tokens"),
        ("post", "/api/v1/publishers"),
    ],
)
def test_a_grant_opens_no_other_route(grants, method, url):
    response = as_plugin(grants["my-wallet"], method, url)

    # Elsewhere the grant is no credential at all: the request is anonymous.
    assert response.status_code == 401
    assert not ApiToken.objects.exists()


def test_a_grant_cannot_create_an_api_token(grants):
    response = Client().post(
        "/me/tokens/", {"name": "stolen"}, HTTP_AUTHORIZATION=f"NaapPlugin {grants['my-wallet']}"
    )

    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not ApiToken.objects.exists()


def test_a_grant_ends_with_the_session_it_was_given_in(grants, api):
    api.logout()

    response = as_plugin(grants["my-wallet"], "get", "/api/v1/plugins/my-wallet/storage")

    assert response.status_code == 401
    assert "reload the shell" in error_of(response)["message"]
    assert response["WWW-Authenticate"].startswith("NaapPlugin")


def test_a_grant_ends_when_the_password_changes(grants, person):
    person.set_password("a new one")
    person.save()

    assert (
        as_plugin(grants["my-wallet"], "get", "/api/v1/plugins/my-wallet/storage").status_code
        == 401
    )


def test_a_grant_ends_when_the_person_is_deactivated(grants, person):
    person.is_active = False
    person.save()

    assert (
        as_plugin(grants["my-wallet"], "get", "/api/v1/plugins/my-wallet/storage").status_code
        == 401
    )


def test_a_grant_expires(grants):
    time.sleep(1.1)
    with override_settings(NAAP_PLUGIN_TOKEN_LIFETIME=0):  # whole seconds: 1.1 s is too old
        response = as_plugin(grants["my-wallet"], "get", "/api/v1/plugins/my-wallet/storage")

    assert response.status_code == 401


@pytest.mark.parametrize(
    "grant", ["", "not-a-grant", "gAAAAA" + "x" * 100, "x" * 5000, "gAAAA\u00e9"]
)
def test_a_malformed_grant_is_401_in_the_envelope(grant):
    response = send(
        Client(),
        "get",
        "/api/v1/plugins/my-wallet/storage",
        HTTP_AUTHORIZATION=f"NaapPlugin {grant}",
    )

    assert response.status_code == 401
    assert error_of(response)["code"] == "UNAUTHORIZED"


def test_a_grant_made_with_another_secret_key_is_refused(grants):
    with override_settings(SECRET_KEY="another-secret-key-for-another-deployment"):
        response = as_plugin(grants["my-wallet"], "get", "/api/v1/plugins/my-wallet/storage")

    assert response.status_code == 401


def test_grants_survive_a_secret_key_rotation_through_the_fallbacks(grants, settings):
    old = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "the-new-secret-key-after-rotation", [old]

    response = as_plugin(grants["my-wallet"], "get", "/api/v1/plugins/my-wallet/storage")

    assert response.status_code == 200


def test_preflights_from_the_sandboxed_frame_are_answered_without_credentials(client):
    response = client.options(
        "/api/v1/plugins/my-wallet/storage/k",
        HTTP_ORIGIN="null",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="PUT",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="authorization, content-type",
    )

    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Authorization" in response["Access-Control-Allow-Headers"]
    assert "PUT" in response["Access-Control-Allow-Methods"]
    assert "Access-Control-Allow-Credentials" not in response


def test_api_answers_any_origin_but_never_with_credentials(client):
    response = client.get("/api/v1/plugins", HTTP_ORIGIN="null")

    assert response["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in response["Access-Control-Expose-Headers"]
    assert "Access-Control-Allow-Credentials" not in response
