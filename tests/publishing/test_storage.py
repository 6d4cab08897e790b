"""The asset storage service on the local filesystem and on S3 (moto over HTTP)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import urllib.request

import pytest

from publishing import storage
from publishing.storage import (
    AssetConflict,
    asset_backend,
    asset_key,
    delete_keys,
    public_url,
    sha256_hex,
    sri_sha384,
    store_asset,
)
from tests.publishing.helpers import stored_keys

BUNDLE = b"window.NaapPluginMyWallet = { mount() { return () => {}; } };\n"
STYLES = b".my-wallet { color: red; }\n"
SOURCEMAP = b'{"version":3,"sources":["index.js"],"mappings":"AAAA"}'
MANIFEST = b'{"name":"my-wallet","version":"1.2.0"}'
BUNDLE_SHA = hashlib.sha256(BUNDLE).hexdigest()
STYLES_SHA = hashlib.sha256(STYLES).hexdigest()
SCOPED_STYLES = b'.my-wallet:where([data-naap-scope="my-wallet"]) { color: red; }\n'
SCOPED_SHA = hashlib.sha256(SCOPED_STYLES).hexdigest()


def store(kind: str, content: bytes, *, version: str = "1.2.0", **extra) -> storage.StoredAsset:
    if kind == "sourcemap":
        extra.setdefault("sha256", BUNDLE_SHA)
    return store_asset(
        package_name="my-wallet", version=version, kind=kind, content=content, **extra
    )


def store_all_kinds(version: str = "1.2.0") -> list[storage.StoredAsset]:
    return [
        store("bundle", BUNDLE, version=version),
        store("styles", STYLES, version=version),
        store("scoped_styles", SCOPED_STYLES, version=version),
        store("sourcemap", SOURCEMAP, version=version),
        store("manifest", MANIFEST, version=version),
    ]


# Keys and hashes -------------------------------------------------------------------------


def test_keys_follow_the_spec_layout():
    common = {"package_name": "my-wallet", "version": "1.2.0"}
    assert asset_key(**common, kind="bundle", sha256=BUNDLE_SHA) == (
        f"plugins/my-wallet/1.2.0/bundle.{BUNDLE_SHA[:8]}.js"
    )
    assert asset_key(**common, kind="styles", sha256=STYLES_SHA) == (
        f"plugins/my-wallet/1.2.0/styles.{STYLES_SHA[:8]}.css"
    )
    assert asset_key(**common, kind="sourcemap", sha256=BUNDLE_SHA) == (
        f"plugins/my-wallet/1.2.0/bundle.{BUNDLE_SHA[:8]}.js.map"
    )
    assert asset_key(**common, kind="manifest") == "plugins/my-wallet/1.2.0/manifest.json"


def test_keys_of_a_version_in_review_have_the_same_names_under_review():
    common = {"package_name": "my-wallet", "version": "1.2.0", "in_review": True}
    bundle = asset_key(**common, kind="bundle", sha256=BUNDLE_SHA)
    assert bundle == f"review/my-wallet/1.2.0/bundle.{BUNDLE_SHA[:8]}.js"
    assert asset_key(**common, kind="manifest") == "review/my-wallet/1.2.0/manifest.json"
    assert storage.is_review_key(bundle)
    assert storage.published_key(bundle) == f"plugins/my-wallet/1.2.0/bundle.{BUNDLE_SHA[:8]}.js"
    assert storage.review_key(storage.published_key(bundle)) == bundle
    with pytest.raises(ValueError):
        storage.published_key(storage.published_key(bundle))
    with pytest.raises(ValueError):
        storage.review_key(bundle)


def test_a_file_in_review_is_stored_with_private_caching(plugin_storage_in_tmp):
    stored = store("bundle", BUNDLE, in_review=True)
    assert stored.key.startswith("review/my-wallet/1.2.0/")
    assert (plugin_storage_in_tmp / stored.key).read_bytes() == BUNDLE
    assert storage.cache_control_for_key(stored.key) == "private, no-store"
    assert stored_keys("plugins/") == []


@pytest.mark.parametrize(
    ("package_name", "version", "kind", "sha256"),
    [
        ("../etc", "1.0.0", "bundle", BUNDLE_SHA),
        ("my-wallet", "../../x", "bundle", BUNDLE_SHA),
        ("my-wallet", "1.0", "bundle", BUNDLE_SHA),
        ("my-wallet", "1.0.0", "readme", BUNDLE_SHA),
        ("my-wallet", "1.0.0", "bundle", "1a2b3c4d"),
        ("my-wallet", "1.0.0", "styles", BUNDLE_SHA.upper()),
    ],
)
def test_asset_key_refuses_what_could_not_be_a_safe_key(package_name, version, kind, sha256):
    with pytest.raises(ValueError):
        asset_key(package_name=package_name, version=version, kind=kind, sha256=sha256)


def test_sri_is_sha384_base64_and_sha256_is_hex():
    expected = base64.b64encode(hashlib.sha384(BUNDLE).digest()).decode()
    assert sri_sha384(BUNDLE) == f"sha384-{expected}"
    assert sha256_hex(BUNDLE) == BUNDLE_SHA


# Storing on the filesystem ----------------------------------------------------------------


def test_store_asset_writes_the_bytes_under_the_content_hashed_key(plugin_storage_in_tmp):
    stored = store("bundle", BUNDLE)

    assert stored.key == f"plugins/my-wallet/1.2.0/bundle.{BUNDLE_SHA[:8]}.js"
    assert stored.url == f"/cdn/{stored.key}"
    assert stored.sha256 == BUNDLE_SHA
    assert stored.integrity == sri_sha384(BUNDLE)
    assert stored.size == len(BUNDLE)
    assert stored.content_type == "text/javascript; charset=utf-8"
    assert (plugin_storage_in_tmp / stored.key).read_bytes() == BUNDLE
    assert asset_backend().read(stored.key) == BUNDLE


def test_each_kind_gets_its_content_type():
    types = {asset.key.rsplit("/", 1)[1]: asset.content_type for asset in store_all_kinds()}
    assert types == {
        f"bundle.{BUNDLE_SHA[:8]}.js": "text/javascript; charset=utf-8",
        f"styles.{STYLES_SHA[:8]}.css": "text/css; charset=utf-8",
        f"styles.{SCOPED_SHA[:8]}.scoped.css": "text/css; charset=utf-8",
        f"bundle.{BUNDLE_SHA[:8]}.js.map": "application/json",
        "manifest.json": "application/json",
    }


def test_a_sourcemap_is_named_after_its_bundle_but_hashed_as_itself():
    stored = store("sourcemap", SOURCEMAP)
    assert stored.key.endswith(f"/bundle.{BUNDLE_SHA[:8]}.js.map")
    assert stored.sha256 == sha256_hex(SOURCEMAP)


def test_a_sourcemap_without_the_bundle_hash_is_refused():
    with pytest.raises(ValueError):
        store_asset(package_name="my-wallet", version="1.2.0", kind="sourcemap", content=b"{}")


def test_a_sha256_that_does_not_match_the_content_is_refused():
    with pytest.raises(ValueError):
        store("bundle", BUNDLE, sha256=STYLES_SHA)
    assert stored_keys() == []


def test_storing_the_same_bytes_twice_keeps_one_file_under_the_same_key(plugin_storage_in_tmp):
    first = store("bundle", BUNDLE)
    second = store("bundle", BUNDLE)

    assert second == first
    files = sorted(p.name for p in (plugin_storage_in_tmp / "plugins/my-wallet/1.2.0").iterdir())
    assert files == [f"bundle.{BUNDLE_SHA[:8]}.js"]


def test_a_manifest_with_other_bytes_at_the_same_version_is_a_conflict():
    store("manifest", MANIFEST)

    with pytest.raises(AssetConflict) as raised:
        store("manifest", b'{"name":"my-wallet","version":"1.2.0","other":true}')

    assert raised.value.status == 409
    assert asset_backend().read("plugins/my-wallet/1.2.0/manifest.json") == MANIFEST
    assert stored_keys() == ["plugins/my-wallet/1.2.0/manifest.json"]


def test_overwrite_replaces_a_manifest_the_caller_knows_is_unreferenced():
    store("manifest", MANIFEST)
    replacement = b'{"name":"my-wallet","version":"1.2.0","fixed":true}'

    store("manifest", replacement, overwrite=True)

    assert asset_backend().read("plugins/my-wallet/1.2.0/manifest.json") == replacement


def test_a_torn_file_left_by_a_crashed_upload_is_replaced(plugin_storage_in_tmp):
    key = f"plugins/my-wallet/1.2.0/bundle.{BUNDLE_SHA[:8]}.js"
    (plugin_storage_in_tmp / key).parent.mkdir(parents=True)
    (plugin_storage_in_tmp / key).write_bytes(BUNDLE[:10])

    stored = store("bundle", BUNDLE)

    assert stored.key == key
    assert asset_backend().read(key) == BUNDLE
    assert stored_keys() == [key]


def test_storing_again_renews_the_modification_time_so_gc_spares_a_retry(plugin_storage_in_tmp):
    stored = store("bundle", BUNDLE)
    path = plugin_storage_in_tmp / stored.key
    os.utime(path, (0, 0))

    store("bundle", BUNDLE)

    assert path.stat().st_mtime > 0


def test_store_asset_says_whether_it_put_the_object_there(plugin_storage_in_tmp):
    # A failed publish deletes only the objects it created; the others may be another's.
    first = store("bundle", BUNDLE)
    again = store("bundle", BUNDLE)
    key = f"plugins/my-wallet/1.2.0/styles.{STYLES_SHA[:8]}.css"
    (plugin_storage_in_tmp / key).write_bytes(STYLES[:5])  # torn by a crashed upload
    replaced = store("styles", STYLES)

    assert first.created
    assert not again.created
    assert not replaced.created


# URLs -------------------------------------------------------------------------------------


def test_public_url_is_the_storage_url_without_a_cdn(settings):
    settings.PLUGIN_CDN_URL = ""
    assert public_url("plugins/my-wallet/1.2.0/manifest.json") == (
        "/cdn/plugins/my-wallet/1.2.0/manifest.json"
    )


def test_public_url_uses_the_cdn_when_set(settings):
    settings.PLUGIN_CDN_URL = "https://cdn.example.test/naap/"
    assert public_url("plugins/my-wallet/1.2.0/manifest.json") == (
        "https://cdn.example.test/naap/plugins/my-wallet/1.2.0/manifest.json"
    )
    assert store("bundle", BUNDLE).url == (
        f"https://cdn.example.test/naap/plugins/my-wallet/1.2.0/bundle.{BUNDLE_SHA[:8]}.js"
    )


def test_public_url_quotes_semver_build_metadata(settings):
    settings.PLUGIN_CDN_URL = "https://cdn.example.test"
    assert public_url("plugins/my-wallet/1.2.0+build.5/manifest.json") == (
        "https://cdn.example.test/plugins/my-wallet/1.2.0%2Bbuild.5/manifest.json"
    )


# Deleting and listing ---------------------------------------------------------------------


def test_delete_keys_removes_existing_and_ignores_missing_and_empty():
    bundle, styles = store("bundle", BUNDLE), store("styles", STYLES)

    deleted = delete_keys([bundle.key, "", "plugins/my-wallet/1.2.0/manifest.json", bundle.key])

    assert deleted == [bundle.key]
    assert not asset_backend().exists(bundle.key)
    assert asset_backend().exists(styles.key)


def test_listing_walks_every_directory_under_the_prefix(plugin_storage_in_tmp):
    keys = {asset.key for asset in store_all_kinds("1.2.0") + store_all_kinds("2.0.0")}
    (plugin_storage_in_tmp / "readyz").mkdir()
    (plugin_storage_in_tmp / "readyz/probe.txt").write_bytes(b"ok")

    assert stored_keys() == sorted(keys)
    assert stored_keys("plugins/my-wallet/2.0.0/") == sorted(k for k in keys if "/2.0.0/" in k)
    assert stored_keys("plugins/nobody/") == []


# On S3 ------------------------------------------------------------------------------------


@pytest.mark.s3
def test_on_s3_each_object_gets_its_content_type_cache_control_and_exact_length(s3_storage):
    expected = {
        "bundle": ("text/javascript; charset=utf-8", "public, max-age=31536000, immutable"),
        "styles": ("text/css; charset=utf-8", "public, max-age=31536000, immutable"),
        "scoped_styles": ("text/css; charset=utf-8", "public, max-age=31536000, immutable"),
        "sourcemap": ("application/json", "public, max-age=31536000, immutable"),
        "manifest": ("application/json", "public, max-age=300"),
    }
    for kind, asset in zip(storage.ASSET_KINDS, store_all_kinds(), strict=True):
        head = s3_storage.client.head_object(Bucket=s3_storage.name, Key=asset.key)
        assert (head["ContentType"], head["CacheControl"]) == expected[kind]
        assert head["ContentLength"] == asset.size
        assert (
            asset_backend().read(asset.key)
            == s3_storage.client.get_object(Bucket=s3_storage.name, Key=asset.key)["Body"].read()
        )


@pytest.mark.s3
def test_on_s3_the_same_bytes_twice_give_one_object_under_the_same_key(s3_storage):
    first = store("bundle", BUNDLE)
    second = store("bundle", BUNDLE)

    assert second == first
    listing = s3_storage.client.list_objects_v2(Bucket=s3_storage.name)
    assert [entry["Key"] for entry in listing["Contents"]] == [first.key]


@pytest.mark.s3
def test_on_s3_a_manifest_with_other_bytes_is_a_conflict(s3_storage):
    store("manifest", MANIFEST)
    with pytest.raises(AssetConflict):
        store("manifest", b'{"name":"my-wallet","version":"1.2.0","other":true}')
    assert asset_backend().read("plugins/my-wallet/1.2.0/manifest.json") == MANIFEST


@pytest.mark.s3
def test_on_s3_public_url_is_the_bucket_url_and_serves_the_bytes(s3_storage, settings):
    settings.PLUGIN_CDN_URL = ""
    # Production buckets are readable by anyone through a bucket policy, not object ACLs.
    public_read = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{s3_storage.name}/plugins/*",
            }
        ],
    }
    s3_storage.client.put_bucket_policy(Bucket=s3_storage.name, Policy=json.dumps(public_read))
    stored = store("bundle", BUNDLE)

    assert stored.url == f"{s3_storage.endpoint_url}/{s3_storage.name}/{stored.key}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(stored.url) as response:
        assert response.read() == BUNDLE
        assert response.headers["Content-Type"] == "text/javascript; charset=utf-8"
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


@pytest.mark.s3
def test_on_s3_public_url_uses_the_cdn_when_set(s3_storage, settings):
    settings.PLUGIN_CDN_URL = "https://cdn.example.test"
    stored = store("styles", STYLES)
    assert stored.url == f"https://cdn.example.test/{stored.key}"


@pytest.mark.s3
def test_on_s3_delete_keys_removes_existing_and_ignores_missing(s3_storage):
    bundle, styles = store("bundle", BUNDLE), store("styles", STYLES)

    assert delete_keys([bundle.key, "", "plugins/my-wallet/9.9.9/manifest.json"]) == [bundle.key]

    listing = s3_storage.client.list_objects_v2(Bucket=s3_storage.name)
    assert [entry["Key"] for entry in listing["Contents"]] == [styles.key]


@pytest.mark.s3
def test_on_s3_listing_returns_every_key_under_the_prefix(s3_storage):
    keys = {asset.key for asset in store_all_kinds("1.2.0") + store_all_kinds("2.0.0")}
    s3_storage.client.put_object(Bucket=s3_storage.name, Key="readyz/probe.txt", Body=b"ok")

    assert stored_keys() == sorted(keys)
    assert stored_keys("plugins/my-wallet/1.2.0/") == sorted(k for k in keys if "/1.2.0/" in k)
