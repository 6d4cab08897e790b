"""publish_version itself: what one publish costs in SQL, and what it writes besides the rows."""

import pytest
from django.db import connection

from naap.errors import Forbidden
from publishing import storage
from publishing.services import publish as publish_module
from registry.cache import package_generation
from registry.models import PluginPackage, PluginVersion
from registry.services import refresh_search_data
from tests.factories import make_package, make_publisher, make_user, publish
from tests.publishing.helpers import stored_files

pytestmark = pytest.mark.django_db


def test_the_first_publish_of_a_name_takes_sixteen_queries(django_assert_max_num_queries):
    # Package lookup, membership, savepoints around the transaction and the package insert,
    # then one INSERT each: package (with its metadata and search data), version,
    # deployment, deployment event, audit event; the publisher's webhook endpoints that want
    # the event (webhooks.outbox). manifest.json's key is in the version row; storing the
    # file reads the package's preview flag under the package's advisory lock (PostgreSQL),
    # in a transaction of its own (publishing/services/preview_manifests.py).
    user = make_user()
    publisher = make_publisher(owner=user)

    with django_assert_max_num_queries(16):
        publish(actor=user, publisher=publisher)


def test_publishing_a_new_version_takes_eighteen_queries(django_assert_max_num_queries):
    user = make_user()
    publisher = make_publisher(owner=user)
    publish(actor=user, publisher=publisher)

    # Package, membership, the version's precedence; in the transaction: lock the package,
    # insert the version, find the newest, one UPDATE of the package with its search data,
    # the deployment with its version, its UPDATE, the event and the audit row, and the
    # publisher's webhook endpoints that want the event; then the preview flag for
    # manifest.json, as above.
    with django_assert_max_num_queries(18):
        publish(version="1.1.0", actor=user, publisher=publisher, marker="1.1.0")


def test_a_publish_writes_the_search_data_refresh_search_data_computes():
    user = make_user()
    publisher = make_publisher(owner=user)

    def stored_vector():
        return PluginPackage.objects.values_list("search_vector", flat=True).get()

    if connection.vendor != "postgresql":
        # Search data is PostgreSQL's (docs/decisions.md); the embedded default stores none.
        publish(actor=user, publisher=publisher, keywords=["payouts"], description="Send payments.")
        assert stored_vector() is None
        return

    publish(
        actor=user, publisher=publisher, keywords=["payouts", "café"], description="Send payments."
    )
    first = stored_vector()
    # The next version changes the text: its vector must come from the new text, in the same
    # UPDATE that writes that text.
    publish(
        version="1.1.0",
        actor=user,
        publisher=publisher,
        marker="1.1.0",
        keywords=["ledger"],
        description="Quarterly reports.",
    )
    second = stored_vector()
    refresh_search_data(package_ids=[PluginPackage.objects.get().pk])

    assert first and "payout" in first and "café" in first
    assert second == stored_vector()
    assert "ledger" in second and "payout" not in second


def test_manifest_json_is_stored_under_the_key_the_version_row_names(plugin_storage_in_tmp):
    user = make_user()
    result = publish(actor=user, publisher=make_publisher(owner=user))

    version = PluginVersion.objects.get()
    assert version.manifest_key == result.version.manifest_key
    assert version.manifest_key == "plugins/my-wallet/1.0.0/manifest.json"
    assert version.manifest_key in stored_files(plugin_storage_in_tmp)


def test_a_manifest_json_that_cannot_be_stored_is_not_named_by_the_row(
    monkeypatch, plugin_storage_in_tmp
):
    store_asset = storage.store_asset

    def full_disk_for_manifests(**arguments):
        if arguments["kind"] == "manifest":
            raise OSError(28, "No space left on device")
        return store_asset(**arguments)

    monkeypatch.setattr(storage, "store_asset", full_disk_for_manifests)
    user = make_user()

    result = publish(actor=user, publisher=make_publisher(owner=user))

    assert result.created
    assert result.version.manifest_key == ""
    assert PluginVersion.objects.get().manifest_key == ""
    assert stored_files(plugin_storage_in_tmp) == [result.version.bundle_key]


def test_a_name_claimed_by_another_publisher_during_the_publish_is_refused_cleanly(
    monkeypatch, plugin_storage_in_tmp
):
    user = make_user()
    other = make_publisher("someone-else")
    looked_up = publish_module.publisher_for_publish

    def claimed_meanwhile(**kwargs):
        # The name was free when the publish looked; another publisher takes it now.
        owner = looked_up(**kwargs)
        make_package("my-wallet", publisher=other)
        return owner

    monkeypatch.setattr(publish_module, "publisher_for_publish", claimed_meanwhile)
    with pytest.raises(Forbidden, match="belongs to another publisher"):
        publish(actor=user, publisher=make_publisher(owner=user))
    assert PluginPackage.objects.get().publisher == other
    assert not PluginVersion.objects.exists()
    assert stored_files(plugin_storage_in_tmp) == []


def test_a_publish_that_does_not_deploy_still_retires_the_cached_manifests():
    user = make_user()
    publisher = make_publisher(owner=user)
    publish(actor=user, publisher=publisher)
    before = package_generation("my-wallet")
    publish(version="1.1.0", actor=user, publisher=publisher, marker="1.1.0", deploy=False)
    assert package_generation("my-wallet") > before
