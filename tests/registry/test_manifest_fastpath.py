"""The manifest hot path in front of Django (registry/manifest_fastpath.py), through WSGI.

Each test calls the layer the way gunicorn does, with Django's real WSGI handler behind it,
against the local-memory cache and against the real Redis server.
"""

from io import StringIO

import pytest
from django.core.management import call_command
from rest_framework.throttling import SimpleRateThrottle

from publishing import services
from registry.manifest_fastpath import DownloadBatch, ManifestFastPath, RateWindows
from registry.models import DownloadStat, PluginPackage, PluginVersion
from tests.factories import publish
from tests.wsgi import call

pytestmark = pytest.mark.django_db


def wait(windows, ip: str) -> int:
    """Count one request of `ip`: 0 when allowed, else the seconds until its window ends."""
    allowed, rate_limit = windows.count(ip)
    return 0 if allowed or rate_limit is None else rate_limit.reset


@pytest.fixture
def layer(django_app, cache_backend):
    return ManifestFastPath(django_app, flush_interval=3600, recheck=0)


@pytest.fixture
def wallet():
    first = publish("my-wallet", "1.0.0", marker="1")
    owner, publisher = first.version.published_by, first.package.publisher
    publish("my-wallet", "1.1.0", actor=owner, publisher=publisher, marker="2")
    return owner


def without_rate_limit(headers: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(name, value) for name, value in headers if not name.startswith("RateLimit-")]


def manifest_path(name="my-wallet", version="latest"):
    return f"/api/v1/plugins/registry/{name}/{version}/manifest"


def test_a_repeated_manifest_request_is_answered_without_django(layer, django_app, wallet):
    first = call(layer, manifest_path())
    second = call(layer, manifest_path())
    assert first.status_code == second.status_code == 200
    assert django_app.calls == [manifest_path()]  # the second never reached Django
    assert second.body == first.body
    assert second.json()["version"] == "1.1.0"
    # Every header the middleware added is kept: caching, ETag, the security headers; only
    # the rate limit's headers are the layer's own, per request.
    assert without_rate_limit(second.header_list) == without_rate_limit(first.header_list)
    assert first.headers["ratelimit-remaining"] == "599"
    assert second.headers["ratelimit-remaining"] == "598"
    assert second.headers["cache-control"] == "public, max-age=300"
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["x-content-type-options"] == "nosniff"


def test_if_none_match_gets_a_304_from_the_hot_path(layer, django_app, wallet):
    etag = call(layer, manifest_path()).headers["etag"]
    answer = call(layer, manifest_path(), HTTP_IF_NONE_MATCH=f'"other", {etag}')
    assert answer.status_code == 304
    assert answer.body == b""
    assert answer.headers["etag"] == etag
    assert "content-type" not in answer.headers
    assert call(layer, manifest_path(), HTTP_IF_NONE_MATCH='"other"').status_code == 200
    assert len(django_app.calls) == 1


def test_a_rollback_is_seen_by_the_next_request(layer, django_app, wallet):
    assert call(layer, manifest_path()).json()["version"] == "1.1.0"
    assert call(layer, manifest_path()).json()["version"] == "1.1.0"
    package = PluginPackage.objects.get()
    services.rollback_deployment(actor=wallet, package=package, to_version="1.0.0")
    assert call(layer, manifest_path()).json()["version"] == "1.0.0"
    assert len(django_app.calls) == 2  # the new generation went through Django once
    assert call(layer, manifest_path()).json()["version"] == "1.0.0"
    assert len(django_app.calls) == 2


def test_a_yank_is_seen_by_the_next_exact_version_request(layer, wallet):
    assert "yanked" not in call(layer, manifest_path(version="1.1.0")).json()
    version = PluginVersion.objects.get(version="1.1.0")
    services.yank_version(actor=wallet, version=version, reason="broken")
    assert call(layer, manifest_path(version="1.1.0")).json()["yanked"] is True
    assert call(layer, manifest_path()).json()["version"] == "1.0.0"


def test_downloads_on_the_hot_path_are_counted_and_flushed(layer, wallet):
    for _ in range(4):
        call(layer, manifest_path())
    call(layer, manifest_path(version="1.0.0"))
    call(layer, manifest_path(version="1.0.0"))
    layer.downloads.flush()
    call_command("flush_download_stats", stdout=StringIO())
    stats = {stat.version.version: stat.count for stat in DownloadStat.objects.all()}
    # The first request of each went through Django, which counted it itself.
    assert stats == {"1.1.0": 4, "1.0.0": 2}
    assert PluginPackage.objects.get().downloads == 6


def test_a_304_on_the_hot_path_is_not_a_download(layer, wallet):
    etag = call(layer, manifest_path()).headers["etag"]
    call(layer, manifest_path(), HTTP_IF_NONE_MATCH=etag)
    layer.downloads.flush()
    call_command("flush_download_stats", stdout=StringIO())
    assert DownloadStat.objects.get().count == 1


def test_the_download_batch_flushes_once_its_interval_has_passed(cache_backend, wallet):
    version_id = PluginVersion.objects.get(version="1.1.0").pk
    batch = DownloadBatch(interval=3600)
    batch.add(version_id)
    batch.add(version_id)
    call_command("flush_download_stats", stdout=StringIO())
    assert not DownloadStat.objects.exists()  # held in the worker
    batch.interval = 0
    batch.add(version_id)  # due: all three go to the cache counters
    call_command("flush_download_stats", stdout=StringIO())
    assert DownloadStat.objects.get().count == 3


def test_unknown_plugins_get_djangos_404_envelope_every_time(layer, django_app, wallet):
    for _ in range(2):
        answer = call(layer, manifest_path(name="nope"))
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "NOT_FOUND"
    assert len(django_app.calls) == 2


@pytest.mark.parametrize(
    "extra",
    [
        {"HTTP_COOKIE": "sessionid=abc"},
        {"HTTP_AUTHORIZATION": "Bearer naap_x"},
        {"QUERY_STRING": "x=1"},
        {"REQUEST_METHOD": "HEAD"},
    ],
    ids=["session", "token", "query", "head"],
)
def test_signed_in_and_unusual_requests_take_the_django_path(layer, django_app, wallet, extra):
    call(layer, manifest_path())
    call(layer, manifest_path(), **extra)
    assert len(django_app.calls) == 2


def test_other_routes_always_go_to_django(layer, django_app, wallet):
    call(layer, "/api/v1/plugins/registry/my-wallet")
    call(layer, "/api/v1/plugins/registry/my-wallet")
    assert len(django_app.calls) == 2


def test_a_host_django_refuses_is_never_answered_from_memory(layer, django_app, wallet, settings):
    settings.ALLOWED_HOSTS = ["testserver"]
    call(layer, manifest_path())
    for _ in range(2):
        assert call(layer, manifest_path(), host="evil.example").status_code == 400
    assert len(django_app.calls) == 3


def test_https_and_http_answers_are_kept_apart(layer, django_app, wallet, settings):
    settings.SECURE_HSTS_SECONDS = 3600
    plain = call(layer, manifest_path())
    secure = call(layer, manifest_path(), **{"wsgi.url_scheme": "https"})
    assert "strict-transport-security" not in plain.headers
    assert "strict-transport-security" in secure.headers
    again = call(layer, manifest_path(), **{"wsgi.url_scheme": "https"})
    assert "strict-transport-security" in again.headers
    assert len(django_app.calls) == 2


def test_the_anonymous_read_rate_applies_on_the_hot_path(django_app, cache_backend, wallet):
    layer = ManifestFastPath(django_app, flush_interval=3600, recheck=0)
    layer.windows = RateWindows(2, 60, sync_interval=0)
    assert call(layer, manifest_path()).status_code == 200
    assert call(layer, manifest_path()).status_code == 200
    limited = call(layer, manifest_path())
    assert limited.status_code == 429
    assert limited.json() == {
        "success": False,
        "error": {
            "code": "RATE_LIMITED",
            "message": f"Too many requests: try again in {limited.headers['retry-after']} seconds.",
        },
    }
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    # Another client address has its own window.
    assert call(layer, manifest_path(), REMOTE_ADDR="10.0.0.2").status_code == 200


def test_the_hot_path_counts_clients_behind_a_trusted_proxy_as_the_throttle_does(
    django_app, cache_backend, wallet, settings
):
    settings.NAAP_TRUSTED_PROXIES = ["127.0.0.0/8"]
    layer = ManifestFastPath(django_app, flush_interval=3600, recheck=0)
    layer.windows = RateWindows(1, 60, sync_interval=0)
    first = {"HTTP_X_FORWARDED_FOR": "198.51.100.1"}
    assert call(layer, manifest_path(), **first).status_code == 200
    assert call(layer, manifest_path(), HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 200
    assert call(layer, manifest_path(), **first).status_code == 429
    # A client that writes the header itself, not through the proxy, is still itself.
    settings.NAAP_TRUSTED_PROXIES = []
    forged = {"REMOTE_ADDR": "203.0.113.9", "HTTP_X_FORWARDED_FOR": "198.51.100.3"}
    assert call(layer, manifest_path(), **forged).status_code == 200
    assert call(layer, manifest_path(), **forged).status_code == 429


@pytest.mark.parametrize(
    ("rate", "window"),
    [("600/min", (600, 60)), ("5/s", (5, 1)), ("30/hour", (30, 3600)), (None, None)],
)
def test_the_rate_is_the_anonymous_read_throttles(django_app, monkeypatch, rate, window):
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon_read": rate})
    windows = ManifestFastPath(django_app).windows
    assert (windows and (windows.limit, windows.period)) == window


def test_the_kept_answers_are_bounded(django_app, cache_backend, wallet):
    layer = ManifestFastPath(django_app, max_entries=1, flush_interval=3600, recheck=0)
    call(layer, manifest_path())
    call(layer, manifest_path(version="1.0.0"))
    call(layer, manifest_path())  # the first was dropped to make room for the second
    assert len(django_app.calls) == 3


def test_the_wsgi_application_is_wrapped():
    from installs.bootstrap_fastpath import BootstrapFastPath
    from naap import wsgi
    from registry.field_fastpath import FieldReportsFastPath

    # Field reports, then bootstraps, then manifests, then Django.
    assert isinstance(wsgi.application, FieldReportsFastPath)
    assert isinstance(wsgi.application.app, BootstrapFastPath)
    assert isinstance(wsgi.application.app.app, ManifestFastPath)
    assert wsgi.application.app.app.app is wsgi.django_application


def test_within_the_recheck_time_a_worker_answers_without_reading_the_generation(
    django_app, cache_backend, wallet
):
    layer = ManifestFastPath(django_app, flush_interval=3600, recheck=1.0)
    now = [100.0]
    layer.clock = lambda: now[0]
    assert call(layer, manifest_path()).json()["version"] == "1.1.0"
    package = PluginPackage.objects.get()
    services.rollback_deployment(actor=wallet, package=package, to_version="1.0.0")
    now[0] += 0.5  # within the recheck time: the kept answer, unread generation
    assert call(layer, manifest_path()).json()["version"] == "1.1.0"
    now[0] += 0.6  # past it: the generation is read, the change seen
    assert call(layer, manifest_path()).json()["version"] == "1.0.0"
    assert len(django_app.calls) == 2


def test_the_recheck_time_comes_from_the_settings(django_app, settings):
    settings.MANIFEST_RECHECK_SECONDS = 0.25
    assert ManifestFastPath(django_app).recheck == 0.25


def test_rate_windows_add_to_the_shared_counter_in_batches(cache_backend):
    windows = RateWindows(30, 60, sync_interval=3600)
    assert [wait(windows, "10.0.0.9") for _ in range(30)] == [0] * 30
    assert wait(windows, "10.0.0.9") > 0  # the 31st, counted here before any addition
    # Another worker sees the first addition (of the first request) plus its batch of 20.
    other = RateWindows(30, 60, sync_interval=3600)
    assert wait(other, "10.0.0.9") == 0  # its own first request is added at once: 1 + 20 + 1
    shared = [key for key in other._windows]
    assert len(shared) == 1
    assert other._windows[shared[0]][1] == 22


def test_rate_windows_overshoot_by_at_most_a_batch_per_worker(cache_backend):
    workers = [RateWindows(50, 60, sync_interval=3600) for _ in range(3)]
    allowed = sum(1 for _ in range(60) for worker in workers if wait(worker, "10.0.0.7") == 0)
    assert 50 <= allowed <= 50 + RateWindows.SYNC_EVERY * len(workers)


def test_the_hot_path_sends_the_rate_limit_and_retry_after(layer, django_app, wallet):
    layer.windows = RateWindows(2, 60, sync_interval=0)
    through_django = call(layer, manifest_path())
    from_memory = call(layer, manifest_path())
    assert django_app.calls == [manifest_path()]
    assert (
        through_django.headers["ratelimit-limit"] == from_memory.headers["ratelimit-limit"] == "2"
    )
    assert through_django.headers["ratelimit-remaining"] == "1"
    assert from_memory.headers["ratelimit-remaining"] == "0"
    limited = call(layer, manifest_path())
    assert limited.status_code == 429
    assert limited.headers["ratelimit-remaining"] == "0"
    assert limited.headers["retry-after"] == limited.headers["ratelimit-reset"]
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    assert limited.json()["error"]["code"] == "RATE_LIMITED"


def test_a_304_from_the_hot_path_carries_the_rate_limit(layer, wallet):
    etag = call(layer, manifest_path()).headers["etag"]
    not_modified = call(layer, manifest_path(), HTTP_IF_NONE_MATCH=etag)
    assert not_modified.status_code == 304
    assert not_modified.headers["ratelimit-remaining"] == "598"
