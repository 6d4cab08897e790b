"""Request bodies are refused by their declared size before anything reads them: 1 MiB on every
route but publish, and a publish only once its sender may publish at all."""

from __future__ import annotations

import json

import pytest
from django.conf import settings
from django.test import Client

from installs.models import TenantPluginInstall
from registry.models import AuditEvent, PluginPackage, PluginVersion
from tests.factories import make_user, publish
from tests.publishing.helpers import bearer, publish_form, stored_files, token_for

pytestmark = pytest.mark.django_db
PUBLISH = "/api/v1/plugins/publish"
HUGE = str(300 * 1024 * 1024)


def error_of(response) -> dict:
    body = response.json()
    assert body["success"] is False and set(body["error"]) >= {"code", "message"}
    return body["error"]


def nothing_published(storage) -> bool:
    return (
        not PluginPackage.objects.exists()
        and not PluginVersion.objects.exists()
        and stored_files(storage) == []
    )


def test_the_limits_are_one_mib_and_a_publishs_largest_files():
    assert settings.NAAP_MAX_REQUEST_BYTES == 1024 * 1024
    # bundle + sourcemap (4 bundles) + styles + 1 MiB for the manifest, notes and multipart.
    publish_limit = 5 * settings.PLUGIN_MAX_BUNDLE_BYTES + 2 * 1024 * 1024
    assert publish_limit == settings.PUBLISH_MAX_REQUEST_BYTES == 27 * 1024 * 1024


def test_a_json_body_over_one_mib_is_413_before_it_is_read_and_installs_nothing(client):
    publish("my-wallet")
    client.force_login(make_user())
    body = json.dumps({"config": {"note": "x" * (1024 * 1024)}})
    response = client.post("/api/v1/plugins/my-wallet/install", body, "application/json")
    assert response.status_code == 413
    error = error_of(response)
    assert error["code"] == "PAYLOAD_TOO_LARGE"
    assert error["details"] == {"limit": 1024 * 1024, "size": len(body)}
    assert not TenantPluginInstall.objects.exists()


def test_a_declared_length_over_the_limit_is_refused_without_the_body(client):
    client.force_login(make_user())
    response = client.put(
        "/api/v1/plugins/my-wallet/storage/k", b"{}", "application/json", CONTENT_LENGTH=HUGE
    )
    assert response.status_code == 413
    assert error_of(response)["details"]["size"] == int(HUGE)


def test_a_page_form_over_the_limit_is_413_in_plain_text():
    csrf_client = Client(enforce_csrf_checks=True)
    response = csrf_client.post("/accounts/login/", {"username": "x" * (1024 * 1024)})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/plain")
    assert b"accepts at most 1048576" in response.content


def test_a_body_of_unknown_length_is_411(client):
    client.force_login(make_user())
    response = client.generic(
        "PUT",
        "/api/v1/plugins/my-wallet/storage/k",
        b"",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
    )
    assert response.status_code == 411
    assert "Content-Length" in error_of(response)["message"]


def test_a_content_length_that_is_not_a_number_is_400(client):
    response = client.post("/api/v1/publishers", b"{}", "application/json", CONTENT_LENGTH="1e9")
    assert response.status_code == 400
    assert error_of(response)["code"] == "BAD_REQUEST"


# --- publish: who may publish first, then the size, before the body is read ---------------


def test_an_anonymous_huge_publish_is_401_not_413(client, plugin_storage_in_tmp):
    response = client.post(PUBLISH, publish_form(), CONTENT_LENGTH=HUGE)
    assert response.status_code == 401
    assert error_of(response)["code"] == "UNAUTHORIZED"
    assert nothing_published(plugin_storage_in_tmp)


def test_a_huge_publish_with_a_wrong_token_is_401(client, plugin_storage_in_tmp):
    response = client.post(
        PUBLISH, publish_form(), CONTENT_LENGTH=HUGE, **bearer("naap_" + "x" * 43)
    )
    assert response.status_code == 401
    assert "Unknown API token" in error_of(response)["message"]


def test_a_huge_publish_with_a_token_that_may_not_publish_is_403(client, plugin_storage_in_tmp):
    _, _, _, secret = token_for(scopes=("read",))
    response = client.post(PUBLISH, publish_form(), CONTENT_LENGTH=HUGE, **bearer(secret))
    assert response.status_code == 403
    assert "lacks the 'publish' scope" in error_of(response)["message"]


def test_a_huge_publish_from_a_session_that_may_not_publish_is_403(client, plugin_storage_in_tmp):
    client.force_login(make_user())
    response = client.post(PUBLISH, publish_form(), CONTENT_LENGTH=HUGE)
    assert response.status_code == 403
    assert "API token" in error_of(response)["message"]


def test_a_huge_publish_with_a_good_token_is_413_naming_the_limit(client, plugin_storage_in_tmp):
    _, _, _, secret = token_for()
    response = client.post(PUBLISH, publish_form(), CONTENT_LENGTH=HUGE, **bearer(secret))
    assert response.status_code == 413
    error = error_of(response)
    assert error["code"] == "PAYLOAD_TOO_LARGE"
    assert error["details"] == {"limit": settings.PUBLISH_MAX_REQUEST_BYTES, "size": int(HUGE)}
    assert nothing_published(plugin_storage_in_tmp)
    assert not AuditEvent.objects.filter(action="version.publish").exists()


def test_a_publish_larger_than_other_routes_accept_is_still_a_publish(client):
    _, _, _, secret = token_for()
    form = publish_form(sourcemap=json.dumps({"pad": "x" * (2 * 1024 * 1024)}).encode())
    response = client.post(PUBLISH, form, **bearer(secret))
    assert response.status_code == 201, response.json()


def test_a_staff_session_publish_still_needs_the_csrf_token(plugin_storage_in_tmp):
    staff = Client(enforce_csrf_checks=True)
    staff.force_login(make_user(staff=True))
    response = staff.post(PUBLISH, publish_form(publisher="acme"))
    assert response.status_code == 403
    assert "CSRF" in error_of(response)["message"]
    assert nothing_published(plugin_storage_in_tmp)
