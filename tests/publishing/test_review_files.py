"""Files of versions in review: stored under review/, never served at a public URL, reached
only through temporary URLs by those who may preview, made public by approval, removed by
rejection and by gc_assets, and moved there for versions stored before."""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.request
from email.message import Message
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.exceptions import ClientError
from django.core import signing
from django.core.management import call_command

from installs.services import install_plugin
from publishing import services
from publishing.review_assets import review_manifest
from publishing.scoped_styles import scope_stylesheet
from publishing.storage import StorageUnavailable, asset_backend
from publishing.storage.signing import TEMPORARY_URL_MAX_AGE, TEMPORARY_URL_SALT
from registry.models import PluginVersion
from registry.selectors import production_manifest
from tests.factories import make_publisher, make_user, plugin_bundle, plugin_manifest
from tests.publishing.helpers import stored_keys
from tests.s3 import plugin_storage_settings, running_moto_server, s3_client, unique_bucket_name

pytestmark = pytest.mark.django_db

BUNDLE = plugin_bundle("my-wallet")
STYLES = b".my-wallet { color: red; }\n"
SOURCEMAP = b'{"version":3,"sources":["index.js"],"mappings":"AAAA"}'
HASH8 = hashlib.sha256(BUNDLE).hexdigest()[:8]
SCOPED_STYLES = scope_stylesheet(STYLES.decode(), name="my-wallet").text.encode()
FILES = sorted(
    [
        f"bundle.{HASH8}.js",
        f"bundle.{HASH8}.js.map",
        "manifest.json",
        f"styles.{hashlib.sha256(STYLES).hexdigest()[:8]}.css",
        f"styles.{hashlib.sha256(SCOPED_STYLES).hexdigest()[:8]}.scoped.css",
    ]
)
REVIEW_KEYS = [f"review/my-wallet/1.0.0/{name}" for name in FILES]
PUBLIC_KEYS = [f"plugins/my-wallet/1.0.0/{name}" for name in FILES]
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def publish_pending(version: str = "1.0.0", *, verified: bool = False) -> PluginVersion:
    """my-wallet@version with styles and a sourcemap, from an unverified publisher."""
    owner = make_user()
    return services.publish_version(
        actor=owner,
        publisher=make_publisher(owner=owner, verified=verified),
        manifest=plugin_manifest("my-wallet", version),
        bundle=BUNDLE,
        styles=STYLES,
        sourcemap=SOURCEMAP,
    ).version


def approve(version: PluginVersion) -> PluginVersion:
    return services.approve_version(actor=make_user(staff=True), version=version)


def fetch(url: str, **headers) -> tuple[int, bytes, Message]:
    """GET url over real HTTP: the status, the body and the headers (any case)."""
    try:
        with NO_PROXY.open(urllib.request.Request(url, headers=headers), timeout=10) as response:
            return response.status, response.read(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers


def signature_from_two_hours_ago(key: str) -> str:
    """The query a temporary URL of key had when it was made two hours ago."""

    class TwoHoursAgo(signing.TimestampSigner):
        def timestamp(self) -> str:
            return signing.b62_encode(int(time.time()) - 2 * TEMPORARY_URL_MAX_AGE)

    _, issued, signature = TwoHoursAgo(salt=TEMPORARY_URL_SALT).sign(key).rsplit(":", 2)
    return f"issued={issued}&signature={signature}"


def query_of(url: str) -> str:
    return url.partition("?")[2]


# Local disk: stored out of the public CDN's reach -------------------------------------------


def test_a_pending_versions_files_are_stored_under_review_and_the_row_points_there():
    version = publish_pending()

    assert version.status == "pending_review"
    assert sorted(version.asset_keys) == REVIEW_KEYS
    assert version.bundle_url == f"/cdn/{version.bundle_key}"
    assert version.styles_url == f"/cdn/{version.styles_key}"
    assert version.sourcemap_url == f"/cdn/{version.sourcemap_key}"
    assert stored_keys("review/") == REVIEW_KEYS
    assert stored_keys("plugins/") == []


def test_a_verified_publishers_files_go_straight_to_the_public_prefix():
    version = publish_pending(verified=True)

    assert sorted(version.asset_keys) == PUBLIC_KEYS
    assert stored_keys("review/") == []


def test_no_public_url_serves_a_pending_versions_files(client):
    version = publish_pending()
    bundle, styles = version.bundle_key, version.styles_key
    signed_for_styles = query_of(review_manifest(version)["stylesUrl"])
    other_salt = signing.TimestampSigner(salt="another-purpose").sign(bundle).rsplit(":", 2)

    for key in PUBLIC_KEYS:  # the names a guesser would try
        assert client.get(f"/cdn/{key}").status_code == 404
    for url in [
        f"/cdn/{bundle}",
        f"/cdn/{bundle}?issued=&signature=",
        f"/cdn/{bundle}?{signed_for_styles}",  # a signature of another file
        f"/cdn/{bundle}?{signature_from_two_hours_ago(bundle)}",  # expired
        f"/cdn/{bundle}?issued={other_salt[1]}&signature={other_salt[2]}",
        f"/cdn/{bundle}?issued=!!&signature=x",
        f"/cdn/{styles}?{signed_for_styles}x",
        f"/cdn/{version.manifest_key}",
    ]:
        response = client.get(url)
        assert response.status_code == 404, url
        assert client.head(url).status_code == 404, url
    # Not even whether the file exists: a missing file in review answers the same.
    missing = "review/my-wallet/9.9.9/manifest.json"
    assert client.get(f"/cdn/{missing}").status_code == 404


def test_a_temporary_url_serves_the_file_over_http_to_any_origin_without_caching(live_server):
    version = publish_pending()
    manifest = review_manifest(version)

    for field, content, content_type in [
        ("bundleUrl", BUNDLE, "text/javascript; charset=utf-8"),
        ("stylesUrl", STYLES, "text/css; charset=utf-8"),
        ("scopedStylesUrl", SCOPED_STYLES, "text/css; charset=utf-8"),
        ("sourcemapUrl", SOURCEMAP, "application/json"),
    ]:
        url = manifest[field]
        assert url.startswith("/cdn/review/my-wallet/1.0.0/") and "signature=" in url
        # A sandboxed preview frame has an opaque origin: it sends Origin: null.
        status, body, headers = fetch(live_server.url + url, Origin="null")
        assert status == 200, field
        assert body == content
        assert headers["Content-Type"] == content_type
        assert headers["Cache-Control"] == "private, no-store"
        assert headers["Access-Control-Allow-Origin"] == "*"
        assert headers["Cross-Origin-Resource-Policy"] == "cross-origin"
        assert headers["X-Content-Type-Options"] == "nosniff"


def test_the_review_manifest_is_the_production_manifest_with_temporary_urls():
    version = publish_pending()

    manifest = review_manifest(version)

    production = production_manifest(version)
    file_fields = {"bundleUrl", "stylesUrl", "scopedStylesUrl", "sourcemapUrl"}
    for field in file_fields:
        assert manifest[field] != production[field]
        assert manifest[field].startswith(production[field] + "?")
    unchanged = {key for key in production if key not in file_fields}
    assert {key: manifest[key] for key in unchanged} == {key: production[key] for key in unchanged}
    assert manifest["integrity"]["bundle"] == version.bundle_integrity


def test_the_review_manifest_of_a_published_version_is_its_production_manifest():
    version = publish_pending(verified=True)
    assert review_manifest(version) == production_manifest(version)


def test_the_review_manifest_of_a_version_without_styles_has_no_styles_url():
    owner = make_user()
    version = services.publish_version(
        actor=owner,
        publisher=make_publisher(owner=owner, verified=False),
        manifest=plugin_manifest("my-wallet", "1.0.0"),
        bundle=BUNDLE,
    ).version

    manifest = review_manifest(version)

    assert manifest["stylesUrl"] is None
    assert "sourcemapUrl" not in manifest
    assert "signature=" in manifest["bundleUrl"]


# Local disk: approval, rejection --------------------------------------------------------


def test_approval_makes_the_files_public_with_the_same_bytes_and_removes_the_review_copies(
    client, django_capture_on_commit_callbacks
):
    version = publish_pending()
    before = PluginVersion.objects.get(pk=version.pk)
    signed_bundle = review_manifest(version)["bundleUrl"]

    with django_capture_on_commit_callbacks(execute=True):
        approve(version)

    after = PluginVersion.objects.get(pk=version.pk)
    assert after.status == "published"
    assert sorted(after.asset_keys) == PUBLIC_KEYS
    assert after.bundle_url == f"/cdn/plugins/my-wallet/1.0.0/bundle.{HASH8}.js"
    assert after.styles_url == f"/cdn/{after.styles_key}"
    assert after.sourcemap_url == f"/cdn/{after.sourcemap_key}"
    for field in ("bundle_integrity", "bundle_sha256", "bundle_size", "styles_integrity"):
        assert getattr(after, field) == getattr(before, field)
    assert stored_keys("plugins/") == PUBLIC_KEYS
    assert stored_keys("review/") == []
    bundle = client.get(after.bundle_url)
    assert bundle.status_code == 200
    assert b"".join(bundle.streaming_content) == BUNDLE
    assert bundle["Cache-Control"] == "public, max-age=31536000, immutable"
    stored_manifest = client.get(f"/cdn/{after.manifest_key}")
    assert json.loads(b"".join(stored_manifest.streaming_content)) == after.manifest
    assert client.get(signed_bundle).status_code == 404  # the review copy is gone
    assert review_manifest(after) == production_manifest(after)


def test_after_approval_manifests_and_bootstraps_name_the_public_files(
    client, django_capture_on_commit_callbacks
):
    version = publish_pending()
    with django_capture_on_commit_callbacks(execute=True):
        approve(version)
    person = make_user()
    install_plugin(actor=person, name="my-wallet")
    client.force_login(person)

    manifest = client.get("/api/v1/plugins/registry/my-wallet/latest/manifest").json()
    [entry] = client.get("/api/v1/plugins/installed").json()["data"]["plugins"]

    public = f"/cdn/plugins/my-wallet/1.0.0/bundle.{HASH8}.js"
    assert manifest["bundleUrl"] == public
    assert entry["manifest"]["bundleUrl"] == public
    assert manifest["integrity"]["bundle"] == version.bundle_integrity


def test_approval_writes_the_public_manifest_json_when_its_review_copy_is_missing(
    plugin_storage_in_tmp, django_capture_on_commit_callbacks
):
    version = publish_pending()
    (plugin_storage_in_tmp / version.manifest_key).unlink()
    # As a publish whose manifest.json could not be stored leaves the row.
    PluginVersion.objects.filter(pk=version.pk).update(manifest_key="")

    with django_capture_on_commit_callbacks(execute=True):
        approve(PluginVersion.objects.get(pk=version.pk))

    after = PluginVersion.objects.get(pk=version.pk)
    assert after.manifest_key == "plugins/my-wallet/1.0.0/manifest.json"
    assert json.loads((plugin_storage_in_tmp / after.manifest_key).read_bytes()) == after.manifest
    assert stored_keys("plugins/") == PUBLIC_KEYS
    assert stored_keys("review/") == []


def test_an_approval_whose_copy_fails_leaves_the_version_pending_and_nothing_public(
    plugin_storage_in_tmp,
):
    version = publish_pending()
    # The bundle copies, then the styles are missing (a failing store): nothing may stay.
    (plugin_storage_in_tmp / version.styles_key).unlink()

    with pytest.raises(FileNotFoundError):
        approve(version)

    after = PluginVersion.objects.get(pk=version.pk)
    assert after.status == "pending_review"
    assert after.bundle_key == version.bundle_key
    assert after.bundle_url == version.bundle_url
    assert after.package.status == "pending_review"
    assert not hasattr(after.package, "deployment") or after.package.deployment.version is None
    assert stored_keys("plugins/") == []
    assert version.bundle_key in stored_keys("review/")


def test_rejection_removes_the_files_in_review():
    version = publish_pending()

    services.reject_version(actor=make_user(staff=True), version=version, reason="Mines coins")

    assert stored_keys("review/") == []
    assert stored_keys("plugins/") == []
    assert PluginVersion.objects.get(pk=version.pk).asset_keys == []


# gc_assets knows review/ ----------------------------------------------------------------


def test_gc_assets_removes_orphans_in_review_and_keeps_pending_versions_files(
    plugin_storage_in_tmp,
):
    version = publish_pending()
    orphan = "review/my-wallet/2.0.0/manifest.json"
    asset_backend().write(orphan, b"{}")

    out = StringIO()
    call_command("gc_assets", "--delete", "--min-age-minutes", "0", stdout=out)

    assert orphan in out.getvalue()
    assert "5 referenced, 1 orphaned" in out.getvalue()
    assert stored_keys("review/") == sorted(version.asset_keys)


# Versions stored before files in review had their own prefix ------------------------------


def stored_before_review_prefix() -> PluginVersion:
    """A version waiting for review whose files were stored under plugins/, as before."""
    version = publish_pending(verified=True)
    PluginVersion.objects.filter(pk=version.pk).update(
        status=PluginVersion.Status.PENDING_REVIEW, published_at=None
    )
    return PluginVersion.objects.get(pk=version.pk)


def move(*args: str) -> str:
    out = StringIO()
    call_command("move_files_to_review", *args, stdout=out)
    return out.getvalue()


def test_the_command_moves_public_files_of_pending_versions_under_review(
    client, django_capture_on_commit_callbacks
):
    legacy = stored_before_review_prefix()
    other_owner = make_user()
    published = services.publish_version(
        actor=other_owner,
        publisher=make_publisher(owner=other_owner, verified=True),
        manifest=plugin_manifest("other-plugin", "1.0.0"),
        bundle=plugin_bundle("other-plugin"),
    ).version
    published_keys = sorted(published.asset_keys)
    assert client.get(legacy.bundle_url).status_code == 200

    assert "would move: my-wallet@1.0.0" in move("--dry-run")
    assert sorted(stored_keys("plugins/my-wallet/")) == PUBLIC_KEYS

    with django_capture_on_commit_callbacks(execute=True):
        output = move()

    assert "moved: my-wallet@1.0.0" in output
    assert "Done: 1 moved." in output
    after = PluginVersion.objects.get(pk=legacy.pk)
    assert sorted(after.asset_keys) == REVIEW_KEYS
    assert after.bundle_url == f"/cdn/review/my-wallet/1.0.0/bundle.{HASH8}.js"
    assert after.bundle_integrity == legacy.bundle_integrity
    assert stored_keys("review/") == REVIEW_KEYS
    assert stored_keys("plugins/my-wallet/") == []
    assert client.get(legacy.bundle_url).status_code == 404
    assert client.get(review_manifest(after)["bundleUrl"]).status_code == 200
    assert sorted(PluginVersion.objects.get(pk=published.pk).asset_keys) == published_keys
    assert stored_keys("plugins/other-plugin/") == published_keys

    assert "Done: 0 moved." in move()  # again: nothing left to move


def test_a_moved_legacy_version_is_approved_like_any_other(django_capture_on_commit_callbacks):
    legacy = stored_before_review_prefix()
    with django_capture_on_commit_callbacks(execute=True):
        move()
        approve(legacy)

    assert sorted(PluginVersion.objects.get(pk=legacy.pk).asset_keys) == PUBLIC_KEYS
    assert stored_keys("review/") == []


# S3 (moto's server over HTTP) -------------------------------------------------------------


def s3_keys(bucket, prefix: str = "") -> list[str]:
    listing = bucket.client.list_objects_v2(Bucket=bucket.name, Prefix=prefix)
    return sorted(entry["Key"] for entry in listing.get("Contents", ()))


@pytest.mark.s3
def test_on_s3_a_pending_versions_objects_are_only_under_review(s3_storage, settings):
    settings.PLUGIN_CDN_URL = ""
    version = publish_pending()

    assert s3_keys(s3_storage) == REVIEW_KEYS
    head = s3_storage.client.head_object(Bucket=s3_storage.name, Key=version.bundle_key)
    assert head["CacheControl"] == "private, no-store"
    # Nothing under the public prefix: its URL (the one a bucket policy on plugins/* opens)
    # has nothing to give.
    public_url = f"{s3_storage.endpoint_url}/{s3_storage.name}/{PUBLIC_KEYS[0]}"
    assert fetch(public_url)[0] == 404


@pytest.mark.s3
def test_on_s3_the_review_manifest_has_presigned_urls_that_fetch_the_files(s3_storage, settings):
    settings.PLUGIN_CDN_URL = "https://cdn.example.test"  # presigned URLs never use the CDN
    version = publish_pending()

    manifest = review_manifest(version)

    for field, content in [
        ("bundleUrl", BUNDLE),
        ("stylesUrl", STYLES),
        ("scopedStylesUrl", SCOPED_STYLES),
        ("sourcemapUrl", SOURCEMAP),
    ]:
        url = manifest[field]
        assert url.startswith(f"{s3_storage.endpoint_url}/{s3_storage.name}/review/my-wallet/")
        # Valid for an hour: the signature's own expiry (Expires, or X-Amz-Expires with SigV4).
        query = parse_qs(urlsplit(url).query)
        if "X-Amz-Expires" in query:
            assert query["X-Amz-Expires"] == ["3600"]
        else:
            assert abs(int(query["Expires"][0]) - (time.time() + 3600)) < 120
        status, body, headers = fetch(url)
        assert status == 200, field
        assert body == content
        assert headers["Cache-Control"] == "private, no-store"


@pytest.mark.s3
def test_on_s3_approval_copies_to_the_public_keys_and_removes_the_review_objects(
    s3_storage, settings, django_capture_on_commit_callbacks
):
    settings.PLUGIN_CDN_URL = "https://cdn.example.test"
    version = publish_pending()

    with django_capture_on_commit_callbacks(execute=True):
        approve(version)

    after = PluginVersion.objects.get(pk=version.pk)
    assert after.status == "published"
    assert s3_keys(s3_storage) == PUBLIC_KEYS
    assert sorted(after.asset_keys) == PUBLIC_KEYS
    assert after.bundle_url == f"https://cdn.example.test/plugins/my-wallet/1.0.0/bundle.{HASH8}.js"
    assert after.bundle_integrity == version.bundle_integrity
    bundle = s3_storage.client.get_object(Bucket=s3_storage.name, Key=after.bundle_key)
    assert bundle["Body"].read() == BUNDLE
    assert bundle["ContentType"] == "text/javascript; charset=utf-8"
    assert bundle["CacheControl"] == "public, max-age=31536000, immutable"
    manifest = s3_storage.client.get_object(Bucket=s3_storage.name, Key=after.manifest_key)
    assert manifest["CacheControl"] == "public, max-age=300"
    assert review_manifest(after)["bundleUrl"] == after.bundle_url


@pytest.mark.s3
def test_on_s3_an_approval_whose_copy_fails_leaves_nothing_public(s3_storage):
    version = publish_pending()
    s3_storage.client.delete_object(Bucket=s3_storage.name, Key=version.styles_key)

    with pytest.raises(ClientError):
        approve(version)

    assert PluginVersion.objects.get(pk=version.pk).status == "pending_review"
    assert s3_keys(s3_storage, "plugins/") == []
    assert version.bundle_key in s3_keys(s3_storage, "review/")


@pytest.mark.s3
def test_on_s3_an_approval_while_the_store_is_down_leaves_the_version_pending(settings):
    with running_moto_server() as endpoint:
        client = s3_client(endpoint)
        bucket = unique_bucket_name()
        client.create_bucket(Bucket=bucket)
        settings.STORAGES = {
            **settings.STORAGES,
            "plugins": plugin_storage_settings(endpoint, bucket),
        }
        version = publish_pending()
    # The server is stopped now.

    with pytest.raises(StorageUnavailable, match="did not answer"):
        approve(version)

    after = PluginVersion.objects.get(pk=version.pk)
    assert after.status == "pending_review"
    assert sorted(after.asset_keys) == REVIEW_KEYS
    assert after.package.status == "pending_review"


@pytest.mark.s3
def test_on_s3_rejection_removes_the_review_objects(s3_storage):
    version = publish_pending()

    services.reject_version(actor=make_user(staff=True), version=version, reason="Mines coins")

    assert s3_keys(s3_storage) == []


@pytest.mark.s3
def test_on_s3_gc_assets_removes_orphans_in_review(s3_storage):
    version = publish_pending()
    orphan = "review/my-wallet/2.0.0/manifest.json"
    asset_backend().write(orphan, b"{}")

    call_command("gc_assets", "--delete", "--min-age-minutes", "0", stdout=StringIO())

    assert s3_keys(s3_storage) == sorted(version.asset_keys)


@pytest.mark.s3
def test_on_s3_the_command_moves_public_objects_of_pending_versions(
    s3_storage, django_capture_on_commit_callbacks
):
    legacy = stored_before_review_prefix()

    with django_capture_on_commit_callbacks(execute=True):
        move()

    assert s3_keys(s3_storage) == REVIEW_KEYS
    assert sorted(PluginVersion.objects.get(pk=legacy.pk).asset_keys) == REVIEW_KEYS
    head = s3_storage.client.head_object(Bucket=s3_storage.name, Key=REVIEW_KEYS[0])
    assert head["CacheControl"] == "private, no-store"
