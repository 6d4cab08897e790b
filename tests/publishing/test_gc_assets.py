"""manage.py gc_assets: orphaned files are found, and removed only when asked and old enough."""

from __future__ import annotations

import hashlib
import os
import time
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from publishing.storage import store_asset
from tests.factories import make_package, make_version
from tests.publishing.helpers import stored_keys

pytestmark = pytest.mark.django_db

REFERENCED = b"window.NaapPluginMyWallet = { mount() {} };\n"
ORPHAN = b"window.NaapPluginMyWallet = { mount() { /* crashed publish */ } };\n"


def gc(*args: str) -> str:
    out = StringIO()
    call_command("gc_assets", *args, stdout=out)
    return out.getvalue()


def published_and_orphaned() -> tuple[str, str]:
    """A bundle a version row references, and one of an unfinished publish of 2.0.0."""
    referenced = store_asset(
        package_name="my-wallet", version="1.0.0", kind="bundle", content=REFERENCED
    )
    make_version(make_package("my-wallet"), "1.0.0", bundle_key=referenced.key)
    orphan = store_asset(package_name="my-wallet", version="2.0.0", kind="bundle", content=ORPHAN)
    return referenced.key, orphan.key


def age_file(root, key: str, minutes: int) -> None:
    then = time.time() - minutes * 60
    os.utime(root / key, (then, then))


def test_dry_run_lists_an_old_orphan_and_keeps_everything(plugin_storage_in_tmp):
    referenced, orphan = published_and_orphaned()
    age_file(plugin_storage_in_tmp, referenced, 120)
    age_file(plugin_storage_in_tmp, orphan, 120)

    output = gc()

    assert orphan in output
    assert referenced not in output
    assert f"1 orphaned ({len(ORPHAN)} bytes)" in output
    assert "dry run" in output
    assert stored_keys() == sorted([referenced, orphan])


def test_delete_removes_an_old_orphan_and_keeps_referenced_files(plugin_storage_in_tmp):
    referenced, orphan = published_and_orphaned()
    age_file(plugin_storage_in_tmp, referenced, 120)
    age_file(plugin_storage_in_tmp, orphan, 120)

    output = gc("--delete")

    assert f"deleted 1 ({len(ORPHAN)} bytes)" in output
    assert stored_keys() == [referenced]


def test_a_young_orphan_is_kept_until_min_age_allows_it(plugin_storage_in_tmp):
    referenced, orphan = published_and_orphaned()
    age_file(plugin_storage_in_tmp, orphan, 30)

    output = gc("--delete")

    assert orphan not in output
    assert "1 younger orphans kept" in output
    assert "deleted 0" in output
    assert stored_keys() == sorted([referenced, orphan])

    gc("--delete", "--min-age-minutes", "0")

    assert stored_keys() == [referenced]


def test_every_key_field_of_a_version_protects_its_file():
    digest = hashlib.sha256(REFERENCED).hexdigest()
    common = {"package_name": "my-wallet", "version": "1.0.0"}
    keys = {
        "bundle_key": store_asset(**common, kind="bundle", content=REFERENCED).key,
        "styles_key": store_asset(**common, kind="styles", content=b"a{}").key,
        "sourcemap_key": store_asset(**common, kind="sourcemap", content=b"{}", sha256=digest).key,
        "manifest_key": store_asset(**common, kind="manifest", content=b"{}").key,
    }
    make_version(make_package("my-wallet"), "1.0.0", **keys)

    output = gc("--delete", "--min-age-minutes", "0")

    assert "4 referenced, 0 orphaned" in output
    assert stored_keys() == sorted(keys.values())


def test_an_empty_store_is_fine():
    assert "0 stored (0 bytes)" in gc("--delete")


def test_a_negative_min_age_is_refused():
    with pytest.raises(CommandError):
        gc("--min-age-minutes", "-1")


@pytest.mark.s3
def test_on_s3_orphans_are_listed_kept_young_and_deleted_when_old_enough(s3_storage):
    referenced, orphan = published_and_orphaned()

    # Fresh uploads are younger than the default hour: a dry run and --delete both keep them.
    assert "1 younger orphans kept" in gc("--delete")
    assert orphan in gc("--min-age-minutes", "0")
    assert stored_keys() == sorted([referenced, orphan])

    output = gc("--delete", "--min-age-minutes", "0")

    assert f"deleted 1 ({len(ORPHAN)} bytes)" in output
    remaining = s3_storage.client.list_objects_v2(Bucket=s3_storage.name)["Contents"]
    assert [entry["Key"] for entry in remaining] == [referenced]


def test_a_temporary_file_left_by_a_crashed_write_is_removed(plugin_storage_in_tmp):
    referenced, _ = published_and_orphaned()
    leftover = "plugins/my-wallet/3.0.0/.upload-abc123"
    (plugin_storage_in_tmp / leftover).parent.mkdir(parents=True)
    (plugin_storage_in_tmp / leftover).write_bytes(b"var half")
    age_file(plugin_storage_in_tmp, leftover, 120)

    gc("--delete")

    assert leftover not in stored_keys()
    assert referenced in stored_keys()
