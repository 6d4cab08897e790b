"""POST /api/v1/plugins/publish: success, idempotency, conflicts and every refusal."""

import hashlib
import json

import pytest

from publishing.models import ApiToken
from registry.models import AuditEvent, PluginDeployment, PluginPackage, PluginVersion
from tests.factories import make_publisher, make_user, plugin_bundle, plugin_manifest
from tests.publishing.helpers import bearer, publish_form, stored_files, token_for

pytestmark = pytest.mark.django_db
URL = "/api/v1/plugins/publish"


def error_of(response):
    body = response.json()
    assert body["success"] is False
    return body["error"]


def assert_nothing_written(storage_root):
    assert PluginVersion.objects.count() == 0
    assert PluginPackage.objects.count() == 0
    assert stored_files(storage_root) == []


def test_publish_by_a_verified_publishers_token_publishes_and_deploys(
    client, plugin_storage_in_tmp
):
    _, publisher, _, secret = token_for()
    styles = b".wallet { color: #123456; }\n"
    response = client.post(URL, publish_form(styles=styles), **bearer(secret))
    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["package"]["name"] == "my-wallet"
    assert data["package"]["publisher"]["name"] == publisher.name
    assert data["version"]["status"] == "published"
    assert data["deployment"]["version"] == "1.0.0"
    bundle = plugin_bundle("my-wallet")
    digest = hashlib.sha256(bundle).hexdigest()
    assert data["version"]["bundleHash"] == digest[:8]
    assert data["version"]["bundleIntegrity"].startswith("sha384-")
    assert data["version"]["bundleUrl"].endswith(f"/plugins/my-wallet/1.0.0/bundle.{digest[:8]}.js")
    assert {finding["check"] for finding in data["version"]["findings"]} >= {"size", "global"}
    files = stored_files(plugin_storage_in_tmp)
    assert f"plugins/my-wallet/1.0.0/bundle.{digest[:8]}.js" in files
    styles_hash = hashlib.sha256(styles).hexdigest()[:8]
    assert f"plugins/my-wallet/1.0.0/styles.{styles_hash}.css" in files
    assert "plugins/my-wallet/1.0.0/manifest.json" in files
    assert (
        plugin_storage_in_tmp / f"plugins/my-wallet/1.0.0/bundle.{digest[:8]}.js"
    ).read_bytes() == bundle
    assert AuditEvent.objects.filter(action="version.publish", target="my-wallet@1.0.0").exists()


def test_an_unverified_publishers_version_waits_for_review_and_does_not_deploy(client):
    user = make_user()
    publisher = make_publisher(owner=user, verified=False)
    _, _, _, secret = token_for(publisher, user=user)
    response = client.post(URL, publish_form(), **bearer(secret))
    assert response.status_code == 201
    data = response.json()["data"]
    assert data["version"]["status"] == "pending_review"
    assert data["package"]["status"] == "pending_review"
    assert data["version"]["findings"], "the publisher sees what the checks found"
    assert PluginDeployment.objects.get().version is None


def test_publishing_identical_content_again_is_an_idempotent_200(client, plugin_storage_in_tmp):
    _, _, _, secret = token_for()
    assert client.post(URL, publish_form(), **bearer(secret)).status_code == 201
    before = stored_files(plugin_storage_in_tmp)
    again = client.post(URL, publish_form(), **bearer(secret))
    assert again.status_code == 200
    assert again.json()["data"]["version"]["version"] == "1.0.0"
    assert PluginVersion.objects.count() == 1
    assert stored_files(plugin_storage_in_tmp) == before


def test_publish_of_existing_version_with_other_bytes_is_409(client, plugin_storage_in_tmp):
    _, _, _, secret = token_for()
    assert client.post(URL, publish_form(), **bearer(secret)).status_code == 201
    before = stored_files(plugin_storage_in_tmp)
    changed = plugin_bundle("my-wallet", marker="changed")
    response = client.post(URL, publish_form(bundle=changed), **bearer(secret))
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "CONFLICT"
    assert "version" in error["details"]["fields"]
    assert "bump the version" in error["message"]
    assert stored_files(plugin_storage_in_tmp) == before
    assert PluginVersion.objects.get().bundle_sha256 == hashlib.sha256(plugin_bundle()).hexdigest()


def test_the_same_files_with_another_manifest_is_409_naming_what_differs(
    client, plugin_storage_in_tmp
):
    _, _, _, secret = token_for()
    assert client.post(URL, publish_form(), **bearer(secret)).status_code == 201
    manifest = plugin_manifest(
        permissions={"shell": ["notifications"], "external": ["api.example.com"]},
        description="Now with an external API.",
    )
    response = client.post(URL, publish_form(manifest=manifest), **bearer(secret))
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "CONFLICT"
    assert error["details"]["changed"] == ["description", "permissions"]
    assert "(description, permissions differ)" in error["message"]
    assert "bump the version" in error["message"]
    stored = PluginVersion.objects.get()
    assert stored.manifest["permissions"] == {"shell": ["notifications"]}


def test_a_newer_version_deploys_and_a_prerelease_does_not(client):
    _, _, _, secret = token_for()
    client.post(URL, publish_form(version="1.0.0"), **bearer(secret))
    client.post(URL, publish_form(version="1.1.0"), **bearer(secret))
    response = client.post(URL, publish_form(version="2.0.0-beta.1"), **bearer(secret))
    assert response.json()["data"]["version"]["isPrerelease"] is True
    assert PluginDeployment.objects.get().version.version == "1.1.0"


def test_deploy_false_publishes_without_deploying(client):
    _, _, _, secret = token_for()
    client.post(URL, publish_form(version="1.0.0"), **bearer(secret))
    response = client.post(URL, publish_form(version="1.1.0", deploy="false"), **bearer(secret))
    assert response.status_code == 201
    assert response.json()["data"]["version"]["status"] == "published"
    assert PluginDeployment.objects.get().version.version == "1.0.0"


def test_the_package_takes_its_metadata_from_the_newest_version(client):
    _, _, _, secret = token_for()
    manifest = plugin_manifest("my-wallet", "1.1.0", description="Newest words", keywords=["x"])
    client.post(URL, publish_form(manifest=manifest), **bearer(secret))
    old = plugin_manifest("my-wallet", "1.0.0", description="Old words")
    client.post(URL, publish_form(version="1.0.0", manifest=old), **bearer(secret))
    package = PluginPackage.objects.get()
    assert package.description == "Newest words"
    assert package.keywords == ["x"]


# --- refusals: each answers with the right status, names the field and writes nothing ------


def test_anonymous_publish_is_401(client, plugin_storage_in_tmp):
    response = client.post(URL, publish_form())
    assert response.status_code == 401
    assert error_of(response)["code"] == "UNAUTHORIZED"
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert_nothing_written(plugin_storage_in_tmp)


@pytest.mark.parametrize(
    ("secret", "fragment"),
    [
        ("naap_" + "x" * 43, "Unknown API token"),
        ("ghp_notours", "not a NaaP API token"),
    ],
)
def test_a_wrong_token_is_401_saying_why(client, plugin_storage_in_tmp, secret, fragment):
    response = client.post(URL, publish_form(), **bearer(secret))
    assert response.status_code == 401
    assert fragment in error_of(response)["message"]
    assert_nothing_written(plugin_storage_in_tmp)


def test_a_revoked_token_is_401(client, plugin_storage_in_tmp):
    _, _, token, secret = token_for()
    ApiToken.objects.filter(pk=token.pk).update(revoked_at="2026-01-01T00:00:00Z")
    response = client.post(URL, publish_form(), **bearer(secret))
    assert response.status_code == 401
    assert "revoked" in error_of(response)["message"]
    assert_nothing_written(plugin_storage_in_tmp)


def test_an_expired_token_is_401(client, plugin_storage_in_tmp):
    _, _, token, secret = token_for()
    ApiToken.objects.filter(pk=token.pk).update(expires_at="2026-01-01T00:00:00Z")
    response = client.post(URL, publish_form(), **bearer(secret))
    assert response.status_code == 401
    assert "expired" in error_of(response)["message"]
    assert_nothing_written(plugin_storage_in_tmp)


def test_a_token_without_the_publish_scope_is_403(client, plugin_storage_in_tmp):
    _, _, _, secret = token_for(scopes=("read",))
    response = client.post(URL, publish_form(), **bearer(secret))
    assert response.status_code == 403
    assert "lacks the 'publish' scope" in error_of(response)["message"]
    assert_nothing_written(plugin_storage_in_tmp)


def test_a_token_of_another_publisher_cannot_publish_a_claimed_name(client, plugin_storage_in_tmp):
    _, _, _, owner_secret = token_for()
    assert client.post(URL, publish_form(), **bearer(owner_secret)).status_code == 201
    before = stored_files(plugin_storage_in_tmp)
    _, _, _, other_secret = token_for()
    response = client.post(URL, publish_form(version="1.0.1"), **bearer(other_secret))
    assert response.status_code == 403
    assert "belongs to publisher" in error_of(response)["message"]
    assert PluginVersion.objects.count() == 1
    assert stored_files(plugin_storage_in_tmp) == before


def test_a_package_restricted_token_cannot_publish_another_package(client, plugin_storage_in_tmp):
    _, publisher, _, secret = token_for()
    client.post(URL, publish_form("first-plugin"), **bearer(secret))
    _, _, _, restricted = token_for(publisher, packages=["first-plugin"])
    response = client.post(URL, publish_form("second-plugin"), **bearer(restricted))
    assert response.status_code == 403
    assert "may act only on first-plugin" in error_of(response)["message"]
    assert not PluginPackage.objects.filter(name="second-plugin").exists()


def test_a_signed_in_non_staff_user_must_use_a_token(client, plugin_storage_in_tmp):
    client.force_login(make_user())
    response = client.post(URL, publish_form())
    assert response.status_code == 403
    assert "API token" in error_of(response)["message"]
    assert_nothing_written(plugin_storage_in_tmp)


def test_staff_may_publish_from_a_session_for_a_named_publisher(client):
    client.force_login(make_user(staff=True))
    publisher = make_publisher()
    response = client.post(URL, publish_form(publisher=publisher.name))
    assert response.status_code == 201
    assert PluginPackage.objects.get().publisher == publisher


@pytest.mark.parametrize(
    ("manifest", "field", "fragment"),
    [
        ({"name": "my-wallet"}, "displayName", "required"),
        (plugin_manifest(version="1.0"), "version", "Semantic Version"),
        (plugin_manifest(version="v1.0.0"), "version", "Semantic Version"),
        (plugin_manifest(name="Bad_Name"), "name", "lowercase"),
        (plugin_manifest(name="admin"), "name", "reserved"),
        (
            plugin_manifest(frontend={"routes": ["/plugins/my-wallet", "/plugins/ledger"]}),
            "frontend.routes[1]",
            "/plugins/my-wallet",
        ),
        (plugin_manifest(frontend={"routes": ["/settings"]}), "frontend.routes[0]", "reserved"),
        (plugin_manifest(frontend={"routes": "/plugins/my-wallet"}), "frontend.routes", "list"),
        # config.schema shapes the install forms could not render (issue 12: a 500 on the
        # plugin's page for every signed-in visitor).
        (
            plugin_manifest(config={"schema": {"properties": {"x": {"maxLength": "x"}}}}),
            "config.schema.properties.x.maxLength",
            "whole number",
        ),
        (
            plugin_manifest(config={"schema": {"properties": {"x": {"enum": 5}}}}),
            "config.schema.properties.x.enum",
            "list",
        ),
    ],
)
def test_an_invalid_manifest_is_400_naming_the_field(
    client, plugin_storage_in_tmp, manifest, field, fragment
):
    _, _, _, secret = token_for()
    response = client.post(URL, publish_form(manifest=manifest), **bearer(secret))
    assert response.status_code == 400, response.json()
    error = error_of(response)
    assert error["code"] == "VALIDATION_ERROR"
    assert field in error["details"]["fields"], error
    assert fragment in error["details"]["fields"][field]
    assert_nothing_written(plugin_storage_in_tmp)


def test_manifest_that_is_not_json_is_400(client, plugin_storage_in_tmp):
    _, _, _, secret = token_for()
    form = publish_form()
    form["manifest"] = "{not json"
    response = client.post(URL, form, **bearer(secret))
    assert response.status_code == 400
    assert "manifest" in error_of(response)["details"]["fields"]
    assert_nothing_written(plugin_storage_in_tmp)


def test_a_bundle_without_the_global_is_400(client, plugin_storage_in_tmp):
    _, _, _, secret = token_for()
    bad = b"window.SomethingElse = { mount: function () {} };"
    response = client.post(URL, publish_form(bundle=bad), **bearer(secret))
    assert response.status_code == 400
    error = error_of(response)
    assert "NaapPluginMyWallet" in error["details"]["fields"]["bundle"]
    assert_nothing_written(plugin_storage_in_tmp)


def test_a_bundle_that_is_not_utf8_is_400(client, plugin_storage_in_tmp):
    _, _, _, secret = token_for()
    response = client.post(
        URL, publish_form(bundle=plugin_bundle() + b"\xff\xfe"), **bearer(secret)
    )
    assert response.status_code == 400
    assert "UTF-8" in error_of(response)["details"]["fields"]["bundle"]
    assert_nothing_written(plugin_storage_in_tmp)


def test_a_manifest_over_its_size_is_413_naming_the_manifest(client, plugin_storage_in_tmp):
    _, _, _, secret = token_for()
    padded = plugin_manifest(rbac={"permissions": ["p" * 1000] * 70})
    text = publish_form()
    text["manifest"] = json.dumps({"pad": "x" * 256 * 1024})
    for form in (publish_form(manifest=padded), text):
        response = client.post(URL, form, **bearer(secret))
        assert response.status_code == 413
        error = error_of(response)
        assert error["code"] == "PAYLOAD_TOO_LARGE"
        assert list(error["details"]["fields"]) == ["manifest"]
    assert_nothing_written(plugin_storage_in_tmp)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"icon": "i" * 201}, "icon"),
        ({"license": "l" * 101}, "license"),
        ({"repository": {"url": "https://example.com/" + "r" * 500}}, "repository.url"),
        ({"description": "d" * 2001}, "description"),
    ],
)
def test_a_text_field_over_its_column_is_400_naming_it(
    client, plugin_storage_in_tmp, overrides, field
):
    # Before the limits PostgreSQL refused the longer values when the package row was saved.
    _, _, _, secret = token_for()
    form = publish_form(manifest=plugin_manifest(**overrides))
    response = client.post(URL, form, **bearer(secret))
    assert response.status_code == 400
    assert "may be at most" in error_of(response)["details"]["fields"][field]
    assert_nothing_written(plugin_storage_in_tmp)


@pytest.mark.parametrize("constant", ["Infinity", "-Infinity"])
def test_infinity_in_a_manifest_is_not_json(client, plugin_storage_in_tmp, constant):
    _, _, _, secret = token_for()
    form = publish_form()
    form["manifest"] = form["manifest"][:-1] + f', "extra": {constant}}}'
    response = client.post(URL, form, **bearer(secret))
    assert response.status_code == 400
    assert f"{constant} is not a JSON value" in error_of(response)["details"]["fields"]["manifest"]
    assert_nothing_written(plugin_storage_in_tmp)


def test_nan_in_a_manifest_is_not_json(client, plugin_storage_in_tmp):
    _, _, _, secret = token_for()
    form = publish_form()
    form["manifest"] = form["manifest"].replace('"isCore"', '"x": NaN, "isCore"', 1)
    form["manifest"] = form["manifest"][:-1] + ', "extra": NaN}'
    response = client.post(URL, form, **bearer(secret))
    assert response.status_code == 400
    assert "NaN is not a JSON value" in error_of(response)["details"]["fields"]["manifest"]
    assert_nothing_written(plugin_storage_in_tmp)


def test_an_oversize_bundle_is_413(client, settings, plugin_storage_in_tmp):
    settings.PLUGIN_MAX_BUNDLE_BYTES = 1024
    _, _, _, secret = token_for()
    big = plugin_bundle() + b"//" + b"x" * 2048
    response = client.post(URL, publish_form(bundle=big), **bearer(secret))
    assert response.status_code == 413
    error = error_of(response)
    assert error["code"] == "PAYLOAD_TOO_LARGE"
    assert "bundle" in error["details"]["fields"]
    assert_nothing_written(plugin_storage_in_tmp)


def test_oversize_styles_are_413(client, settings, plugin_storage_in_tmp):
    settings.PLUGIN_MAX_STYLES_BYTES = 100
    _, _, _, secret = token_for()
    response = client.post(URL, publish_form(styles=b"a{}" * 100), **bearer(secret))
    assert response.status_code == 413
    assert "styles" in error_of(response)["details"]["fields"]
    assert_nothing_written(plugin_storage_in_tmp)


def test_styles_with_a_remote_import_are_400_naming_the_url(client, plugin_storage_in_tmp):
    _, _, _, secret = token_for()
    styles = b"@import url('https://fonts.googleapis.com/css2?family=Outfit');\n.a{color:red}"
    response = client.post(URL, publish_form(styles=styles), **bearer(secret))
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "VALIDATION_ERROR"
    message = error["details"]["fields"]["styles"]
    assert "@import of https://fonts.googleapis.com/css2?family=Outfit (line 1)" in message
    assert "Content-Security-Policy" in message
    assert not PluginVersion.objects.exists()
    assert_nothing_written(plugin_storage_in_tmp)


def test_a_sourcemap_that_is_not_json_is_400(client, plugin_storage_in_tmp):
    _, _, _, secret = token_for()
    response = client.post(URL, publish_form(sourcemap=b"not json"), **bearer(secret))
    assert response.status_code == 400
    assert "sourcemap" in error_of(response)["details"]["fields"]
    assert_nothing_written(plugin_storage_in_tmp)


def test_a_missing_bundle_is_400_naming_it(client, plugin_storage_in_tmp):
    _, _, _, secret = token_for()
    form = publish_form()
    del form["bundle"]
    response = client.post(URL, form, **bearer(secret))
    assert response.status_code == 400
    assert "bundle" in error_of(response)["details"]["fields"]
    assert_nothing_written(plugin_storage_in_tmp)


def test_publish_with_a_sourcemap_stores_it_beside_the_bundle(client, plugin_storage_in_tmp):
    _, _, _, secret = token_for()
    sourcemap = json.dumps({"version": 3, "sources": [], "mappings": ""}).encode()
    response = client.post(URL, publish_form(sourcemap=sourcemap), **bearer(secret))
    assert response.status_code == 201
    hash8 = hashlib.sha256(plugin_bundle()).hexdigest()[:8]
    assert response.json()["data"]["version"]["sourcemapUrl"].endswith(f"bundle.{hash8}.js.map")
    assert f"plugins/my-wallet/1.0.0/bundle.{hash8}.js.map" in stored_files(plugin_storage_in_tmp)


def test_a_token_publish_of_a_new_version_takes_twenty_queries(
    client, django_assert_max_num_queries
):
    # Token, its owner's membership (tokens die with it), package, the token's package
    # restriction, the version's precedence; then the transaction (see
    # test_publish_service.py, webhook endpoints included); then, for manifest.json, the
    # package's preview flag read under the package's advisory lock, in a transaction of its own
    # (publishing/services/preview_manifests.py); the answer's serializers read no more.
    _, _, _, secret = token_for()
    assert client.post(URL, publish_form(), **bearer(secret)).status_code == 201

    with django_assert_max_num_queries(20):
        response = client.post(URL, publish_form(version="1.1.0"), **bearer(secret))

    assert response.status_code == 201
    assert response.json()["data"]["package"]["publisher"]["name"]


@pytest.mark.parametrize(
    ("bundle", "says"),
    [
        (b"export function mount() {}\nvar NaapPluginMyWallet = { mount };\n", "ES module"),
        (b"var NaapPluginMyWallet = { mount: function () {} };\x00", "NUL byte"),
        (b"var NaapPluginMyWallet = { mount: function () {} }; // \xff\xfe", "not valid UTF-8"),
    ],
)
def test_a_bundle_the_shell_cannot_run_is_refused_by_the_server(
    client, plugin_storage_in_tmp, bundle, says
):
    _, _, _, secret = token_for()
    response = client.post(URL, publish_form(bundle=bundle), **bearer(secret))
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "VALIDATION_ERROR"
    assert says in error["details"]["fields"]["bundle"]
    assert_nothing_written(plugin_storage_in_tmp)
