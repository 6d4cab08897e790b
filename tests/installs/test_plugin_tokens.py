"""Short-lived plugin tokens: how long they live, and their renewal by the marketplace's shell
page (POST /api/v1/plugins/{name}/token, session and CSRF) in exchange for the previous one."""

from __future__ import annotations

import time

import pytest
from django.test import Client, override_settings

from installs.models import PluginStorageEntry
from tests.installs.helpers import error_of, frame_grants, install, publish_plugin, send

pytestmark = pytest.mark.django_db

STORAGE = "/api/v1/plugins/my-wallet/storage"


@pytest.fixture
def tokens(api, wallet) -> dict[str, str]:
    """The tokens the shell frame gives the signed-in person's two plugins."""
    publish_plugin("notes-board", "1.0.0")
    assert install(api, "my-wallet").status_code == 201
    assert install(api, "notes-board").status_code == 201
    return frame_grants(api, "my-wallet", "notes-board")


def renew(client, name: str, grant, **extra):
    return send(client, "post", f"/api/v1/plugins/{name}/token", {"grant": grant}, **extra)


def as_plugin(token: str, method: str = "get", url: str = STORAGE, body=None):
    return send(Client(), method, url, body, HTTP_AUTHORIZATION=f"NaapPlugin {token}")


def test_the_frame_gets_the_token_lifetime_from_the_setting(api, tokens):
    page = api.get("/sandbox/shell/").content.decode()

    assert '"tokenLifetime": 600' in page


def test_a_token_ends_after_its_short_lifetime(tokens):
    time.sleep(1.1)
    with override_settings(NAAP_PLUGIN_TOKEN_LIFETIME=0):  # whole seconds: 1.1 s is too old
        response = as_plugin(tokens["my-wallet"])

    assert response.status_code == 401
    assert "reload the shell" in error_of(response)["message"]


def test_an_expired_token_is_renewed_with_the_session_and_the_new_one_works(api, tokens):
    time.sleep(1.1)
    with override_settings(NAAP_PLUGIN_TOKEN_LIFETIME=0):
        assert as_plugin(tokens["my-wallet"]).status_code == 401
    response = renew(api, "my-wallet", tokens["my-wallet"])
    fresh = response.json()["data"]

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    assert fresh["expiresIn"] == 600
    assert fresh["token"] != tokens["my-wallet"]
    assert as_plugin(fresh["token"], "put", f"{STORAGE}/k", {"value": 1}).status_code == 201
    assert PluginStorageEntry.objects.get().key == "k"


def test_a_token_older_than_the_renewal_window_is_refused(api, tokens):
    time.sleep(1.1)
    with override_settings(NAAP_PLUGIN_GRANT_MAX_AGE=0):
        response = renew(api, "my-wallet", tokens["my-wallet"])

    assert response.status_code == 401
    assert error_of(response)["code"] == "UNAUTHORIZED"
    assert "too old" in error_of(response)["message"]


def test_one_plugins_token_does_not_renew_another_plugins(api, tokens):
    response = renew(api, "notes-board", tokens["my-wallet"])

    assert response.status_code == 403
    assert error_of(response)["message"] == (
        "This credential belongs to the plugin 'my-wallet'; it cannot renew 'notes-board'."
    )


def test_renewing_needs_a_session(tokens):
    response = renew(Client(), "my-wallet", tokens["my-wallet"])

    assert response.status_code == 401
    assert error_of(response)["code"] == "UNAUTHORIZED"
    assert "token" not in response.json().get("data", {})


def test_a_plugin_token_cannot_renew_itself(tokens):
    """The frame has no session: its own token is no credential for the renewal."""
    response = renew(
        Client(),
        "my-wallet",
        tokens["my-wallet"],
        HTTP_AUTHORIZATION=f"NaapPlugin {tokens['my-wallet']}",
    )

    assert response.status_code in {401, 403}
    assert "data" not in response.json()


def test_renewing_needs_the_csrf_token(api, tokens):
    api.handler.enforce_csrf_checks = True  # as a browser: the session alone is not enough

    refused = renew(api, "my-wallet", tokens["my-wallet"])
    api.get("/shell/")  # the shell page, which carries the CSRF token
    accepted = renew(
        api, "my-wallet", tokens["my-wallet"], HTTP_X_CSRFTOKEN=api.cookies["csrftoken"].value
    )

    assert refused.status_code == 403
    assert error_of(refused)["code"] == "FORBIDDEN"
    assert "CSRF" in error_of(refused)["message"]
    assert accepted.status_code == 200


def test_a_token_from_another_session_is_not_renewed(person, tokens):
    other = Client()
    other.force_login(person)  # the same person, signed in elsewhere

    response = renew(other, "my-wallet", tokens["my-wallet"])

    assert response.status_code == 401
    assert error_of(response)["code"] == "UNAUTHORIZED"
    assert "another session" in error_of(response)["message"]


def test_a_token_for_an_uninstalled_plugin_is_not_renewed(api, tokens):
    send(api, "delete", "/api/v1/plugins/notes-board/uninstall", {})

    response = renew(api, "notes-board", tokens["notes-board"])

    assert response.status_code == 404
    assert error_of(response)["code"] == "NOT_FOUND"


@pytest.mark.parametrize("grant", ["", "not-a-token", "gAAAAA" + "x" * 80, 7, None])
def test_a_malformed_previous_token_is_refused_in_the_envelope(api, tokens, grant):
    response = renew(api, "my-wallet", grant)

    assert response.status_code in {400, 401}
    assert error_of(response)["code"] in {"VALIDATION_ERROR", "BAD_REQUEST", "UNAUTHORIZED"}


def test_a_plugins_token_changes_its_own_config_but_not_anothers(tokens, person):
    own = as_plugin(
        tokens["my-wallet"],
        "put",
        "/api/v1/plugins/my-wallet/config",
        {"config": {"currency": "USD"}},
    )
    other = as_plugin(
        tokens["my-wallet"], "put", "/api/v1/plugins/notes-board/config", {"config": {}}
    )

    assert own.status_code == 200
    assert own.json()["data"]["config"]["currency"] == "USD"
    assert other.status_code == 403
