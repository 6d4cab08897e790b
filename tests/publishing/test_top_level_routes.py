"""Top-level routes and isCore: a first version asking for them waits for review with a finding
naming them, a staff approval grants them, later versions within the grant publish directly,
and no two packages hold the same page. Real NaaP manifests ask for such routes."""

from __future__ import annotations

import html
import importlib
import json
import shutil
from pathlib import Path

import pytest
from django.apps import apps as django_apps

from naap.errors import Conflict, Forbidden
from publishing import services
from registry.models import AuditEvent, PluginDeployment, PluginPackage, PluginVersion
from registry.routes import route_request, route_within, routes_overlap
from tests.factories import make_publisher, make_staff, make_user, plugin_bundle, plugin_manifest
from tests.publishing.helpers import bearer, publish_form, stored_files, token_for
from tests.publishing.test_admin_actions import QUEUE, act
from tests.upstream import NAAP_UPSTREAM

pytestmark = pytest.mark.django_db
URL = "/api/v1/plugins/publish"
UPSTREAM = NAAP_UPSTREAM


def upstream_manifest(tmp_path: Path, folder: str, **changes) -> dict:
    """A sample plugin's plugin.json as shipped, read from a copy in tmp_path."""
    copy = tmp_path / folder.replace("/", "-") / "plugin.json"
    copy.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(UPSTREAM / folder / "plugin.json", copy)
    manifest = json.loads(copy.read_text())
    manifest.update(changes)
    return manifest


def post(client, secret, manifest):
    return client.post(
        URL,
        publish_form(manifest=manifest, bundle=plugin_bundle(manifest["name"])),
        **bearer(secret),
    )


def routes_finding(version_data: dict) -> dict | None:
    found = [f for f in version_data["findings"] if f["check"] == "routes"]
    return found[0] if found else None


@pytest.fixture
def lightning(client, tmp_path):
    """lightning-client 1.0.0 published by a verified publisher's token: it waits for review."""
    _, publisher, _, secret = token_for()
    manifest = upstream_manifest(tmp_path, "plugins/lightning-client")
    response = post(client, secret, manifest)
    assert response.status_code == 201, response.json()
    return {"publisher": publisher, "secret": secret, "manifest": manifest, "response": response}


def approve(name: str, version: str = "1.0.0", *, actor=None):
    actor = actor or make_user(staff=True)
    row = PluginVersion.objects.get(package__name=name, version=version)
    return services.approve_version(actor=actor, version=row)


def test_a_first_publish_with_top_level_routes_waits_for_review_naming_them(
    client, lightning, plugin_storage_in_tmp
):
    data = lightning["response"].json()["data"]
    assert data["version"]["status"] == "pending_review"
    assert data["package"]["status"] == "pending_review"
    finding = routes_finding(data["version"])
    assert finding["severity"] == "warning"
    assert finding["detail"] == {"routes": ["/lightning", "/lightning/*"], "isCore": False}
    assert "/lightning, /lightning/*" in finding["message"]
    assert "/plugins/lightning-client" in finding["message"]
    assert any("/lightning, /lightning/*" in w for w in data["warnings"]), data["warnings"]
    package = PluginPackage.objects.get(name="lightning-client")
    assert package.granted_routes == []
    assert PluginDeployment.objects.get(package=package).version is None
    # Its files wait out of the public CDN, as every version in review does.
    assert all(key.startswith("review/") for key in stored_files(plugin_storage_in_tmp)), (
        stored_files(plugin_storage_in_tmp)
    )


def test_the_moderation_queue_shows_the_routes_asked_for(client, lightning):
    client.force_login(make_user("reviewer", staff=True))
    page = client.get(QUEUE).content.decode()
    assert "lightning-client@1.0.0" in page
    assert "the top-level route(s) /lightning, /lightning/*" in html.unescape(page)
    version = PluginVersion.objects.get(package__name="lightning-client")
    detail = html.unescape(client.get(f"{QUEUE}{version.pk}/change/").content.decode())
    assert "Asks to be granted" in detail
    assert "asks for the top-level route(s) /lightning, /lightning/*" in detail


def test_approval_in_the_queue_grants_the_routes_and_records_it(client, lightning):
    reviewer = make_user("reviewer", staff=True)
    client.force_login(reviewer)
    version = PluginVersion.objects.get(package__name="lightning-client")
    response = act(client, QUEUE, "approve", [version])
    assert "Approved: 1." in response.content.decode()
    package = PluginPackage.objects.get(name="lightning-client")
    assert package.granted_routes == ["/lightning", "/lightning/*"]
    assert package.is_core is False
    assert package.status == "published"
    version.refresh_from_db()
    assert version.status == "published"
    assert PluginDeployment.objects.get(package=package).version == version
    event = AuditEvent.objects.get(action="package.routes_grant")
    assert (event.actor, event.target) == (reviewer, "lightning-client")
    assert event.details == {
        "routes": ["/lightning", "/lightning/*"],
        "isCore": False,
        "version": "1.0.0",
    }
    assert not AuditEvent.objects.filter(action="package.is_core").exists()
    page = client.get(f"/admin/registry/pluginpackage/{package.pk}/change/").content.decode()
    assert "Granted routes" in page
    assert "/lightning/*" in html.unescape(page)


def test_later_versions_within_the_grant_publish_directly(client, lightning):
    approve("lightning-client")
    manifest = {**lightning["manifest"], "version": "1.1.0"}
    # A path below a granted wildcard is within the grant too.
    manifest["frontend"] = {**manifest["frontend"], "routes": ["/lightning", "/lightning/live"]}
    response = post(client, lightning["secret"], manifest)
    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["version"]["status"] == "published"
    assert routes_finding(data["version"]) is None
    assert data["deployment"]["version"] == "1.1.0"


def test_a_later_version_with_a_new_top_level_route_waits_again(client, lightning):
    approve("lightning-client")
    manifest = {**lightning["manifest"], "version": "1.1.0"}
    manifest["frontend"] = {**manifest["frontend"], "routes": ["/lightning/*", "/capacity"]}
    response = post(client, lightning["secret"], manifest)
    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["version"]["status"] == "pending_review"
    assert routes_finding(data["version"])["detail"]["routes"] == ["/capacity"]
    assert data["package"]["status"] == "published"  # 1.0.0 stays listed and deployed
    assert data["deployment"]["version"] == "1.0.0"
    approve("lightning-client", "1.1.0")
    package = PluginPackage.objects.get(name="lightning-client")
    assert package.granted_routes == ["/lightning", "/lightning/*", "/capacity"]
    assert package.deployment.version.version == "1.1.0"


def test_a_route_another_package_holds_is_409_naming_it(client, lightning, tmp_path):
    approve("lightning-client")
    _, _, _, secret = token_for()
    manifest = upstream_manifest(tmp_path, "examples/my-wallet")
    manifest["frontend"] = {**manifest["frontend"], "routes": ["/wallet", "/lightning/live/*"]}
    manifest["frontend"]["navigation"] = {"label": "Wallet", "path": "/wallet"}
    response = post(client, secret, manifest)
    assert response.status_code == 409, response.json()
    error = response.json()["error"]
    assert error["code"] == "CONFLICT"
    assert "lightning-client" in error["message"]
    assert "/lightning/live/*" in error["message"]
    assert error["details"]["package"] == "lightning-client"
    assert "frontend.routes" in error["details"]["fields"]
    assert not PluginPackage.objects.filter(name="my-wallet").exists()


def test_approval_is_refused_when_another_package_took_the_routes_meanwhile(
    client, tmp_path, plugin_storage_in_tmp
):
    wallet = upstream_manifest(tmp_path, "examples/my-wallet")
    rival = {**wallet, "name": "rival-wallet", "displayName": "Rival Wallet"}
    for manifest in (wallet, rival):
        _, _, _, secret = token_for()
        assert post(client, secret, manifest).status_code == 201
    approve("my-wallet")
    reviewer = make_user(staff=True)
    with pytest.raises(Conflict) as refused:
        approve("rival-wallet", actor=reviewer)
    assert "my-wallet" in refused.value.message
    assert refused.value.details["package"] == "my-wallet"
    rival_version = PluginVersion.objects.get(package__name="rival-wallet")
    assert rival_version.status == "pending_review"
    assert rival_version.bundle_key.startswith("review/")
    assert PluginPackage.objects.get(name="rival-wallet").granted_routes == []
    assert PluginPackage.objects.get(name="my-wallet").granted_routes == ["/wallet", "/wallet/*"]
    assert not AuditEvent.objects.filter(action="version.approve", target="rival-wallet@1.0.0")


def test_is_core_waits_for_review_and_approval_makes_the_package_core(client, tmp_path):
    _, _, _, secret = token_for()
    manifest = upstream_manifest(tmp_path, "examples/my-dashboard", isCore=True)
    response = post(client, secret, manifest)
    assert response.status_code == 201, response.json()
    data = response.json()["data"]
    assert data["version"]["status"] == "pending_review"
    finding = routes_finding(data["version"])
    assert finding["detail"] == {"routes": [], "isCore": True}
    assert "core status (isCore: true)" in finding["message"]
    reviewer = make_user(staff=True)
    approve("my-dashboard", actor=reviewer)
    package = PluginPackage.objects.get(name="my-dashboard")
    assert package.is_core is True
    assert AuditEvent.objects.get(action="package.is_core").details == {
        "value": True,
        "version": "1.0.0",
    }
    again = post(client, secret, {**manifest, "version": "1.0.1"})
    assert again.json()["data"]["version"]["status"] == "published"


def test_an_unverified_publishers_routes_are_granted_by_the_one_approval(client, tmp_path):
    owner = make_user()
    publisher = make_publisher(owner=owner, verified=False)
    _, _, _, secret = token_for(publisher, user=owner)
    manifest = upstream_manifest(tmp_path, "plugins/lightning-client")
    assert post(client, secret, manifest).json()["data"]["version"]["status"] == "pending_review"
    approve("lightning-client")
    assert PluginPackage.objects.get(name="lightning-client").granted_routes == [
        "/lightning",
        "/lightning/*",
    ]


def test_staff_without_the_review_permission_cannot_approve_or_grant(client, lightning):
    operator = make_staff(groups=["Operators"])
    version = PluginVersion.objects.get(package__name="lightning-client")
    with pytest.raises(Forbidden) as refused:
        services.approve_version(actor=operator, version=version)
    assert "registry.review_pluginversion" in refused.value.message
    client.force_login(operator)
    act(client, QUEUE, "approve", [version])
    version.refresh_from_db()
    assert version.status == "pending_review"
    assert PluginPackage.objects.get(name="lightning-client").granted_routes == []
    assert not AuditEvent.objects.filter(action="package.routes_grant").exists()


def test_migration_grants_the_top_level_routes_core_packages_already_published():
    migration = importlib.import_module("registry.migrations.0007_package_granted_routes")
    from tests.factories import publish

    publish("old-core", frontend={"routes": ["/plugins/old-core"]})
    PluginVersion.objects.filter(package__name="old-core").update(
        manifest=plugin_manifest("old-core", frontend={"routes": ["/old", "/old/*"]})
    )
    publish("plain", "1.0.0")
    migration.grant_routes_already_published(django_apps, None)
    assert PluginPackage.objects.get(name="old-core").granted_routes == ["/old", "/old/*"]
    assert PluginPackage.objects.get(name="plain").granted_routes == []


@pytest.mark.parametrize(
    ("route", "granted", "within"),
    [
        ("/lightning", ["/lightning"], True),
        ("/Lightning", ["/lightning"], True),
        ("/lightning/live", ["/lightning/*"], True),
        ("/lightning/live/*", ["/lightning/*"], True),
        ("/lightning", ["/lightning/*"], True),
        ("/lightning/*", ["/lightning"], False),
        ("/lightning-fast", ["/lightning/*"], False),
        ("/capacity", ["/lightning", "/lightning/*"], False),
        ("/capacity", [], False),
    ],
)
def test_route_within_a_grant(route, granted, within):
    assert route_within(route, granted) is within


@pytest.mark.parametrize(
    ("first", "second", "overlap"),
    [
        ("/wallet", "/wallet", True),
        ("/wallet", "/WALLET/*", True),
        ("/wallet/*", "/wallet/send", True),
        ("/wallet/send", "/wallet/*", True),
        ("/wallet/send", "/wallet", False),
        ("/wallet", "/wallets", False),
        ("/wallet/*", "/wallets/*", False),
    ],
)
def test_routes_overlap(first, second, overlap):
    assert routes_overlap(first, second) is overlap
    assert routes_overlap(second, first) is overlap


def test_route_request_names_only_what_the_package_lacks():
    manifest = plugin_manifest("x", isCore=True, frontend={"routes": ["/plugins/x", "/a", "/b"]})
    request = route_request(manifest, name="x", granted=["/a"], is_core=True)
    assert (request.routes, request.core) == (("/b",), False)
    assert not route_request(manifest, name="x", granted=["/a", "/b"], is_core=True)


def test_a_rejected_version_grants_nothing_and_the_next_one_waits_again(client, lightning):
    version = PluginVersion.objects.get(package__name="lightning-client")
    services.reject_version(actor=make_user(staff=True), version=version, reason="Use /plugins")
    assert PluginPackage.objects.get(name="lightning-client").granted_routes == []
    response = post(client, lightning["secret"], {**lightning["manifest"], "version": "1.0.1"})
    assert response.json()["data"]["version"]["status"] == "pending_review"


@pytest.mark.django_db(transaction=True)
def test_two_approvals_racing_for_the_same_routes_grant_them_once(
    client, tmp_path, plugin_storage_in_tmp
):
    from tests.installs.test_install_concurrency import run_together

    wallet = upstream_manifest(tmp_path, "examples/my-wallet")
    rivals = [
        {**wallet, "name": f"rival-{index}", "displayName": f"Rival {index}"} for index in range(4)
    ]
    for manifest in rivals:
        _, _, _, secret = token_for()
        assert post(client, secret, manifest).status_code == 201
    reviewers = [make_user(f"reviewer-{index}", staff=True) for index in range(4)]
    pending = [PluginVersion.objects.get(package__name=rival["name"]) for rival in rivals]

    outcomes = run_together(
        [
            lambda reviewer=reviewer, row=row: services.approve_version(actor=reviewer, version=row)
            for reviewer, row in zip(reviewers, pending, strict=True)
        ]
    )

    approved = [outcome for outcome in outcomes if isinstance(outcome, PluginVersion)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, Conflict)]
    assert len(approved) == 1 and len(refused) == 3, outcomes
    holders = [package for package in PluginPackage.objects.all() if package.granted_routes]
    assert [holder.granted_routes for holder in holders] == [["/wallet", "/wallet/*"]]
