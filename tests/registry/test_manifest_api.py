"""Production manifests: shape, caching headers, conditional GET, cache, downloads."""

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command

from publishing import services
from registry.models import DownloadStat, PluginPackage, PluginVersion
from tests.factories import plugin_bundle, publish

pytestmark = pytest.mark.django_db


def manifest_url(name="my-wallet", version="latest"):
    return f"/api/v1/plugins/registry/{name}/{version}/manifest"


@pytest.fixture
def wallet():
    first = publish("my-wallet", "1.0.0", styles=b".w{color:#000}", marker="1")
    owner, publisher = first.version.published_by, first.package.publisher
    publish("my-wallet", "1.1.0", actor=owner, publisher=publisher, marker="2")
    return owner


def test_the_manifest_has_the_shape_the_shell_loads(client, wallet):
    response = client.get(manifest_url(version="1.0.0"))
    assert response.status_code == 200
    document = response.json()
    bundle = plugin_bundle("my-wallet", "1")
    digest = hashlib.sha256(bundle).hexdigest()
    assert document["name"] == "my-wallet"
    assert document["version"] == "1.0.0"
    assert document["globalName"] == "NaapPluginMyWallet"
    assert document["bundleHash"] == digest[:8]
    assert document["bundleUrl"].endswith(f"/plugins/my-wallet/1.0.0/bundle.{digest[:8]}.js")
    assert document["stylesUrl"].endswith(".css")
    assert document["bundleSize"] == len(bundle)
    assert document["integrity"]["bundle"].startswith("sha384-")
    assert document["integrity"]["styles"].startswith("sha384-")
    assert document["routes"] == ["/plugins/my-wallet", "/plugins/my-wallet/*"]
    assert document["category"] == "finance"
    assert document["shell"] == {"minVersion": "1.0.0"}
    assert document["deprecated"] is False
    assert document["publishedAt"].endswith("Z")
    assert "success" not in document  # documents are returned bare


def test_latest_is_the_deployed_version(client, wallet):
    assert client.get(manifest_url()).json()["version"] == "1.1.0"


def test_cache_headers_etag_and_304(client, wallet):
    response = client.get(manifest_url())
    assert response["Cache-Control"] == "public, max-age=300"
    etag = response["ETag"]
    assert etag.startswith('"') and etag.endswith('"')
    again = client.get(manifest_url(), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    other = client.get(manifest_url(), HTTP_IF_NONE_MATCH='"something-else"')
    assert other.status_code == 200


def test_a_warm_manifest_is_served_without_touching_the_database(
    client, wallet, django_assert_num_queries
):
    client.get(manifest_url())
    with django_assert_num_queries(0):
        assert client.get(manifest_url()).status_code == 200


def test_rollback_changes_latest_at_once(client, wallet):
    assert client.get(manifest_url()).json()["version"] == "1.1.0"
    package = PluginPackage.objects.get()
    services.rollback_deployment(actor=wallet, package=package, to_version="1.0.0")
    assert client.get(manifest_url()).json()["version"] == "1.0.0"


def test_deprecation_shows_in_the_cached_manifest_at_once(client, wallet):
    assert client.get(manifest_url(version="1.0.0")).json()["deprecated"] is False
    version = PluginVersion.objects.get(version="1.0.0")
    services.deprecate_version(actor=wallet, version=version, message="Use 1.1.0")
    document = client.get(manifest_url(version="1.0.0")).json()
    assert document["deprecated"] is True
    assert document["deprecationMessage"] == "Use 1.1.0"


def test_a_new_publish_moves_latest_at_once(client, wallet):
    assert client.get(manifest_url()).json()["version"] == "1.1.0"
    package = PluginPackage.objects.get()
    publish("my-wallet", "1.2.0", actor=wallet, publisher=package.publisher, marker="3")
    assert client.get(manifest_url()).json()["version"] == "1.2.0"


def test_a_yanked_version_answers_by_exact_version_but_never_as_latest(client, wallet):
    client.get(manifest_url())
    version = PluginVersion.objects.get(version="1.1.0")
    services.yank_version(actor=wallet, version=version, reason="broken")
    exact = client.get(manifest_url(version="1.1.0")).json()
    assert exact["yanked"] is True
    assert exact["yankReason"] == "broken"
    assert client.get(manifest_url()).json()["version"] == "1.0.0"


def test_unknown_plugin_version_and_pending_versions_are_404(client, wallet):
    assert client.get(manifest_url(name="nope")).status_code == 404
    assert client.get(manifest_url(version="9.9.9")).status_code == 404
    publish("waiting-room", "1.0.0", verified=False)
    assert client.get(manifest_url(name="waiting-room", version="1.0.0")).status_code == 404
    assert client.get(manifest_url(name="waiting-room")).status_code == 404
    body = client.get(manifest_url(name="nope")).json()
    assert body["error"]["code"] == "NOT_FOUND"


def test_downloads_are_counted_in_the_cache_and_flushed_per_day(client, wallet):
    for _ in range(3):
        client.get(manifest_url())
    client.get(manifest_url(version="1.0.0"))
    assert not DownloadStat.objects.exists()  # nothing written on the request path
    out = StringIO()
    call_command("flush_download_stats", stdout=out)
    assert "Flushed 4 downloads" in out.getvalue()
    stats = {stat.version.version: stat.count for stat in DownloadStat.objects.all()}
    assert stats == {"1.1.0": 3, "1.0.0": 1}
    assert PluginPackage.objects.get().downloads == 4
    assert PluginVersion.objects.get(version="1.1.0").downloads == 3
    # A second flush moves nothing more; new downloads add to the same day's row.
    call_command("flush_download_stats", stdout=StringIO())
    client.get(manifest_url())
    call_command("flush_download_stats", stdout=StringIO())
    assert DownloadStat.objects.get(version__version="1.1.0").count == 4
    assert PluginPackage.objects.get().downloads == 5


def test_a_304_is_not_a_download(client, wallet):
    etag = client.get(manifest_url())["ETag"]
    client.get(manifest_url(), HTTP_IF_NONE_MATCH=etag)
    call_command("flush_download_stats", stdout=StringIO())
    assert PluginPackage.objects.get().downloads == 1
