import pytest
from django.test import Client

from tests.factories import make_user

pytestmark = [pytest.mark.urls("tests.naap.urls"), pytest.mark.django_db]


def error_of(response):
    body = response.json()
    assert body["success"] is False
    assert set(body) == {"success", "error"}
    return body["error"]


def test_success_is_wrapped_in_the_envelope_with_meta(client):
    client.force_login(make_user("alice"))
    response = client.get("/api/v1/t/private")
    assert response.status_code == 200
    assert response.json() == {"success": True, "data": {"user": "alice"}, "meta": {"note": "hi"}}


def test_validation_errors_name_every_field(client):
    response = client.post(
        "/api/v1/t/validation", {"count": 0, "items": "x"}, content_type="application/json"
    )
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "VALIDATION_ERROR"
    assert set(error["details"]["fields"]) == {"count", "items"}
    assert "greater than or equal to 1" in error["details"]["fields"]["count"]
    assert "count" in error["message"]


def test_malformed_json_is_bad_request(client):
    response = client.post("/api/v1/t/validation", "{nope", content_type="application/json")
    assert response.status_code == 400
    assert error_of(response)["code"] == "BAD_REQUEST"


def test_anonymous_access_to_a_private_route_is_unauthorized(client):
    response = client.get("/api/v1/t/private")
    # Session authentication sends no challenge, so DRF answers 403; the code still says why.
    assert response.status_code in {401, 403}
    assert error_of(response)["code"] == "UNAUTHORIZED"
    assert "credentials" in error_of(response)["message"]


def test_permission_denied_is_forbidden_with_the_reason(client):
    response = client.get("/api/v1/t/forbidden")
    assert response.status_code == 403
    assert error_of(response) == {"code": "FORBIDDEN", "message": "Only owners may do that."}


def test_django_permission_denied_is_forbidden(client):
    response = client.get("/api/v1/t/django-403")
    assert response.status_code == 403
    assert error_of(response)["code"] == "FORBIDDEN"


def test_http404_inside_a_view_is_not_found(client):
    response = client.get("/api/v1/t/django-404")
    assert response.status_code == 404
    assert error_of(response)["code"] == "NOT_FOUND"


def test_an_unknown_api_route_is_not_found_in_the_envelope(client):
    response = client.get("/api/v1/no-such-route")
    assert response.status_code == 404
    assert error_of(response)["code"] == "NOT_FOUND"
    assert "/api/v1/no-such-route" in error_of(response)["message"]


def test_a_wrong_method_is_bad_request_with_405(client):
    response = client.get("/api/v1/t/validation")
    assert response.status_code == 405
    assert error_of(response)["code"] == "BAD_REQUEST"


def test_domain_errors_keep_their_code_status_and_field(client):
    response = client.get("/api/v1/t/conflict")
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "CONFLICT"
    assert error["details"]["fields"] == {
        "version": "Version 1.0.0 already exists with other files."
    }
    response = client.get("/api/v1/t/too-large")
    assert response.status_code == 413
    assert error_of(response)["code"] == "PAYLOAD_TOO_LARGE"


def test_throttled_requests_are_rate_limited_with_retry_after(client):
    assert client.get("/api/v1/t/throttled").status_code == 200
    response = client.get("/api/v1/t/throttled")
    assert response.status_code == 429
    assert error_of(response)["code"] == "RATE_LIMITED"
    assert int(response["Retry-After"]) > 0


def test_an_unexpected_exception_is_internal_error_without_leaking_details():
    client = Client(raise_request_exception=False)
    response = client.get("/api/v1/t/unexpected")
    assert response.status_code == 500
    error = error_of(response)
    assert error["code"] == "INTERNAL_ERROR"
    assert "boom" not in error["message"]


def test_a_too_large_request_body_is_payload_too_large(client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    response = client.post(
        "/api/v1/t/validation", {"count": 1, "items": ["x" * 500]}, content_type="application/json"
    )
    assert response.status_code == 413
    assert error_of(response)["code"] == "PAYLOAD_TOO_LARGE"
