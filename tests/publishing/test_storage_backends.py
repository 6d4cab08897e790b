"""The asset backends: chosen once from STORAGES["plugins"], the same behaviour on both."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from django.core.exceptions import ImproperlyConfigured

from publishing.storage import AssetBackend, asset_backend, reset_asset_backend
from publishing.storage.local import LocalAssetBackend
from publishing.storage.s3 import S3AssetBackend

MANIFEST_KEY = "plugins/my-wallet/1.2.0/manifest.json"
MANIFEST = b'{"name":"my-wallet","version":"1.2.0"}'


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def backend(request) -> AssetBackend:
    """The configured backend: once on the test's local disk, once on a fresh moto bucket."""
    if request.param == "s3":
        request.getfixturevalue("s3_storage")
    return asset_backend()


# Choosing the backend ---------------------------------------------------------------------


def test_a_filesystem_storage_is_served_by_the_local_backend(plugin_storage_in_tmp):
    backend = asset_backend()
    assert isinstance(backend, LocalAssetBackend)
    assert backend.is_local


@pytest.mark.s3
def test_an_s3_storage_is_served_by_the_s3_backend(s3_storage):
    backend = asset_backend()
    assert isinstance(backend, S3AssetBackend)
    assert not backend.is_local


def test_another_storage_class_is_refused_naming_it(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "plugins": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    }
    with pytest.raises(ImproperlyConfigured, match="not InMemoryStorage"):
        asset_backend()


def test_the_backend_is_chosen_once_and_again_when_storages_change(settings, tmp_path):
    first = asset_backend()
    assert asset_backend() is first

    settings.STORAGES = {
        **settings.STORAGES,
        "plugins": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "elsewhere", "base_url": "/cdn/"},
        },
    }

    second = asset_backend()
    assert second is not first
    assert second.storage.location == str(tmp_path / "elsewhere")


def test_reset_asset_backend_makes_the_next_call_choose_again():
    first = asset_backend()
    reset_asset_backend()
    assert asset_backend() is not first


# The same behaviour on both backends ------------------------------------------------------


def test_write_stores_the_bytes_that_read_returns(backend):
    assert backend.read(MANIFEST_KEY) is None
    assert not backend.exists(MANIFEST_KEY)

    assert backend.write(MANIFEST_KEY, MANIFEST) is True

    assert backend.exists(MANIFEST_KEY)
    assert backend.read(MANIFEST_KEY) == MANIFEST


def test_delete_removes_only_that_key_and_ignores_a_missing_one(backend):
    other_key = "plugins/my-wallet/2.0.0/manifest.json"
    backend.write(MANIFEST_KEY, MANIFEST)
    backend.write(other_key, MANIFEST)

    backend.delete(MANIFEST_KEY)
    backend.delete("plugins/my-wallet/9.9.9/manifest.json")

    assert not backend.exists(MANIFEST_KEY)
    assert backend.read(other_key) == MANIFEST
    assert [stored.key for stored in backend.list_objects("plugins/")] == [other_key]


def test_list_objects_gives_sorted_keys_sizes_and_dates_under_the_prefix(backend):
    keys = [
        "plugins/my-wallet/2.0.0/manifest.json",
        "plugins/my-wallet/1.2.0/styles.0123abcd.css",
        MANIFEST_KEY,
    ]
    for number, key in enumerate(keys):
        backend.write(key, MANIFEST[: 10 + number])
    backend.write("readyz/probe.txt", b"ok")

    listed = backend.list_objects("plugins/")

    assert [stored.key for stored in listed] == sorted(keys)
    assert {stored.key: stored.size for stored in listed} == {
        key: 10 + number for number, key in enumerate(keys)
    }
    now = datetime.now(UTC)
    assert all(now - timedelta(minutes=1) < stored.modified_at <= now for stored in listed)
    assert [stored.key for stored in backend.list_objects("plugins/my-wallet/2.0.0/")] == [keys[0]]
    assert backend.list_objects("plugins/nobody/") == []


def test_renew_makes_the_object_younger_and_keeps_its_bytes(backend):
    backend.write(MANIFEST_KEY, MANIFEST)
    [before] = backend.list_objects(MANIFEST_KEY)
    time.sleep(1.1)  # S3 dates objects to the second

    backend.renew(MANIFEST_KEY, MANIFEST)

    [after] = backend.list_objects(MANIFEST_KEY)
    assert after.modified_at > before.modified_at
    assert backend.read(MANIFEST_KEY) == MANIFEST


def test_url_ends_with_the_key_quoting_semver_build_metadata(backend):
    url = backend.url("plugins/my-wallet/1.2.0+build.5/manifest.json")
    assert url.endswith("/plugins/my-wallet/1.2.0%2Bbuild.5/manifest.json")


def test_copy_stores_the_bytes_under_the_target_and_keeps_the_source(backend):
    review = "review/my-wallet/1.2.0/manifest.json"
    backend.write(review, MANIFEST)

    backend.copy(review, MANIFEST_KEY)

    assert backend.read(MANIFEST_KEY) == MANIFEST
    assert backend.read(review) == MANIFEST


def test_copy_replaces_what_is_under_the_target(backend):
    review = "review/my-wallet/1.2.0/manifest.json"
    backend.write(review, MANIFEST)
    backend.write(MANIFEST_KEY, MANIFEST[:5])  # the remains of a crashed copy

    backend.copy(review, MANIFEST_KEY)

    assert backend.read(MANIFEST_KEY) == MANIFEST


def test_copy_of_a_missing_object_fails_and_stores_nothing(backend):
    with pytest.raises((FileNotFoundError, ClientError)):
        backend.copy("review/my-wallet/1.2.0/manifest.json", MANIFEST_KEY)
    assert not backend.exists(MANIFEST_KEY)


@pytest.mark.s3
def test_an_s3_copy_gets_the_targets_headers(s3_storage):
    review = "review/my-wallet/1.2.0/bundle.0123abcd.js"
    backend = asset_backend()
    backend.write(review, b"window.x = 1;")
    assert s3_storage.client.head_object(Bucket=s3_storage.name, Key=review)["CacheControl"] == (
        "private, no-store"
    )

    backend.copy(review, "plugins/my-wallet/1.2.0/bundle.0123abcd.js")

    head = s3_storage.client.head_object(
        Bucket=s3_storage.name, Key="plugins/my-wallet/1.2.0/bundle.0123abcd.js"
    )
    assert head["CacheControl"] == "public, max-age=31536000, immutable"
    assert head["ContentType"] == "text/javascript; charset=utf-8"


# Files on this host -----------------------------------------------------------------------


def test_the_local_backend_names_the_file_that_holds_a_key(plugin_storage_in_tmp):
    backend = asset_backend()
    backend.write(MANIFEST_KEY, MANIFEST)

    assert backend.local_file(MANIFEST_KEY) == (plugin_storage_in_tmp / MANIFEST_KEY).resolve()


@pytest.mark.s3
def test_the_s3_backend_has_no_files_on_this_host(s3_storage):
    with pytest.raises(NotImplementedError):
        asset_backend().local_file(MANIFEST_KEY)
