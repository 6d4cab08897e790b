"""Redis down or hung: the site answers from the database, writes go on, rate limits fail open
with a warning, and once Redis is back nothing it missed is served from it.

Against a redis-server of each test's own (tests/live.py): stopped ("down"; a persistent one
comes back with its data, as after a restart), paused with SIGSTOP ("hung": connections are
accepted and never answered; what was sent is acted on once it resumes), or reached through a
proxy that hangs (a partition: what was sent is never acted on, so generation bumps are lost).
In-process through Django's test client, and over HTTP through gunicorn serving naap.wsgi
(the hot paths in front of Django).
"""

from __future__ import annotations

import logging
import time

import pytest
from django.conf import settings
from django.core.cache import cache

from installs.services import install_plugin
from naap import throttles
from naap.redis_cache import CacheUnavailable
from registry.cache import download_counter_key, record_download
from registry.manifest_fastpath import ManifestFastPath, RateWindows
from registry.selectors import cached_manifest
from tests.factories import make_user, publish
from tests.live import HangingProxy, http, running_gunicorn, running_redis, wait_for
from tests.publishing.helpers import token_for
from tests.wsgi import call

pytestmark = pytest.mark.django_db(transaction=True)

MANIFEST = "/api/v1/plugins/registry/my-wallet/latest/manifest"
BOOTSTRAP = "/api/v1/plugins/installed"
TIMEOUT = 0.3  # seconds, the Redis socket timeouts of these tests


@pytest.fixture
def redis_server():
    with running_redis() as server:
        yield server


@pytest.fixture
def redis_link(redis_server):
    """The way to this test's Redis server: a proxy that can hang (a partition)."""
    proxy = HangingProxy(redis_server.port)
    yield proxy
    proxy.close()


@pytest.fixture
def redis_cache(settings, redis_server, redis_link):
    """The default cache on this test's Redis server; skipped for 0.2 s after a failure."""
    original = settings.CACHES
    settings.CACHES = {
        "default": {
            "BACKEND": "naap.redis_cache.NaapRedisCache",
            "LOCATION": f"redis://127.0.0.1:{redis_link.port}/0",
            "OPTIONS": {
                "socket_connect_timeout": TIMEOUT,
                "socket_timeout": TIMEOUT,
                "retry_after": 0.2,
            },
        }
    }
    yield cache
    redis_server.resume()
    redis_link.hanging = False
    settings.CACHES = original  # before the suite's own cache.clear() after the test


def answering() -> bool:
    return cache.answering()


def test_a_hung_redis_costs_one_timeout_then_the_cache_is_skipped(redis_cache, redis_server):
    cache.set("greeting", "hello")
    redis_server.pause()
    started = time.monotonic()
    answers = [cache.get("greeting", "missing") for _ in range(50)]
    assert answers == ["missing"] * 50
    assert time.monotonic() - started < 3 * TIMEOUT  # one timeout, not fifty
    cache.set("greeting", "dropped")  # dropped, remembered
    assert cache.add("other", 1) is False
    with pytest.raises(CacheUnavailable):
        cache.incr("counter")
    redis_server.resume()
    wait_for(answering)
    # What was written meanwhile is forgotten, not served from before the outage.
    assert cache.get("greeting", "missing") == "missing"
    cache.set("greeting", "hello again")
    assert cache.get("greeting") == "hello again"


def test_a_session_signed_out_while_redis_is_cut_off_stays_signed_out(
    client, redis_cache, redis_link
):
    client.force_login(make_user())
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert client.get(BOOTSTRAP).status_code == 200
    redis_link.hanging = True
    assert client.post("/accounts/logout/").status_code == 302
    redis_link.hanging = False
    wait_for(answering)
    # The signed-out session's cookie (another tab, a copy) must not bring it back.
    client.cookies[settings.SESSION_COOKIE_NAME] = session
    assert client.get(BOOTSTRAP).status_code == 401


def test_a_publish_while_redis_is_cut_off_is_not_hidden_by_entries_cached_before(
    redis_cache, redis_link
):
    first = publish("my-wallet", "1.0.0", marker="1")
    assert cached_manifest(name="my-wallet", reference="latest").document["version"] == "1.0.0"
    redis_link.hanging = True
    publish(
        "my-wallet",
        "1.1.0",
        actor=first.version.published_by,
        publisher=first.package.publisher,
        marker="2",
    )
    redis_link.hanging = False
    wait_for(answering)
    # The generation bumps were lost, but the renewed epoch retired the old entry (this
    # process read nothing meanwhile: the renewal is not owed to a read it dropped).
    assert cached_manifest(name="my-wallet", reference="latest").document["version"] == "1.1.0"


def test_writes_that_need_no_cache_go_on_while_redis_is_down(client, redis_cache, redis_server):
    publish("my-wallet", "1.0.0")
    client.force_login(make_user())
    redis_server.stop()
    installed = client.post("/api/v1/plugins/my-wallet/install", {}, "application/json")
    assert installed.status_code == 201, installed.content
    stored = client.put(
        "/api/v1/plugins/my-wallet/storage/theme", {"value": "dark"}, "application/json"
    )
    assert stored.status_code == 201, stored.content
    bootstrap = client.get(BOOTSTRAP)
    assert [plugin["name"] for plugin in bootstrap.json()["data"]["plugins"]] == ["my-wallet"]
    redis_server.start()
    wait_for(answering)
    bootstrap = client.get(BOOTSTRAP)
    assert [plugin["name"] for plugin in bootstrap.json()["data"]["plugins"]] == ["my-wallet"]
    stored = client.get("/api/v1/plugins/my-wallet/storage/theme")
    assert stored.json()["data"]["value"] == "dark"


def test_downloads_counted_while_redis_is_down_are_added_when_it_is_back(redis_cache, redis_server):
    version = publish("my-wallet", "1.0.0").version
    key = download_counter_key(time.strftime("%Y-%m-%d", time.gmtime()), version.pk)
    redis_server.stop()
    for _ in range(3):
        record_download(version_id=version.pk)
    redis_server.start()
    wait_for(answering)
    record_download(version_id=version.pk)
    assert cache.get(key) == 4


def test_rate_limits_fail_open_with_a_warning_while_redis_is_down(
    client, django_app, redis_cache, redis_server, monkeypatch, caplog
):
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    rates = {**api_settings.DEFAULT_THROTTLE_RATES, "anon_read": "1/min"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    monkeypatch.setattr(throttles, "_last_warnings", {})
    publish("my-wallet", "1.0.0")
    assert client.get("/api/v1/plugins/registry").status_code == 200
    assert client.get("/api/v1/plugins/registry").status_code == 429
    redis_server.stop()
    with caplog.at_level(logging.WARNING):
        for _ in range(3):
            response = client.get("/api/v1/plugins/registry")
            assert response.status_code == 200
            assert "RateLimit-Remaining" not in response  # nothing known to tell
        layer = ManifestFastPath(django_app, recheck=0)
        layer.windows = RateWindows(1, 60, sync_interval=0)
        assert [call(layer, MANIFEST).status_code for _ in range(3)] == [200, 200, 200]
    warnings = [record.getMessage() for record in caplog.records if record.levelname == "WARNING"]
    assert any("Redis at 127.0.0.1" in message for message in warnings)
    assert any("Rate limit anon_read not applied" in message for message in warnings)
    redis_server.start()
    wait_for(answering)


def test_readyz_names_a_hung_cache(client, redis_cache, redis_server):
    redis_server.pause()
    started = time.monotonic()
    response = client.get("/readyz")
    assert time.monotonic() - started < 5 * TIMEOUT
    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "storage": "ok", "cache": "error"}
    assert "Timeout" in response.json()["errors"]["cache"]


# --- over HTTP: gunicorn with the hot paths in front of Django ---


@pytest.fixture
def site(tmp_path):
    """A person with my-wallet installed, their session cookie, and a publish token."""
    user, publisher, _, secret = token_for()
    first = publish("my-wallet", "1.0.0", actor=user, publisher=publisher, marker="1")
    person = make_user()
    install_plugin(actor=person, name="my-wallet")
    from django.test import Client

    browser = Client()
    browser.force_login(person)
    return {
        "version": first.version,
        "cookie": f"{settings.SESSION_COOKIE_NAME}="
        + browser.cookies[settings.SESSION_COOKIE_NAME].value,
        "token": secret,
        "data_dir": tmp_path / "site",
    }


def publish_over_http(server, site, version: str):
    from tests.factories import plugin_bundle, plugin_manifest

    return http().post(
        f"{server.url}/api/v1/plugins/publish",
        headers={"Authorization": f"Bearer {site['token']}"},
        data={"manifest": __import__("json").dumps(plugin_manifest("my-wallet", version))},
        files={"bundle": ("bundle.js", plugin_bundle("my-wallet", version), "text/javascript")},
        timeout=30,
    )


def timed_get(server, path: str, **headers):
    started = time.monotonic()
    response = http().get(server.url + path, headers=headers, timeout=30)
    return response, time.monotonic() - started


def reads(site) -> list[tuple[str, dict]]:
    """What people read: the manifest, their bootstrap, the registry, pages."""
    return [
        (MANIFEST, {}),
        (BOOTSTRAP, {"Cookie": site["cookie"]}),
        ("/api/v1/plugins/registry", {}),
        ("/api/v1/plugins/registry/my-wallet", {}),
        ("/", {}),
        ("/plugins/my-wallet/", {}),
        ("/me/plugins/", {"Cookie": site["cookie"]}),
    ]


def assert_all_answer(server, site, *, version: str, slowest: float) -> None:
    for path, headers in reads(site):
        response, seconds = timed_get(server, path, **headers)
        assert response.status_code == 200, (path, response.status_code, response.text[:300])
        assert seconds < slowest, (path, seconds)
        if path == MANIFEST:
            assert response.json()["version"] == version
        if path == BOOTSTRAP:
            plugins = response.json()["data"]["plugins"]
            assert [plugin["name"] for plugin in plugins] == ["my-wallet"]


def test_with_redis_down_the_site_answers_from_the_database(site):
    with running_redis(persistent=True) as redis_server:
        check_redis_down(site, redis_server)


def check_redis_down(site, redis_server):
    environment = {
        "REDIS_URL": redis_server.url(),
        "NAAP_REDIS_TIMEOUT_MS": "300",
        "NAAP_REDIS_RETRY_MS": "500",
        "NAAP_THROTTLE_ANON_READ": "20/min",
        # Every manifest request reads the generation: none is answered from memory alone.
        "NAAP_MANIFEST_RECHECK_MS": "0",
    }
    with running_gunicorn(site["data_dir"], **environment) as server:
        for _ in range(2):  # the second round from the hot paths
            assert_all_answer(server, site, version="1.0.0", slowest=5)
        redis_server.stop()
        for _ in range(2):
            assert_all_answer(server, site, version="1.0.0", slowest=2)
        # Writes that need no cache go on, and are seen at once.
        published = publish_over_http(server, site, "1.1.0")
        assert published.status_code == 201, published.text
        assert_all_answer(server, site, version="1.1.0", slowest=2)
        # Rate limits fail open: more anonymous reads than the limit, all answered.
        statuses = {timed_get(server, "/api/v1/plugins/registry")[0].status_code for _ in range(25)}
        assert statuses == {200}
        ready = http().get(server.url + "/readyz", timeout=10)
        assert ready.status_code == 503
        assert ready.json()["checks"]["cache"] == "error"

        # Redis restarts with the data it saved, 1.0.0's entries included, under generations
        # the publish could not bump.
        redis_server.start()
        wait_for(lambda: http().get(server.url + "/readyz", timeout=10).status_code == 200)
        for _ in range(5):
            assert_all_answer(server, site, version="1.1.0", slowest=5)
            time.sleep(0.3)
        log = server.log()
    assert "Redis at 127.0.0.1" in log
    assert "Rate limit anon_read not applied" in log
    assert "Internal Server Error" not in log


def test_with_redis_hung_the_site_answers_at_once_and_nothing_stale_is_served_after(
    site, redis_link
):
    environment = {
        "REDIS_URL": f"redis://127.0.0.1:{redis_link.port}/0",
        "NAAP_REDIS_TIMEOUT_MS": "300",
        "NAAP_REDIS_RETRY_MS": "500",
    }
    with (
        running_gunicorn(site["data_dir"], **environment) as first,
        running_gunicorn(site["data_dir"], **environment) as second,
    ):
        for server in (first, second):
            for _ in range(2):
                assert_all_answer(server, site, version="1.0.0", slowest=5)
        redis_link.hanging = True
        # The first request waits one timeout; then the cache is skipped.
        started = time.monotonic()
        for _ in range(3):
            assert_all_answer(server=first, site=site, version="1.0.0", slowest=1.5)
        assert time.monotonic() - started < 6
        published = publish_over_http(first, site, "1.1.0")
        assert published.status_code == 201, published.text
        time.sleep(1)  # NAAP_MANIFEST_RECHECK_MS: answers kept in memory stand for a second
        assert_all_answer(first, site, version="1.1.0", slowest=1.5)

        redis_link.hanging = False
        # The second server saw nothing of the outage and still holds 1.0.0 (in Redis and in
        # its workers' memory), under generations the publish could not bump. Once the first
        # server reaches Redis again it renews the epoch, and the second follows.
        wait_for(
            lambda: http().get(second.url + MANIFEST, timeout=10).json()["version"] == "1.1.0",
            timeout=10,
        )
        assert_all_answer(second, site, version="1.1.0", slowest=5)
        assert "Internal Server Error" not in first.log() + second.log()
