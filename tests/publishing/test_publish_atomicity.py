"""Publishing is atomic: a failure anywhere leaves no rows and no files; races end cleanly."""

import io
import threading
from functools import partial

import pytest
from django.db import DatabaseError, connection, connections

from naap.errors import Conflict
from publishing import services
from publishing.management.commands.gc_assets import referenced_keys
from registry.models import AuditEvent, PluginPackage, PluginVersion
from tests.factories import make_publisher, make_user, plugin_bundle, plugin_manifest, publish
from tests.publishing.helpers import stored_files

STYLES = b".a { color: red; }"


class FillsUpOnStyles(io.FileIO):
    """A file on a disk that 'fills up' halfway through the styles' bytes, as a real full
    disk does: part of them are down when the error comes."""

    def write(self, data):
        if bytes(data) == STYLES:
            super().write(data[: len(data) // 2])
            raise OSError(28, "No space left on device")
        return super().write(data)


@pytest.fixture
def failing_storage(monkeypatch, plugin_storage_in_tmp):
    """The real local disk backend, on a disk that fills up while the styles are written."""
    monkeypatch.setattr(
        "publishing.storage.local.os.fdopen",
        lambda descriptor, mode: FillsUpOnStyles(descriptor, mode.replace("b", "")),
    )
    return plugin_storage_in_tmp


@pytest.mark.django_db
def test_a_storage_failure_midway_leaves_no_rows_and_no_files(failing_storage):
    user = make_user()
    publisher = make_publisher(owner=user)
    with pytest.raises(OSError, match="No space left"):
        services.publish_version(
            actor=user,
            publisher=publisher,
            manifest=plugin_manifest(),
            bundle=plugin_bundle(),
            styles=STYLES,
        )
    # The bundle was uploaded before the styles failed; it must be gone again, and the
    # styles' partial bytes are under no name (not even a temporary one).
    assert stored_files(failing_storage) == []
    assert not PluginPackage.objects.exists()
    assert not PluginVersion.objects.exists()
    assert not AuditEvent.objects.filter(action="version.publish").exists()


@pytest.fixture
def version_inserts_fail(django_db_blocker):
    """A real database failure: a trigger refuses every new version row."""
    if connection.vendor == "postgresql":
        create = [
            "CREATE OR REPLACE FUNCTION naap_test_refuse() RETURNS trigger AS $$ "
            "BEGIN RAISE EXCEPTION 'injected failure'; END; $$ LANGUAGE plpgsql",
            "CREATE TRIGGER naap_test_refuse BEFORE INSERT ON registry_pluginversion "
            "FOR EACH ROW EXECUTE FUNCTION naap_test_refuse()",
        ]
        drop = [
            "DROP TRIGGER IF EXISTS naap_test_refuse ON registry_pluginversion",
            "DROP FUNCTION IF EXISTS naap_test_refuse()",
        ]
    else:
        create = [
            "CREATE TRIGGER naap_test_refuse BEFORE INSERT ON registry_pluginversion "
            "BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
        ]
        drop = ["DROP TRIGGER IF EXISTS naap_test_refuse"]
    with connection.cursor() as cursor:
        for statement in create:
            cursor.execute(statement)
    yield
    with connection.cursor() as cursor:
        for statement in drop:
            cursor.execute(statement)


@pytest.mark.django_db
def test_a_database_failure_after_upload_leaves_no_files(
    plugin_storage_in_tmp, version_inserts_fail
):
    user = make_user()
    publisher = make_publisher(owner=user)
    with pytest.raises(DatabaseError, match="injected failure"):
        services.publish_version(
            actor=user,
            publisher=publisher,
            manifest=plugin_manifest(),
            bundle=plugin_bundle(),
            styles=b".a { color: red; }",
            sourcemap=b'{"version": 3, "mappings": ""}',
        )
    assert stored_files(plugin_storage_in_tmp) == []
    assert not PluginVersion.objects.exists()
    assert not PluginPackage.objects.exists()


def _race(publishes):
    """Run the publishes at the same moment in threads; return results or errors in order."""
    barrier = threading.Barrier(len(publishes))
    outcomes = [None] * len(publishes)

    def run(index, publish):
        try:
            barrier.wait(timeout=10)
            outcomes[index] = publish()
        except Exception as error:  # the outcome under test
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(publishes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_identical_publishes_end_with_one_row(plugin_storage_in_tmp):
    user = make_user()
    publisher = make_publisher(owner=user)

    def publish():
        return services.publish_version(
            actor=user, publisher=publisher, manifest=plugin_manifest(), bundle=plugin_bundle()
        )

    outcomes = _race([publish, publish])
    assert all(not isinstance(outcome, Exception) for outcome in outcomes), outcomes
    assert sorted(outcome.created for outcome in outcomes) == [False, True]
    version = PluginVersion.objects.get()
    referenced = {version.bundle_key, PluginVersion.objects.get().manifest_key}
    assert set(stored_files(plugin_storage_in_tmp)) == referenced


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_different_publishes_of_one_version_leave_one_row_and_no_orphan(
    plugin_storage_in_tmp,
):
    user = make_user()
    publisher = make_publisher(owner=user)

    def publish_with(marker):
        return lambda: services.publish_version(
            actor=user,
            publisher=publisher,
            manifest=plugin_manifest(),
            bundle=plugin_bundle(marker=marker),
        )

    outcomes = _race([publish_with("first"), publish_with("second")])
    conflicts = [outcome for outcome in outcomes if isinstance(outcome, Conflict)]
    results = [outcome for outcome in outcomes if not isinstance(outcome, Exception)]
    assert len(conflicts) == 1 and len(results) == 1, outcomes
    version = PluginVersion.objects.get()
    assert version.bundle_sha256 == results[0].version.bundle_sha256
    assert set(stored_files(plugin_storage_in_tmp)) == {version.bundle_key, version.manifest_key}


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_first_publishes_of_one_name_both_land_in_one_package(
    plugin_storage_in_tmp,
):
    user = make_user()
    publisher = make_publisher(owner=user)

    first_publishes = [
        partial(
            publish,
            version=version,
            actor=user,
            publisher=publisher,
            marker=version,
            description=f"Release {version}.",
        )
        for version in ("1.0.0", "1.1.0")
    ]

    outcomes = _race(first_publishes)
    assert all(not isinstance(outcome, Exception) for outcome in outcomes), outcomes
    package = PluginPackage.objects.get()
    assert sorted(package.versions.values_list("version", flat=True)) == ["1.0.0", "1.1.0"]
    # Whichever landed first, the package describes its newest version.
    assert package.description == "Release 1.1.0."
    assert package.deployment.version.version == "1.1.0"
    assert set(stored_files(plugin_storage_in_tmp)) == referenced_keys()
