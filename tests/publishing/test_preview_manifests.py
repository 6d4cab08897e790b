"""A preview keeps no manifest.json in the public store, on local disk and on S3: its copies are
deleted when it becomes one, none is written by a publish or an approval while it is one, and
they are written back from the rows when it stops (publishing/services/preview_manifests.py)."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from io import StringIO

import pytest
from django.core.management import call_command

from installs.testers import set_preview_testers
from publishing import services
from publishing.services.preview_manifests import sync_stored_manifests
from publishing.storage import StorageUnavailable, asset_backend
from registry.models import PluginPackage, PluginVersion
from tests.factories import make_publisher, make_user, plugin_bundle, plugin_manifest, publish
from tests.publishing.helpers import stored_keys

pytestmark = pytest.mark.django_db
NAME = "secret-tool"
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.s3)])
def store(request, settings):
    """The asset store of the test: local disk (every test's default) or a moto S3 bucket."""
    settings.PLUGIN_CDN_URL = ""
    if request.param == "s3":
        return request.getfixturevalue("s3_storage")
    return None


def manifests_stored() -> list[str]:
    return [key for key in stored_keys(f"plugins/{NAME}/") if key.endswith("/manifest.json")]


def manifest_keys() -> dict[str, str]:
    return dict(
        PluginVersion.objects.filter(package__name=NAME).values_list("version", "manifest_key")
    )


def make_preview(owner, preview: bool, django_capture_on_commit_callbacks) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        set_preview_testers(actor=owner, name=NAME, preview=preview, users=[], teams=[])


def public_status(store, version: str) -> int:
    """What the bucket's public address of a version's manifest.json answers."""
    url = f"{store.endpoint_url}/{store.name}/plugins/{NAME}/{version}/manifest.json"
    try:
        with NO_PROXY.open(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def publish_two_versions():
    """NAME 1.0.0 and 1.1.0 published by one owner, who is returned."""
    owner = make_user()
    publisher = make_publisher(owner=owner)
    publish(NAME, "1.0.0", actor=owner, publisher=publisher)
    publish(NAME, "1.1.0", actor=owner, publisher=publisher, marker="1.1.0")
    return owner


def test_a_previews_manifests_leave_the_public_store_and_come_back(
    store, django_capture_on_commit_callbacks
):
    owner = publish_two_versions()
    publisher = PluginPackage.objects.get(name=NAME).publisher
    both = [f"plugins/{NAME}/1.0.0/manifest.json", f"plugins/{NAME}/1.1.0/manifest.json"]
    assert manifests_stored() == both
    files = [key for key in stored_keys(f"plugins/{NAME}/") if key not in both]
    if store is not None:  # stored; the test bucket has no public policy: 403, not 404
        assert public_status(store, "1.0.0") == 403

    make_preview(owner, True, django_capture_on_commit_callbacks)
    assert manifests_stored() == []
    assert manifest_keys() == {"1.0.0": "", "1.1.0": ""}  # rows name only what is stored
    # The content-hashed files stay: their addresses cannot be guessed (docs/decisions.md).
    assert [key for key in stored_keys(f"plugins/{NAME}/")] == files
    if store is not None:  # nothing at the address any more
        assert public_status(store, "1.0.0") == 404

    # A publish while it is a preview stores none.
    publish(NAME, "1.2.0", actor=owner, publisher=publisher, marker="1.2.0")
    assert manifests_stored() == []
    assert manifest_keys()["1.2.0"] == ""

    make_preview(owner, False, django_capture_on_commit_callbacks)
    every = [f"plugins/{NAME}/{version}/manifest.json" for version in ("1.0.0", "1.1.0", "1.2.0")]
    assert manifests_stored() == every
    assert manifest_keys() == {
        version: f"plugins/{NAME}/{version}/manifest.json"
        for version in ("1.0.0", "1.1.0", "1.2.0")
    }
    for version in PluginVersion.objects.filter(package__name=NAME):
        stored = asset_backend().read(version.manifest_key)
        assert json.loads(stored) == version.manifest


def test_a_yanked_versions_manifest_follows_the_preview_too(django_capture_on_commit_callbacks):
    owner = make_user()
    result = publish(NAME, "1.0.0", actor=owner)
    services.yank_version(actor=owner, version=result.version, reason="broken")
    make_preview(owner, True, django_capture_on_commit_callbacks)
    assert manifests_stored() == []
    make_preview(owner, False, django_capture_on_commit_callbacks)
    assert manifests_stored() == [f"plugins/{NAME}/1.0.0/manifest.json"]


def test_approving_a_version_of_a_preview_makes_no_public_manifest(
    store, django_capture_on_commit_callbacks
):
    owner = make_user()
    pending = services.publish_version(
        actor=owner,
        publisher=make_publisher(owner=owner, verified=False),
        manifest=plugin_manifest(NAME, "1.0.0"),
        bundle=plugin_bundle(NAME),
    ).version
    assert pending.status == PluginVersion.Status.PENDING_REVIEW
    make_preview(owner, True, django_capture_on_commit_callbacks)
    review_copy = f"review/{NAME}/1.0.0/manifest.json"
    assert review_copy in stored_keys("review/")  # stored at publish, before it was a preview

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        approved = services.approve_version(actor=make_user(staff=True), version=pending)
    # Never public, not even between the commit and what runs after it.
    assert manifests_stored() == []
    for callback in callbacks:
        callback()

    assert approved.status == PluginVersion.Status.PUBLISHED
    assert any(key.endswith(".js") for key in stored_keys(f"plugins/{NAME}/"))  # files public
    assert manifests_stored() == []
    assert review_copy not in stored_keys("review/")
    assert manifest_keys() == {"1.0.0": ""}
    make_preview(owner, False, django_capture_on_commit_callbacks)
    assert manifests_stored() == [f"plugins/{NAME}/1.0.0/manifest.json"]


def test_a_copy_that_cannot_be_deleted_stays_named_and_gc_assets_deletes_it(
    django_capture_on_commit_callbacks, monkeypatch
):
    owner = publish_two_versions()
    backend = type(asset_backend())
    delete = backend.delete
    calls = []

    def failing_second(self, key):
        calls.append(key)
        if len(calls) == 2:
            raise StorageUnavailable("the store did not answer")
        return delete(self, key)

    monkeypatch.setattr(backend, "delete", failing_second)
    make_preview(owner, True, django_capture_on_commit_callbacks)
    # One deleted (its row names none), one still stored (its row still names it).
    assert manifests_stored() == [f"plugins/{NAME}/1.1.0/manifest.json"]
    assert manifest_keys() == {"1.0.0": "", "1.1.0": f"plugins/{NAME}/1.1.0/manifest.json"}

    monkeypatch.setattr(backend, "delete", delete)
    call_command("gc_assets", "--delete", stdout=StringIO())
    assert manifests_stored() == []
    assert manifest_keys() == {"1.0.0": "", "1.1.0": ""}
    make_preview(owner, False, django_capture_on_commit_callbacks)
    assert len(manifests_stored()) == 2


def test_a_public_packages_row_naming_a_missing_copy_gets_it_written_back():
    owner = make_user()
    version = publish(NAME, "1.0.0", actor=owner).version
    asset_backend().delete(version.manifest_key)  # lost: the row still names it
    assert manifests_stored() == []
    sync_stored_manifests(version.package_id)
    assert manifests_stored() == [f"plugins/{NAME}/1.0.0/manifest.json"]
