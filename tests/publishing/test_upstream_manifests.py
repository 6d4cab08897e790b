"""The real plugin.json files of the NaaP monorepo sample, unchanged: they validate, publish as
NaaP's publish client sends them (a plugin.json file part), and their npm-style shell ranges
("2.x") are stored, shown and used by the registry filter and the shell bootstrap."""

from __future__ import annotations

import html
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from publishing.validation import validate_manifest
from registry.models import PluginPackage
from tests.factories import make_user, plugin_bundle
from tests.installs.helpers import install
from tests.publishing.helpers import bearer, token_for
from tests.upstream import copy_manifest, sample_manifest_ids, sample_manifest_paths

PUBLISH = "/api/v1/plugins/publish"


def test_the_sample_has_the_four_plugins_the_tests_rely_on():
    assert sorted(sample_manifest_ids()) == [
        "dashboard-data-provider",
        "lightning-client",
        "my-dashboard",
        "my-wallet",
    ]


@pytest.mark.parametrize("path", sample_manifest_paths(), ids=sample_manifest_ids())
def test_every_real_plugin_json_validates(path):
    manifest = json.loads(path.read_text())
    # Top-level routes (/wallet, /lightning) are granted by staff review, as for a core package.
    report = validate_manifest(manifest, is_core=True)
    assert report.errors == {}
    assert not [text for text in report.warnings if "shell." in text]


@pytest.mark.parametrize("path", sample_manifest_paths(), ids=sample_manifest_ids())
def test_the_shell_ranges_upstream_writes_are_not_refused(path):
    manifest = json.loads(path.read_text())
    assert manifest["shell"]["maxVersion"] == "2.x"
    report = validate_manifest(manifest, is_core=False)
    assert not [field for field in report.errors if field.startswith("shell")]


def publish_sample(client, plugin: str, tmp_path):
    """Publish a sample plugin.json, copied unchanged, as a file part."""
    manifest_file = copy_manifest(plugin, tmp_path / plugin)
    _, _, _, secret = token_for()
    form = {
        "manifest": SimpleUploadedFile(
            "plugin.json", manifest_file.read_bytes(), "application/json"
        ),
        "bundle": SimpleUploadedFile("bundle.js", plugin_bundle(plugin), "text/javascript"),
    }
    response = client.post(PUBLISH, form, **bearer(secret))
    assert response.status_code == 201, response.json()
    return response.json()["data"]


@pytest.mark.django_db
@pytest.mark.parametrize("plugin", ["my-dashboard", "dashboard-data-provider"])
def test_a_real_plugin_json_publishes_as_a_file_part(
    client, plugin_storage_in_tmp, tmp_path, plugin
):
    data = publish_sample(client, plugin, tmp_path)
    assert data["package"]["name"] == plugin
    assert data["version"]["status"] == "published"
    package = PluginPackage.objects.get(name=plugin)
    assert package.shell_min_key and package.shell_max_key


@pytest.mark.django_db
def test_a_shell_range_is_shown_filtered_on_and_checked_by_the_bootstrap(
    client, plugin_storage_in_tmp, tmp_path
):
    publish_sample(client, "my-dashboard", tmp_path)

    page = client.get("/plugins/my-dashboard/")
    assert page.status_code == 200
    assert "0.1.0 \u2013 2.x" in html.unescape(page.content.decode())

    def listed(shell_version):
        response = client.get("/api/v1/plugins/registry", {"shellVersion": shell_version})
        assert response.status_code == 200, response.json()
        return [item["name"] for item in response.json()["data"]["plugins"]]

    assert listed("0.1.0") == ["my-dashboard"]
    assert listed("2.99.1") == ["my-dashboard"]
    assert listed("0.0.9") == []
    assert listed("3.0.0") == []
    assert listed("3.0.0-rc.1") == []

    person = make_user()
    client.force_login(person)
    assert install(client, "my-dashboard").status_code == 201

    def bootstrap(shell_version):
        response = client.get("/api/v1/plugins/installed", {"shellVersion": shell_version})
        assert response.status_code == 200, response.content
        return response.json()["data"]

    assert [item["name"] for item in bootstrap("2.4.0")["plugins"]] == ["my-dashboard"]
    assert bootstrap("3.0.0")["incompatible"] == ["my-dashboard"]
    assert bootstrap("3.0.0")["plugins"] == []
