"""The sandboxed frames' connect-src, without a browser: the origins the loaded plugins declare
and staff approved, nothing else; the marketplace's own pages never get them."""

from __future__ import annotations

import json
import re

import pytest

from installs.services import install_plugin, set_plugin_preferences
from publishing import services
from registry.models import PluginPackage, PluginVersion
from tests.factories import make_user
from tests.shell.helpers import preview_frame_url, preview_url, publish_probe
from tests.shell.test_pages import policy

pytestmark = pytest.mark.django_db
RPC = "https://rpc.example.org"
PRICES = "https://prices.example.com"
BACKEND = "http://127.0.0.1:4010"


def approved_probe(name: str, *external: str, version: str = "1.0.0") -> PluginVersion:
    """A probe declaring these origins, approved by staff (which grants them)."""
    permissions = {"shell": ["notifications"], "external": list(external)}
    found = publish_probe(name, version, permissions=permissions)
    if found.status == PluginVersion.Status.PENDING_REVIEW:
        services.approve_version(actor=make_user(staff=True), version=found)
    return PluginVersion.objects.get(pk=found.pk)


def person_with(*names: str):
    user = make_user()
    for name in names:
        install_plugin(actor=user, name=name, team_id=None, config=None)
    return user


def test_a_frame_without_such_plugins_connects_only_where_the_site_does(client, settings):
    publish_probe("probe-plain")
    client.force_login(person_with("probe-plain"))

    response = client.get("/sandbox/shell/")

    assert policy(response)["connect-src"] == list(settings.SECURE_CSP["connect-src"])


def test_the_frame_allows_the_approved_origins_of_the_plugins_it_loads(client, settings):
    approved_probe("probe-wallet", RPC, "ethereum")
    approved_probe("probe-prices", PRICES, BACKEND)
    approved_probe("probe-other", "https://other.example.net")  # not installed: not loaded
    client.force_login(person_with("probe-wallet", "probe-prices"))

    response = client.get("/sandbox/shell/plugins/probe-wallet")

    base = list(settings.SECURE_CSP["connect-src"])
    sources = policy(response)["connect-src"]
    assert sources[: len(base)] == base
    assert sorted(sources[len(base) :]) == sorted([RPC, PRICES, BACKEND])
    # The rest of the frame's policy is the site's frame policy, nonce included.
    directives = policy(response)
    nonce = re.search(rb'<script type="module" nonce="([^"]+)">', response.content).group(1)
    assert f"'nonce-{nonce.decode()}'" in directives["script-src"]
    assert "allow-same-origin" not in directives["sandbox"]
    assert directives["default-src"] == ["'self'"]
    assert "img-src" in directives and RPC not in directives["img-src"]


def test_an_origin_staff_did_not_approve_is_absent(client):
    version = approved_probe("probe-wallet", RPC)
    # As a version published before origins were reviewed: it declares one never approved.
    manifest = version.manifest
    manifest["permissions"]["external"].append(PRICES)
    PluginVersion.objects.filter(pk=version.pk).update(manifest=manifest)
    # A newer version asking for another origin waits for review: the frame loads 1.0.0.
    pending = publish_probe(
        "probe-wallet", "1.1.0", permissions={"external": [RPC, "https://new.example.com"]}
    )
    assert pending.status == PluginVersion.Status.PENDING_REVIEW
    client.force_login(person_with("probe-wallet"))

    sources = policy(client.get("/sandbox/shell/"))["connect-src"]

    assert RPC in sources
    assert PRICES not in sources
    assert "https://new.example.com" not in sources


def test_a_disabled_plugin_is_not_loaded_so_its_origins_stay_out(client):
    approved_probe("probe-wallet", RPC)
    user = person_with("probe-wallet")
    set_plugin_preferences(actor=user, name="probe-wallet", enabled=False)
    client.force_login(user)

    assert RPC not in policy(client.get("/sandbox/shell/"))["connect-src"]


def test_a_switched_off_headless_plugin_still_loads_so_it_keeps_its_origins_and_grant(client):
    # The shell loads headless plugins (no routes) even when switched off: they serve others.
    found = publish_probe(
        "probe-feed",
        frontend={"entry": "bundle.js", "routes": []},
        permissions={"external": [RPC]},
    )
    services.approve_version(actor=make_user(staff=True), version=found)
    user = person_with("probe-feed")
    set_plugin_preferences(actor=user, name="probe-feed", enabled=False)
    client.force_login(user)

    response = client.get("/sandbox/shell/")

    assert RPC in policy(response)["connect-src"]
    config = re.search(
        r'<script id="naap-shell-config" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    assert "probe-feed" in json.loads(config.group(1))["grants"]


def test_the_marketplaces_own_pages_never_get_the_plugins_origins(client):
    approved_probe("probe-wallet", RPC)
    client.force_login(person_with("probe-wallet"))

    for path in ["/shell/", "/shell/plugins/probe-wallet", "/", "/plugins/probe-wallet/"]:
        response = client.get(path)
        assert response.status_code == 200, path
        assert RPC not in response.headers["Content-Security-Policy"], path


def test_the_signed_out_frame_gets_the_frame_policy_without_origins(client, settings):
    approved_probe("probe-wallet", RPC)
    response = client.get("/sandbox/shell/")
    assert response.status_code == 403
    assert policy(response)["connect-src"] == list(settings.SECURE_CSP["connect-src"])
    assert "allow-scripts" in policy(response)["sandbox"]


def test_the_preview_of_a_version_in_review_allows_what_it_declares_for_staff_to_try(client):
    maker = make_user("maker")
    version = publish_probe("probe-wallet", actor=maker, permissions={"external": [RPC]})
    assert version.status == PluginVersion.Status.PENDING_REVIEW
    client.force_login(make_user("moderator", staff=True))

    assert RPC in policy(client.get(preview_frame_url(version)))["connect-src"]
    # The page around the frame is the marketplace's: never.
    assert RPC not in client.get(preview_url(version)).headers["Content-Security-Policy"]


def test_the_preview_of_a_published_version_allows_only_its_approved_origins(client):
    version = approved_probe("probe-wallet", RPC, PRICES)
    PluginPackage.objects.filter(name="probe-wallet").update(granted_origins=[RPC])

    sources = policy(client.get(preview_frame_url(version)))["connect-src"]

    assert RPC in sources
    assert PRICES not in sources
