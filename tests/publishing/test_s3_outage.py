"""A hung asset store (S3 that accepts connections and never answers): a publish fails in
seconds with a 503 in the envelope and leaves nothing behind, and reads never wait for it.

moto's S3 server behind a proxy that can hang (tests/live.py), in-process and over HTTP
through gunicorn; the client's timeouts are lowered as NAAP_S3_* lower them in production.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid

import pytest
from botocore.config import Config

from registry.models import AuditEvent, PluginPackage, PluginVersion
from tests.factories import plugin_bundle, plugin_manifest, publish
from tests.live import HangingProxy, http, running_gunicorn
from tests.publishing.conftest import S3Bucket
from tests.publishing.helpers import bearer, publish_form, token_for
from tests.s3 import (
    ACCESS_KEY,
    REGION,
    SECRET_KEY,
    empty_and_delete_bucket,
    plugin_storage_settings,
    s3_client,
    unique_bucket_name,
)

pytestmark = pytest.mark.s3

MANIFEST = "/api/v1/plugins/registry/my-wallet/latest/manifest"


@pytest.fixture
def store_link(moto_server_url):
    """The way to moto's server: a proxy that can hang."""
    proxy = HangingProxy(int(moto_server_url.rsplit(":", 1)[1]))
    yield proxy
    proxy.close()


@pytest.fixture
def bucket(moto_server_url, store_link):
    client = s3_client(moto_server_url)  # straight to moto: what is really stored
    name = unique_bucket_name()
    client.create_bucket(Bucket=name)
    yield S3Bucket(client=client, name=name, endpoint_url=store_link.url)
    store_link.hanging = False
    empty_and_delete_bucket(client, name)


@pytest.fixture
def s3_through_link(settings, plugin_storage_in_tmp, bucket):
    """STORAGES["plugins"] on the bucket through the proxy, with 1 s timeouts, 2 tries."""
    storage = plugin_storage_settings(bucket.endpoint_url, bucket.name)
    storage["OPTIONS"]["client_config"] = Config(
        connect_timeout=1,
        read_timeout=1,
        retries={"total_max_attempts": 2, "mode": "standard"},
        proxies={},
    )
    settings.STORAGES = {**settings.STORAGES, "plugins": storage}
    return bucket


def stored_keys(bucket: S3Bucket) -> list[str]:
    listing = bucket.client.list_objects_v2(Bucket=bucket.name)
    return sorted(entry["Key"] for entry in listing.get("Contents", ()))


def assert_storage_unavailable(response) -> None:
    assert response.status_code == 503, response.content
    error = response.json()["error"]
    assert error["code"] == "INTERNAL_ERROR"
    assert "storage is unavailable" in error["message"]
    assert "nothing was published" in error["message"]
    assert "try again" in error["message"]
    assert response.headers["Retry-After"] == "30"


@pytest.mark.django_db
def test_a_publish_while_the_store_hangs_is_a_503_and_writes_nothing(
    client, s3_through_link, store_link
):
    _, _, _, secret = token_for()
    store_link.hanging = True
    started = time.monotonic()
    response = client.post("/api/v1/plugins/publish", publish_form(), **bearer(secret))
    assert time.monotonic() - started < 8
    assert_storage_unavailable(response)
    assert store_link.requests_while_hanging > 0  # it did ask the store, which never answered
    assert not PluginPackage.objects.exists()
    assert not PluginVersion.objects.exists()
    assert not AuditEvent.objects.filter(action="version.publish").exists()
    store_link.hanging = False
    assert stored_keys(s3_through_link) == []
    # The same publish, retried once the store answers, goes through.
    again = client.post("/api/v1/plugins/publish", publish_form(), **bearer(secret))
    assert again.status_code == 201, again.content


@pytest.mark.django_db
def test_manifests_are_served_without_the_store(client, s3_through_link, store_link):
    publish("my-wallet", "1.0.0")
    store_link.hanging = True
    for _ in range(5):
        response = client.get(MANIFEST)
        assert response.status_code == 200
        assert response.json()["version"] == "1.0.0"
        assert client.get("/plugins/my-wallet/").status_code == 200
        assert client.get("/api/v1/plugins/registry").status_code == 200
    # None of them asked the store anything, so none could wait for it.
    assert store_link.requests_while_hanging == 0


@pytest.mark.django_db(transaction=True)
def test_over_http_a_hung_store_fails_the_publish_in_seconds_and_reads_never_wait(
    tmp_path, bucket, store_link
):
    _, _, _, secret = token_for()
    environment = {
        "AWS_STORAGE_BUCKET_NAME": bucket.name,
        "AWS_S3_ENDPOINT_URL": store_link.url,
        "AWS_ACCESS_KEY_ID": ACCESS_KEY,
        "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
        "AWS_S3_REGION_NAME": REGION,
        # One try of 5 s: a read that waited for the store would take 5 s, far from the
        # bound below, so a busy machine cannot make a read that did not wait look as if it did.
        "NAAP_S3_CONNECT_TIMEOUT": "1",
        "NAAP_S3_READ_TIMEOUT": "5",
        "NAAP_S3_ATTEMPTS": "1",
        "REDIS_URL": os.environ.get("NAAP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
        "CACHE_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
    }

    def publish_over_http(version: str) -> tuple[int, dict, float]:
        started = time.monotonic()
        response = http().post(
            f"{server.url}/api/v1/plugins/publish",
            headers={"Authorization": f"Bearer {secret}"},
            data={"manifest": json.dumps(plugin_manifest("my-wallet", version))},
            files={"bundle": ("bundle.js", plugin_bundle("my-wallet", version), "text/js")},
            timeout=60,
        )
        return response, time.monotonic() - started

    # Two workers: one is held by the hung publish, the other serves everyone else.
    with running_gunicorn(tmp_path, workers=2, **environment) as server:
        first, _ = publish_over_http("1.0.0")
        assert first.status_code == 201, first.text
        assert http().get(server.url + MANIFEST).json()["version"] == "1.0.0"

        store_link.hanging = True
        outcome = {}
        publishing = threading.Thread(
            target=lambda: outcome.update(answer=publish_over_http("1.1.0"))
        )
        publishing.start()
        time.sleep(0.5)  # the publish is waiting for the store now
        reads = 0
        while publishing.is_alive():
            for path in (MANIFEST, "/api/v1/plugins/registry", "/plugins/my-wallet/"):
                started = time.monotonic()
                response = http().get(server.url + path, timeout=30)
                assert response.status_code == 200, (path, response.status_code)
                assert time.monotonic() - started < 2.5, path  # the store's wait is 5 s
                reads += 1
            time.sleep(0.05)
        publishing.join()
        response, seconds = outcome["answer"]
        assert reads >= 3
        assert seconds < 10
        assert_storage_unavailable(response)

        # The readiness probe names the store (in a bounded time, too).
        started = time.monotonic()
        ready = http().get(server.url + "/readyz", timeout=60)
        assert ready.status_code == 503
        assert ready.json()["checks"]["storage"] == "error"
        assert time.monotonic() - started < 15

        store_link.hanging = False
        assert not PluginVersion.objects.filter(version="1.1.0").exists()
        assert not [key for key in stored_keys(bucket) if "/1.1.0/" in key]
        second, _ = publish_over_http("1.1.0")
        assert second.status_code == 201, second.text
        assert "Internal Server Error" not in server.log()
