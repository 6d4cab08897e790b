"""manage.py migrate_legacy_urls against a real local HTTP server."""

import hashlib
import http.server
import threading
from io import StringIO

import pytest
from django.core.management import call_command

from registry.models import PluginVersion
from tests.factories import make_package, make_version, plugin_bundle
from tests.publishing.helpers import stored_files

pytestmark = pytest.mark.django_db
BUNDLE = plugin_bundle("old-plugin")


@pytest.fixture
def legacy_server():
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if self.path == "/old/bundle.js":
                self.send_response(200)
                self.send_header("Content-Type", "text/javascript")
                self.end_headers()
                self.wfile.write(BUNDLE)
            else:
                self.send_error(404)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def run(*args) -> str:
    out = StringIO()
    call_command("migrate_legacy_urls", *args, stdout=out)
    return out.getvalue()


def test_a_reachable_legacy_bundle_is_downloaded_hashed_and_stored(
    legacy_server, plugin_storage_in_tmp
):
    version = make_version(
        make_package("old-plugin"), "0.9.0", frontend_url=f"{legacy_server}/old/bundle.js"
    )
    output = run()
    version.refresh_from_db()
    digest = hashlib.sha256(BUNDLE).hexdigest()
    assert version.bundle_sha256 == digest
    assert version.bundle_key == f"plugins/old-plugin/0.9.0/bundle.{digest[:8]}.js"
    assert version.bundle_integrity.startswith("sha384-")
    assert version.bundle_size == len(BUNDLE)
    assert (plugin_storage_in_tmp / version.bundle_key).read_bytes() == BUNDLE
    assert version.shell_globals == []  # read from the stored bundle, as at publish
    assert "1 stored" in output


def test_an_unreachable_legacy_url_is_copied_and_marked(legacy_server, plugin_storage_in_tmp):
    version = make_version(
        make_package("old-plugin"), "0.9.0", frontend_url=f"{legacy_server}/missing.js"
    )
    output = run()
    version.refresh_from_db()
    assert version.bundle_url == f"{legacy_server}/missing.js"
    assert version.bundle_integrity == ""
    assert version.findings[-1]["check"] == "legacy"
    assert "404" in version.findings[-1]["message"]
    assert version.shell_globals is None  # nothing stored to read
    assert stored_files(plugin_storage_in_tmp) == []
    assert "1 marked" in output


def test_dry_run_reports_and_changes_nothing(legacy_server, plugin_storage_in_tmp):
    make_version(make_package("old-plugin"), "0.9.0", frontend_url=f"{legacy_server}/old/bundle.js")
    output = run("--dry-run")
    assert "would store: old-plugin@0.9.0" in output
    assert PluginVersion.objects.get().bundle_url == ""
    assert stored_files(plugin_storage_in_tmp) == []


def test_running_twice_changes_nothing_the_second_time(legacy_server):
    make_version(make_package("old-plugin"), "0.9.0", frontend_url=f"{legacy_server}/old/bundle.js")
    run()
    first = PluginVersion.objects.values().get()
    output = run()
    assert PluginVersion.objects.values().get() == first
    assert "0 stored, 0 marked" in output


def test_versions_that_already_have_a_bundle_url_are_left_alone(legacy_server):
    make_version(
        make_package("new-plugin"),
        "1.0.0",
        bundle_url="https://cdn.example.test/b.js",
        frontend_url=f"{legacy_server}/old/bundle.js",
    )
    assert "0 stored, 0 marked" in run()
    assert PluginVersion.objects.get().bundle_url == "https://cdn.example.test/b.js"


def test_a_migrated_bundle_shows_in_the_manifest_at_once(client, legacy_server):
    version = make_version(
        make_package("old-plugin"), "0.9.0", frontend_url=f"{legacy_server}/old/bundle.js"
    )
    url = "/api/v1/plugins/registry/old-plugin/0.9.0/manifest"
    assert client.get(url).json()["bundleUrl"] == ""  # now in the manifest cache
    run()
    version.refresh_from_db()
    assert client.get(url).json()["bundleUrl"] == version.bundle_url != ""


def test_a_kept_legacy_url_shows_in_the_manifest_at_once(client, legacy_server):
    make_version(make_package("old-plugin"), "0.9.0", frontend_url=f"{legacy_server}/gone.js")
    url = "/api/v1/plugins/registry/old-plugin/0.9.0/manifest"
    assert client.get(url).json()["bundleUrl"] == ""
    run()
    assert client.get(url).json()["bundleUrl"] == f"{legacy_server}/gone.js"
