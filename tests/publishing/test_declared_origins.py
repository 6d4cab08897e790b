"""Origins a plugin declares (permissions.external, backend.url): refused at publish when they
are no origin the shell can allow, listed in a review finding while new to the package (even a
verified publisher's version waits), approved for the package by a staff approval."""

from __future__ import annotations

import html

import pytest

from publishing import services
from registry.models import AuditEvent, PluginPackage, PluginVersion
from tests.factories import make_publisher, make_user, plugin_manifest
from tests.publishing.helpers import bearer, publish_form, stored_files, token_for
from tests.publishing.test_admin_actions import QUEUE, act

pytestmark = pytest.mark.django_db
URL = "/api/v1/plugins/publish"
RPC = "https://rpc.example.org"
PRICES = "https://prices.example.com"


def wallet(version: str = "1.0.0", *, external=(), backend_url: str | None = None) -> dict:
    manifest = plugin_manifest(
        "my-wallet",
        version,
        permissions={"shell": ["notifications"], "external": list(external)},
    )
    if backend_url is not None:
        manifest["backend"] = {"apiPrefix": "/api/v1/wallet", "url": backend_url}
    return manifest


def post(client, secret, manifest):
    return client.post(URL, publish_form(manifest=manifest), **bearer(secret))


def origins_finding(version_data: dict) -> dict | None:
    found = [item for item in version_data["findings"] if item["check"] == "origins"]
    return found[0] if found else None


@pytest.fixture
def secret():
    """A verified publisher's token: its versions publish at once unless something waits."""
    return token_for()[3]


@pytest.mark.parametrize(
    ("external", "backend_url", "field", "words"),
    [
        (["https://*.example.com"], None, "permissions.external[0]", "wildcard"),
        (["http://api.example.com"], None, "permissions.external[0]", "use https://"),
        ([RPC, "https://api.example.com/?key=1"], None, "permissions.external[1]", "query"),
        ([], "ftp://backend.example.com", "backend.url", "only https:// and wss://"),
        (["https://10.0.0.8"], None, "permissions.external[0]", "private or reserved"),
        (["https://a.example.com 'unsafe-eval'"], None, "permissions.external[0]", "separator"),
    ],
)
def test_a_declared_entry_that_is_no_origin_is_refused_in_the_envelope(
    client, secret, plugin_storage_in_tmp, external, backend_url, field, words
):
    response = post(client, secret, wallet(external=external, backend_url=backend_url))

    assert response.status_code == 400, response.json()
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert list(error["details"]["fields"]) == [field]
    assert words in error["details"]["fields"][field]
    assert field in error["message"]
    assert not PluginPackage.objects.exists()
    assert stored_files(plugin_storage_in_tmp) == []


def test_too_many_declared_origins_are_refused(client, secret):
    external = [f"https://api{index}.example.com" for index in range(21)]
    response = post(client, secret, wallet(external=external))
    assert response.status_code == 400
    fields = response.json()["error"]["details"]["fields"]
    assert "at most 20" in fields["permissions.external"]


def test_new_origins_make_even_a_verified_publishers_version_wait_with_a_finding(
    client, secret, plugin_storage_in_tmp
):
    manifest = wallet(external=["ethereum", RPC], backend_url="https://wallet.example.com/api")
    response = post(client, secret, manifest)

    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["version"]["status"] == "pending_review"
    finding = origins_finding(data["version"])
    assert finding["severity"] == "warning"
    assert finding["detail"] == {"origins": ["https://wallet.example.com", RPC]}
    assert finding["message"] == (
        "The manifest declares 2 origin(s) not yet approved for 'my-wallet': "
        "https://wallet.example.com, https://rpc.example.org. Approving this version lets the "
        "plugin's code connect to them from the shell (connect-src), for its later versions too."
    )
    assert PluginPackage.objects.get().granted_origins == []
    assert all(key.startswith("review/") for key in stored_files(plugin_storage_in_tmp))


def test_a_version_declaring_only_service_names_publishes_at_once(client, secret):
    response = post(client, secret, wallet(external=["ethereum"]))
    data = response.json()["data"]
    assert data["version"]["status"] == "published"
    assert origins_finding(data["version"]) is None


def test_approval_grants_the_origins_records_it_and_later_versions_within_publish_directly(
    client, secret
):
    assert post(client, secret, wallet(external=[RPC])).status_code == 201
    reviewer = make_user("reviewer", staff=True)
    services.approve_version(actor=reviewer, version=PluginVersion.objects.get())

    package = PluginPackage.objects.get()
    assert package.granted_origins == [RPC]
    event = AuditEvent.objects.get(action="package.origins_grant")
    assert (event.actor, event.target) == (reviewer, "my-wallet")
    assert event.details == {"origins": [RPC], "version": "1.0.0"}

    # Within the grant (written another way): published at once, no finding.
    response = post(client, secret, wallet("1.1.0", external=["rpc.example.org/v2"]))
    data = response.json()["data"]
    assert data["version"]["status"] == "published"
    assert origins_finding(data["version"]) is None

    # Only the origin not approved before is listed; the deployed version stays.
    response = post(client, secret, wallet("1.2.0", external=[RPC, PRICES]))
    data = response.json()["data"]
    assert data["version"]["status"] == "pending_review"
    assert origins_finding(data["version"])["detail"] == {"origins": [PRICES]}
    assert data["deployment"]["version"] == "1.1.0"
    services.approve_version(actor=reviewer, version=PluginVersion.objects.get(version="1.2.0"))
    assert PluginPackage.objects.get().granted_origins == [RPC, PRICES]


def test_rejection_grants_nothing(client, secret):
    assert post(client, secret, wallet(external=[RPC])).status_code == 201
    services.reject_version(
        actor=make_user(staff=True), version=PluginVersion.objects.get(), reason="Unknown host"
    )
    assert PluginPackage.objects.get().granted_origins == []


def test_an_unverified_publishers_first_version_lists_its_origins_too(client):
    user = make_user()
    _, _, _, secret = token_for(make_publisher(owner=user, verified=False), user=user)
    data = post(client, secret, wallet(external=[RPC])).json()["data"]
    assert data["version"]["status"] == "pending_review"
    assert origins_finding(data["version"])["detail"] == {"origins": [RPC]}


def test_the_moderation_queue_shows_the_origins_asked_for_and_approval_there_grants_them(
    client, secret
):
    assert post(client, secret, wallet(external=[RPC])).status_code == 201
    client.force_login(make_user("reviewer", staff=True))
    version = PluginVersion.objects.get()
    detail = html.unescape(client.get(f"{QUEUE}{version.pk}/change/").content.decode())
    assert f"connections to {RPC}" in detail
    assert "not yet approved for 'my-wallet'" in detail

    response = act(client, QUEUE, "approve", [version])

    assert "Approved: 1." in response.content.decode()
    package = PluginPackage.objects.get()
    assert package.granted_origins == [RPC]
    page = client.get(f"/admin/registry/pluginpackage/{package.pk}/change/").content.decode()
    assert "Granted origins" in page and RPC in html.unescape(page)


def test_the_plugin_page_says_which_backend_the_plugin_contacts(client, secret):
    manifest = wallet(external=[RPC], backend_url="https://wallet.example.com/api/v1/wallet")
    assert post(client, secret, manifest).status_code == 201
    services.approve_version(actor=make_user(staff=True), version=PluginVersion.objects.get())

    page = html.unescape(client.get("/plugins/my-wallet/").content.decode())

    assert "Contact its backend at https://wallet.example.com" in page
    assert f"Contact {RPC}" in page
