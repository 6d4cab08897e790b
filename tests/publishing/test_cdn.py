"""The embedded CDN under /cdn/: what the shell on another origin gets for each file."""

from __future__ import annotations

import hashlib

import pytest

from publishing.storage import store_asset

# manifest.json is served after asking whether its package is a preview.
pytestmark = pytest.mark.django_db

BUNDLE = b"window.NaapPluginMyWallet = { mount() { return () => {}; } };\n"
STYLES = b".my-wallet { color: red; }\n"
SOURCEMAP = b'{"version":3,"sources":["index.js"],"mappings":"AAAA"}'
MANIFEST = b'{"name":"my-wallet","version":"1.2.0"}'
HASH8 = hashlib.sha256(BUNDLE).hexdigest()[:8]
IMMUTABLE = "public, max-age=31536000, immutable"


def store(kind: str, content: bytes) -> str:
    extra = {"sha256": hashlib.sha256(BUNDLE).hexdigest()} if kind == "sourcemap" else {}
    stored = store_asset(
        package_name="my-wallet", version="1.2.0", kind=kind, content=content, **extra
    )
    return stored.url


def body(response) -> bytes:
    # Reading the stream to its end makes the test client close the file.
    return b"".join(response.streaming_content)


def test_a_bundle_is_served_with_type_caching_etag_cors_and_nosniff(client):
    url = store("bundle", BUNDLE)

    response = client.get(url)

    assert response.status_code == 200
    assert body(response) == BUNDLE
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Content-Length"] == str(len(BUNDLE))
    assert response["Cache-Control"] == IMMUTABLE
    assert response["ETag"] == f'"{HASH8}"'
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("kind", "content", "content_type"),
    [
        ("styles", STYLES, "text/css; charset=utf-8"),
        ("sourcemap", SOURCEMAP, "application/json"),
    ],
)
def test_styles_and_sourcemaps_are_immutable_with_their_type(client, kind, content, content_type):
    response = client.get(store(kind, content))

    assert body(response) == content
    assert response["Content-Type"] == content_type
    assert response["Cache-Control"] == IMMUTABLE


def test_manifest_json_is_cached_for_five_minutes_with_a_content_etag(client):
    response = client.get(store("manifest", MANIFEST))

    assert body(response) == MANIFEST
    assert response["Content-Type"] == "application/json"
    assert response["Cache-Control"] == "public, max-age=300"
    assert response["ETag"] == f'"{hashlib.sha256(MANIFEST).hexdigest()}"'


@pytest.mark.parametrize("if_none_match", ['"{etag}"', 'W/"{etag}"', '"other", "{etag}"', "*"])
def test_a_matching_if_none_match_is_answered_304_with_the_caching_headers(client, if_none_match):
    url = store("bundle", BUNDLE)

    response = client.get(url, headers={"If-None-Match": if_none_match.format(etag=HASH8)})

    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == f'"{HASH8}"'
    assert response["Cache-Control"] == IMMUTABLE
    assert response["Access-Control-Allow-Origin"] == "*"


def test_another_etag_gets_the_file(client):
    url = store("manifest", MANIFEST)

    response = client.get(url, headers={"If-None-Match": '"stale"'})

    assert response.status_code == 200
    assert body(response) == MANIFEST


def test_head_gives_the_headers_and_length_without_a_body(client):
    url = store("bundle", BUNDLE)

    response = client.head(url)

    assert response.status_code == 200
    assert response.content == b""
    assert response["Content-Length"] == str(len(BUNDLE))
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["ETag"] == f'"{HASH8}"'


def test_other_methods_are_not_allowed(client):
    url = store("bundle", BUNDLE)
    assert client.post(url).status_code == 405
    assert client.delete(url).status_code == 405


@pytest.mark.parametrize(
    "path",
    [
        "/cdn/plugins/my-wallet/1.2.0/bundle.00000000.js",
        "/cdn/plugins/my-wallet/9.9.9/manifest.json",
        "/cdn/plugins/my-wallet/1.2.0/",
        "/cdn/plugins/my-wallet/1.2.0",
        "/cdn/",
    ],
)
def test_missing_files_are_404(client, path):
    store("bundle", BUNDLE)
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        "/cdn/../naap/settings.py",
        "/cdn/plugins/../../naap/settings.py",
        "/cdn/plugins/%2e%2e/x",
        "/cdn/plugins/my-wallet/%2e%2e/%2e%2e/%2e%2e/naap/settings.py",
        "/cdn/plugins/my-wallet/1.2.0/..%5cmanifest.json",
        "/cdn/plugins%5cmy-wallet%5c1.2.0%5cmanifest.json",
        "/cdn//etc/passwd",
        "/cdn/%2fetc/passwd",
        "/cdn/plugins/my-wallet/1.2.0/./manifest.json",
        "/cdn/readyz/probe.txt",
    ],
)
def test_paths_outside_the_plugin_assets_are_404(client, plugin_storage_in_tmp, path):
    store("manifest", MANIFEST)
    (plugin_storage_in_tmp / "readyz").mkdir()
    (plugin_storage_in_tmp / "readyz/probe.txt").write_text("secret")

    response = client.get(path)

    assert response.status_code == 404
    assert b"SECRET_KEY" not in response.content
    assert b"secret" not in response.content


def test_a_symlink_out_of_the_store_is_404(client, plugin_storage_in_tmp, tmp_path):
    outside = tmp_path / "outside.json"
    outside.write_text('{"secret": true}')
    directory = plugin_storage_in_tmp / "plugins/my-wallet/1.2.0"
    directory.mkdir(parents=True)
    (directory / "manifest.json").symlink_to(outside)

    assert client.get("/cdn/plugins/my-wallet/1.2.0/manifest.json").status_code == 404


@pytest.mark.s3
def test_nothing_is_served_when_assets_live_on_s3(client, s3_storage):
    stored = store_asset(
        package_name="my-wallet", version="1.2.0", kind="manifest", content=MANIFEST
    )
    assert client.get(f"/cdn/{stored.key}").status_code == 404


def test_a_preview_packages_manifest_json_is_404_and_its_hashed_files_are_not(client):
    """manifest.json's address has no hash: anybody could guess a preview's. Its bundle's
    address is content-hashed and only sent to its testers (docs/decisions.md)."""
    from installs.testers import set_preview_testers
    from tests.factories import make_user, publish

    owner = make_user("owner")
    publish("my-wallet", "1.2.0", actor=owner)
    manifest = store_asset(
        package_name="my-wallet", version="1.2.0", kind="manifest", content=MANIFEST, overwrite=True
    ).url
    bundle = store("bundle", BUNDLE)
    assert body(client.get(manifest)) == MANIFEST
    set_preview_testers(actor=owner, name="my-wallet", preview=True, users=[], teams=[])
    assert client.get(manifest).status_code == 404
    assert client.head(manifest).status_code == 404
    assert body(client.get(bundle)) == BUNDLE
    set_preview_testers(actor=owner, name="my-wallet", preview=False, users=[], teams=[])
    assert body(client.get(manifest)) == MANIFEST
