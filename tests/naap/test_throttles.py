"""Rate limits: anonymous reads, signed-in writes and publishes, each from settings."""

import pytest
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from tests.factories import make_user
from tests.publishing.helpers import bearer, publish_form, token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def rates(monkeypatch):
    """Lower the configured rates for one test (DRF reads them when a throttle is made)."""

    def set_rates(**overrides):
        monkeypatch.setattr(
            SimpleRateThrottle,
            "THROTTLE_RATES",
            {**api_settings.DEFAULT_THROTTLE_RATES, **overrides},
        )

    return set_rates


def assert_rate_limited(response):
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "RATE_LIMITED"
    assert int(response["Retry-After"]) >= 1


def test_anonymous_reads_are_limited(client, rates):
    rates(anon_read="2/min")
    assert client.get("/api/v1/plugins/registry").status_code == 200
    assert client.get("/api/v1/plugins/registry").status_code == 200
    assert_rate_limited(client.get("/api/v1/plugins/registry"))


def test_a_forwarded_for_header_does_not_give_a_client_a_new_allowance(client, rates):
    rates(anon_read="2/min")
    for forged in ("10.0.0.1", "10.0.0.2"):
        response = client.get("/api/v1/plugins/registry", HTTP_X_FORWARDED_FOR=forged)
        assert response.status_code == 200
    assert_rate_limited(client.get("/api/v1/plugins/registry", HTTP_X_FORWARDED_FOR="10.0.0.3"))


def test_behind_a_trusted_proxy_each_client_has_its_own_allowance(client, rates, settings):
    rates(anon_read="1/min")
    settings.NAAP_TRUSTED_PROXIES = ["127.0.0.0/8"]
    for address in ("198.51.100.1", "198.51.100.2"):
        response = client.get(
            "/api/v1/plugins/registry", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=address
        )
        assert response.status_code == 200
    again = client.get(
        "/api/v1/plugins/registry", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="198.51.100.1"
    )
    assert_rate_limited(again)


def test_signed_in_reads_are_not_limited_by_the_anonymous_rate(client, rates):
    rates(anon_read="1/min")
    client.force_login(make_user())
    for _ in range(3):
        assert client.get("/api/v1/plugins/registry").status_code == 200


def test_writes_are_limited_per_user(client, rates):
    rates(user_write="1/min")
    client.force_login(make_user())
    payload = {"name": "acme-one", "displayName": "A"}
    assert (
        client.post("/api/v1/publishers", payload, content_type="application/json").status_code
        == 201
    )
    payload = {"name": "acme-two", "displayName": "B"}
    assert_rate_limited(client.post("/api/v1/publishers", payload, content_type="application/json"))


def test_publishes_have_their_own_limit(client, rates):
    rates(publish="1/min")
    _, _, _, secret = token_for()
    assert (
        client.post("/api/v1/plugins/publish", publish_form(), **bearer(secret)).status_code == 201
    )
    second = client.post("/api/v1/plugins/publish", publish_form(version="1.0.1"), **bearer(secret))
    assert_rate_limited(second)


def rate_limit_of(response) -> tuple[int, int, int]:
    return (
        int(response["RateLimit-Limit"]),
        int(response["RateLimit-Remaining"]),
        int(response["RateLimit-Reset"]),
    )


def test_answers_of_throttled_routes_say_the_limit_and_what_is_left(client, rates):
    rates(anon_read="3/min")
    answers = [client.get("/api/v1/plugins/registry") for _ in range(3)]
    assert [rate_limit_of(answer)[:2] for answer in answers] == [(3, 2), (3, 1), (3, 0)]
    assert all(55 <= rate_limit_of(answer)[2] <= 60 for answer in answers)
    limited = client.get("/api/v1/plugins/registry")
    assert_rate_limited(limited)
    limit, remaining, reset = rate_limit_of(limited)
    assert (limit, remaining) == (3, 0)
    assert int(limited["Retry-After"]) == reset
    assert limited.json() == {
        "success": False,
        "error": {
            "code": "RATE_LIMITED",
            "message": f"Too many requests: try again in {reset} seconds.",
        },
    }


def test_retry_after_is_when_a_request_fits_again_after_the_rate_was_lowered(client, rates):
    rates(anon_read="5/min")
    for _ in range(4):
        assert client.get("/api/v1/plugins/registry").status_code == 200
    rates(anon_read="2/min")
    limited = client.get("/api/v1/plugins/registry")
    assert_rate_limited(limited)
    # Three of the four counted requests must leave the window: about a minute, not 1 s.
    assert 55 <= int(limited["Retry-After"]) <= 60


def test_signed_in_reads_carry_no_rate_limit(client, rates):
    rates(anon_read="1/min")
    client.force_login(make_user())
    assert "RateLimit-Limit" not in client.get("/api/v1/plugins/registry")


def test_a_publish_reports_the_tighter_of_its_two_limits(client, rates):
    rates(publish="2/hour", user_write="100/min")
    _, _, _, secret = token_for()
    published = client.post("/api/v1/plugins/publish", publish_form(), **bearer(secret))
    assert published.status_code == 201
    limit, remaining, reset = rate_limit_of(published)
    assert (limit, remaining) == (2, 1)
    assert 3590 <= reset <= 3600


def test_writes_carry_the_write_limit(client, rates):
    rates(user_write="5/min")
    client.force_login(make_user())
    payload = {"name": "acme-one", "displayName": "A"}
    created = client.post("/api/v1/publishers", payload, content_type="application/json")
    assert created.status_code == 201
    assert rate_limit_of(created)[:2] == (5, 4)


def test_browsers_on_other_origins_may_read_the_rate_limit(client, rates):
    rates(anon_read="3/min")
    response = client.get("/api/v1/plugins/registry", HTTP_ORIGIN="https://shell.example")
    exposed = {name.strip() for name in response["Access-Control-Expose-Headers"].split(",")}
    assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "Retry-After"} <= exposed
    assert "RateLimit-Limit" in response
