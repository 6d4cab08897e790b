"""POST /api/v1/plugins/publish with the manifest as a file part: a `plugin.json` Blob, the way
NaaP's own publish client sends it, as well as the text field."""

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from publishing.validation import MAX_MANIFEST_TEXT_BYTES
from registry.models import PluginPackage, PluginVersion
from tests.factories import plugin_manifest
from tests.publishing.helpers import bearer, publish_form, token_for

pytestmark = pytest.mark.django_db
URL = "/api/v1/plugins/publish"


def manifest_part(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("plugin.json", content, "application/json")


def assert_nothing_written():
    assert PluginVersion.objects.count() == 0
    assert PluginPackage.objects.count() == 0


@pytest.mark.parametrize(
    "encode",
    [
        lambda text: text.encode(),
        lambda text: b"\xef\xbb\xbf" + text.encode(),  # an editor's byte order mark
        lambda text: json.dumps(json.loads(text), indent=2, ensure_ascii=False).encode(),
    ],
    ids=["compact", "bom", "pretty"],
)
def test_a_plugin_json_file_part_publishes_like_the_text_field(
    client, plugin_storage_in_tmp, encode
):
    _, _, _, secret = token_for()
    form = publish_form()
    form["manifest"] = manifest_part(encode(form["manifest"]))
    response = client.post(URL, form, **bearer(secret))
    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["package"]["name"] == "my-wallet"
    assert data["version"]["version"] == "1.0.0"


def test_file_part_and_text_field_publish_the_same_version(client, plugin_storage_in_tmp):
    _, _, _, secret = token_for()
    form = publish_form()
    text = form["manifest"]
    assert client.post(URL, form, **bearer(secret)).status_code == 201
    again = publish_form()
    again["manifest"] = manifest_part(text.encode())
    response = client.post(URL, again, **bearer(secret))
    # The same manifest and files: an idempotent repeat, not a conflict.
    assert response.status_code == 200, response.json()
    assert PluginVersion.objects.count() == 1


def test_a_plugin_json_that_is_not_utf8_is_400_naming_the_byte(client, plugin_storage_in_tmp):
    _, _, _, secret = token_for()
    form = publish_form()
    manifest = plugin_manifest(description="Café")
    form["manifest"] = manifest_part(json.dumps(manifest, ensure_ascii=False).encode("latin-1"))
    response = client.post(URL, form, **bearer(secret))
    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    message = error["details"]["fields"]["manifest"]
    assert "not UTF-8" in message and "0xe9" in message
    assert_nothing_written()


def test_a_plugin_json_over_the_manifest_limit_is_413(client, plugin_storage_in_tmp):
    _, _, _, secret = token_for()
    form = publish_form()
    padded = json.dumps({"pad": "x" * MAX_MANIFEST_TEXT_BYTES}).encode()
    form["manifest"] = manifest_part(padded)
    response = client.post(URL, form, **bearer(secret))
    assert response.status_code == 413, response.json()
    error = response.json()["error"]
    assert error["code"] == "PAYLOAD_TOO_LARGE"
    assert list(error["details"]["fields"]) == ["manifest"]
    assert error["details"]["limit"] == MAX_MANIFEST_TEXT_BYTES
    assert_nothing_written()


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(b"{not json", "not valid JSON"), (b"[1, 2]", "must be a JSON object"), (b"", "JSON")],
)
def test_a_plugin_json_file_that_is_not_a_json_object_is_400(
    client, plugin_storage_in_tmp, content, fragment
):
    _, _, _, secret = token_for()
    form = publish_form()
    form["manifest"] = manifest_part(content)
    response = client.post(URL, form, **bearer(secret))
    assert response.status_code == 400, response.json()
    assert fragment in response.json()["error"]["details"]["fields"]["manifest"]
    assert_nothing_written()
