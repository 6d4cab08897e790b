"""The scoped stylesheet beside the published one: stored at publish time with its own hash and
integrity, named by the manifest, made public by approval, served by the CDN, refused with a
clear message when the stylesheet cannot be scoped, and derived for versions stored before."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command

from publishing import services
from publishing.scoped_styles import scope_stylesheet
from publishing.storage import asset_backend, sri_sha384
from registry.models import PluginPackage, PluginVersion
from registry.selectors import production_manifest
from tests.factories import make_publisher, make_user, plugin_bundle, plugin_manifest
from tests.publishing.helpers import bearer, publish_form, stored_keys, token_for

pytestmark = pytest.mark.django_db

STYLES = b"*,:before,:after{box-sizing:border-box}html{line-height:1.5}.wallet{color:#123456}\n"
SCOPED = scope_stylesheet(STYLES.decode(), name="my-wallet").text.encode()


def publish(version: str = "1.0.0", *, verified: bool = True, styles: bytes | None = STYLES):
    """my-wallet@version, by its one publisher (verified: published at once)."""
    package = PluginPackage.objects.filter(name="my-wallet").first()
    if package is None:
        owner = make_user()
        publisher = make_publisher(owner=owner, verified=verified)
    else:
        publisher = package.publisher
        owner = publisher.memberships.first().user
    return services.publish_version(
        actor=owner,
        publisher=publisher,
        manifest=plugin_manifest("my-wallet", version),
        bundle=plugin_bundle("my-wallet"),
        styles=styles,
    ).version


def test_publish_stores_the_stylesheet_as_published_and_its_scoped_copy(client):
    version = publish()

    scoped_hash8 = hashlib.sha256(SCOPED).hexdigest()[:8]
    assert version.scoped_styles_key == f"plugins/my-wallet/1.0.0/styles.{scoped_hash8}.scoped.css"
    assert asset_backend().read(version.scoped_styles_key) == SCOPED
    assert asset_backend().read(version.styles_key) == STYLES  # kept as published
    assert version.scoped_styles_integrity == sri_sha384(SCOPED)
    assert version.scoped_styles_url == f"/cdn/{version.scoped_styles_key}"
    manifest = production_manifest(version)
    assert manifest["stylesUrl"] == version.styles_url
    assert manifest["integrity"]["styles"] == sri_sha384(STYLES)
    assert manifest["scopedStylesUrl"] == version.scoped_styles_url
    assert manifest["integrity"]["scopedStyles"] == sri_sha384(SCOPED)
    served = client.get(manifest["scopedStylesUrl"])
    assert served.status_code == 200
    assert served["Content-Type"] == "text/css; charset=utf-8"
    assert "immutable" in served["Cache-Control"]
    assert b"".join(served.streaming_content) == SCOPED


def test_the_manifest_endpoint_names_the_scoped_stylesheet(client):
    publish()
    document = client.get("/api/v1/plugins/registry/my-wallet/1.0.0/manifest").json()
    assert document["scopedStylesUrl"].endswith(".scoped.css")
    assert document["integrity"]["scopedStyles"] == sri_sha384(SCOPED)


def test_a_version_without_styles_has_no_scoped_stylesheet():
    version = publish(styles=None)
    assert version.scoped_styles_key == ""
    manifest = production_manifest(version)
    assert "scopedStylesUrl" not in manifest
    assert "scopedStyles" not in manifest["integrity"]


def test_an_identical_retry_stores_nothing_new():
    first = publish()
    keys = stored_keys()
    again = publish()
    assert again.pk == first.pk
    assert stored_keys() == keys


def test_a_stylesheet_that_cannot_be_scoped_is_refused_naming_the_field_and_writes_nothing(
    client, plugin_storage_in_tmp
):
    _, _, _, secret = token_for()
    response = client.post(
        "/api/v1/plugins/publish", publish_form(styles=b".a{color:red}\n.b"), **bearer(secret)
    )

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert "cannot be scoped" in error["message"]
    assert "line 2" in error["details"]["fields"]["styles"]
    assert PluginVersion.objects.count() == 0
    assert stored_keys() == [] and stored_keys("review/") == []


def test_approval_makes_both_stylesheets_public(django_capture_on_commit_callbacks):
    pending = publish(verified=False)
    assert pending.scoped_styles_key.startswith("review/")

    with django_capture_on_commit_callbacks(execute=True):
        approved = services.approve_version(actor=make_user(staff=True), version=pending)

    approved.refresh_from_db()
    assert approved.scoped_styles_key.startswith("plugins/my-wallet/1.0.0/styles.")
    assert approved.scoped_styles_url == f"/cdn/{approved.scoped_styles_key}"
    assert approved.scoped_styles_integrity == sri_sha384(SCOPED)  # same bytes
    assert asset_backend().read(approved.scoped_styles_key) == SCOPED
    assert approved.scoped_styles_key in stored_keys()
    assert stored_keys("review/") == []


def test_rejection_removes_the_scoped_stylesheet_too():
    pending = publish(verified=False)
    services.reject_version(actor=make_user(staff=True), version=pending, reason="no")
    assert stored_keys("review/") == []


def forget_scoped(version: PluginVersion) -> str:
    """Make version look as if published before scoped stylesheets: no row fields, no file."""
    key = version.scoped_styles_key
    asset_backend().delete(key)
    PluginVersion.objects.filter(pk=version.pk).update(
        scoped_styles_key="", scoped_styles_url="", scoped_styles_integrity=""
    )
    return key


def test_scope_styles_derives_the_scoped_stylesheet_of_older_versions_once(
    django_capture_on_commit_callbacks,
):
    # An unverified publisher: 1.0.0 approved, 1.1.0 waiting for review.
    with django_capture_on_commit_callbacks(execute=True):
        published = services.approve_version(
            actor=make_user(staff=True), version=publish("1.0.0", verified=False)
        )
    pending = publish("1.1.0")
    published_key, pending_key = forget_scoped(published), forget_scoped(pending)
    publish("1.2.0", styles=None)

    out = StringIO()
    call_command("scope_styles", "--dry-run", stdout=out)
    assert "Dry run: 2 to scope, 0 not scoped." in out.getvalue()
    assert PluginVersion.objects.exclude(scoped_styles_key="").count() == 0

    out = StringIO()
    call_command("scope_styles", stdout=out)
    assert "Done: 2 scoped, 0 not scoped." in out.getvalue()
    published.refresh_from_db()
    pending.refresh_from_db()
    assert published.scoped_styles_key == published_key  # public, as its stylesheet is
    assert pending.scoped_styles_key == pending_key  # still in review/
    assert pending_key.startswith("review/")
    assert asset_backend().read(published_key) == SCOPED
    assert production_manifest(published)["integrity"]["scopedStyles"] == sri_sha384(SCOPED)

    out = StringIO()
    call_command("scope_styles", stdout=out)
    assert "Done: 0 scoped, 0 not scoped." in out.getvalue()


def test_scope_styles_reports_a_stylesheet_it_cannot_read_or_scope():
    missing = publish("1.0.0")
    forget_scoped(missing)
    asset_backend().delete(missing.styles_key)
    broken = publish("1.1.0")
    forget_scoped(broken)
    asset_backend().delete(broken.styles_key)
    asset_backend().write(broken.styles_key, b".a{b:c}\n.cut")

    out, err = StringIO(), StringIO()
    call_command("scope_styles", stdout=out, stderr=err)

    assert "Done: 0 scoped, 2 not scoped." in out.getvalue()
    assert f"unreadable: my-wallet@1.0.0 ({missing.styles_key} is not in the storage)" in (
        err.getvalue()
    )
    assert "refused: my-wallet@1.1.0 (styles: the stylesheet cannot be scoped" in err.getvalue()


def test_the_publish_answer_and_the_version_list_name_the_scoped_stylesheet(client):
    _, _, _, secret = token_for()
    response = client.post("/api/v1/plugins/publish", publish_form(styles=STYLES), **bearer(secret))

    assert response.status_code == 201
    version = response.json()["data"]["version"]
    assert version["scopedStylesUrl"].endswith(".scoped.css")
    assert version["scopedStylesIntegrity"] == sri_sha384(SCOPED)
    listed = client.get("/api/v1/plugins/registry/my-wallet").json()["data"]["versions"][0]
    assert listed["scopedStylesUrl"] == version["scopedStylesUrl"]
