"""Names, versions and display names cannot smuggle characters: every pattern matches the
whole string (a trailing newline is not a name), numbers in versions fit their columns, and
names shown to people hold no control or invisible formatting characters."""

import pytest

from publishing.validation import validate_manifest
from registry import semver
from registry.manifest_fastpath import ManifestFastPath
from registry.models import PluginPackage, PluginVersion, Publisher
from registry.names import hidden_characters, package_name_problem
from tests.factories import make_user, plugin_manifest, publish
from tests.publishing.helpers import bearer, publish_form, stored_files, token_for
from tests.wsgi import call

pytestmark = pytest.mark.django_db
NEWLINE_NAMES = ["alpha-one\n", "alpha-one\r\n", "alpha\x00one", "alpha-one\x00"]


@pytest.mark.parametrize("name", NEWLINE_NAMES)
def test_a_name_with_a_trailing_newline_or_nul_is_no_name(name):
    assert package_name_problem(name) is not None


@pytest.mark.parametrize("text", ["1.0.0\n", "1.0.0\x00", "1.0.0-rc.1\n", "1.0.0+build\n"])
def test_a_version_with_a_trailing_newline_or_nul_is_no_version(text):
    assert not semver.is_valid(text)


def test_numbers_in_a_version_fit_the_version_columns():
    largest = semver.MAX_VERSION_NUMBER
    assert semver.parse(f"{largest}.0.0").major == largest
    for text in (f"{largest + 1}.0.0", f"1.{largest + 1}.0", f"1.0.0-rc.{largest + 1}"):
        with pytest.raises(semver.InvalidVersion, match="at most 2147483647"):
            semver.parse(text)


@pytest.mark.parametrize(
    ("display_name", "found"),
    [
        ("Wallet\u202etellaW", "U+202E"),  # right-to-left override
        ("Wal\u200blet", "U+200B"),  # zero-width space
        ("Wallet\x00", "U+0000"),
        ("Wallet\n", "U+000A"),
    ],
)
def test_display_names_with_hidden_characters_are_refused(display_name, found):
    assert hidden_characters(display_name) == [found]
    report = validate_manifest(plugin_manifest(displayName=display_name), is_core=False)
    assert found in report.errors["displayName"]


def test_ordinary_display_names_in_any_script_pass():
    for display_name in ("Wallet", "Portefeuille €", "财包", "محفظة", "Кошелёк 2"):
        assert hidden_characters(display_name) == []


@pytest.mark.parametrize(("name", "version"), [("alpha-one\n", "1.0.0"), ("alpha-one", "1.0.0\n")])
def test_the_publish_api_refuses_smuggled_names_and_versions_and_writes_nothing(
    client, plugin_storage_in_tmp, name, version
):
    _, _, _, secret = token_for()
    manifest = {**plugin_manifest("alpha-one", "1.0.0"), "name": name, "version": version}
    response = client.post(
        "/api/v1/plugins/publish", publish_form(manifest=manifest), **bearer(secret)
    )
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert set(error["details"]["fields"]) & {"name", "version"}
    assert not PluginPackage.objects.exists()
    assert not PluginVersion.objects.exists()
    assert stored_files(plugin_storage_in_tmp) == []


def test_a_publisher_display_name_with_a_bidi_override_is_refused(client):
    client.force_login(make_user())
    response = client.post(
        "/api/v1/publishers",
        {"name": "acme-corp", "displayName": "Acme\u202eemcA"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "U+202E" in response.json()["error"]["details"]["fields"]["displayName"]
    assert not Publisher.objects.exists()


def test_a_manifest_path_with_a_trailing_newline_is_not_answered_from_memory(django_app):
    layer = ManifestFastPath(django_app, flush_interval=3600, recheck=0)
    publish("my-wallet")
    path = "/api/v1/plugins/registry/my-wallet/latest/manifest"
    assert call(layer, path).status_code == 200
    assert call(layer, path).status_code == 200  # now kept in the worker's memory
    assert call(layer, path + "\n").status_code == 404


def test_the_cdn_serves_no_key_with_a_trailing_newline(client):
    result = publish("my-wallet")
    key = result.version.bundle_key
    assert client.get(f"/cdn/{key}").status_code == 200
    assert client.get(f"/cdn/{key}%0A").status_code == 404
