"""GET base/plugins/personalized: upstream NaaP's boot endpoint, in its flat shape.

The expected keys are read from upstream's sample: the route
(apps/web-next/src/app/api/v1/base/plugins/personalized/route.ts) answers
`{success, data: {plugins, context, teamId?}}`; each plugin carries the fields of
`RuntimePlugin` (packages/types/src/plugin.ts) that the shell's plugin context reads
(apps/web-next/src/contexts/plugin-context.tsx), with `installed` and `isCore` as the route
adds them.
"""

import pytest

from installs.api import serializers as shapes
from installs.bootstrap_fastpath import BootstrapFastPath
from installs.models import TenantPluginInstall
from publishing import services as publishing
from tests.factories import make_team, make_user
from tests.installs.helpers import error_of, install, publish_plugin, send
from tests.wsgi import call

pytestmark = pytest.mark.django_db

PERSONALIZED = "/api/v1/base/plugins/personalized"
# route.ts and RuntimePlugin: what upstream's shell reads of each plugin.
UPSTREAM_KEYS = {
    "name",
    "displayName",
    "version",
    "bundleUrl",
    "stylesUrl",
    "globalName",
    "routes",
    "icon",
    "order",
    "enabled",
    "pinned",
    "installed",
    "isCore",
}
# RuntimePlugin's optional fields we fill too, and our Subresource Integrity.
OUR_KEYS = {"integrity", "bundleHash", "bundleSize", "category", "description"}


def personalized(client, **query):
    response = client.get(PERSONALIZED, query)
    assert response.status_code == 200, response.content
    return response


def manifest_of(client, name, version):
    return client.get(f"/api/v1/plugins/registry/{name}/{version}/manifest").json()


def test_the_answer_has_upstreams_envelope_and_flat_plugins(api, wallet):
    install(api, config={"label": "Main"})
    response = personalized(api)
    body = response.json()
    assert set(body) == {"success", "data"}
    assert body["success"] is True
    assert set(body["data"]) == {"plugins", "context"}
    assert body["data"]["context"] == "personal"
    [item] = body["data"]["plugins"]
    assert set(item) == UPSTREAM_KEYS | OUR_KEYS
    manifest = manifest_of(api, "my-wallet", "1.0.0")
    assert item == {
        "name": "my-wallet",
        "displayName": "My Wallet",
        "version": "1.0.0",
        "bundleUrl": manifest["bundleUrl"],
        "stylesUrl": manifest["stylesUrl"],
        "globalName": manifest["globalName"],
        "routes": manifest["routes"],
        "icon": manifest["icon"],
        "order": 0,
        "enabled": True,
        "pinned": False,
        "installed": True,
        "isCore": False,
        "integrity": manifest["integrity"],
        "bundleHash": manifest["bundleHash"],
        "bundleSize": manifest["bundleSize"],
        "category": manifest["category"],
        "description": manifest["description"],
    }
    assert item["integrity"]["bundle"].startswith("sha384-")
    assert response["Cache-Control"] == "private, no-cache"
    assert response["Content-Type"] == "application/json"


def test_config_and_its_secrets_are_never_in_the_answer(api, wallet):
    install(api, config={"label": "Secret-ish"})
    assert b"Secret-ish" not in personalized(api).content


def test_preferences_order_and_pin_the_list_as_upstream_sorts_it(api, wallet):
    publish_plugin("my-notes")
    install(api)
    install(api, "my-notes")
    send(api, "put", "/api/v1/plugins/my-notes/preferences", {"order": 5})
    send(api, "put", "/api/v1/plugins/my-wallet/preferences", {"order": 1, "enabled": False})
    plugins = personalized(api).json()["data"]["plugins"]
    assert [(p["name"], p["order"], p["enabled"]) for p in plugins] == [
        ("my-wallet", 1, False),
        ("my-notes", 5, True),
    ]
    send(api, "put", "/api/v1/plugins/my-notes/preferences", {"pinned": True})
    plugins = personalized(api).json()["data"]["plugins"]
    assert [(p["name"], p["pinned"]) for p in plugins] == [("my-notes", True), ("my-wallet", False)]


def test_is_core_follows_the_core_set_and_a_staff_change_is_seen_at_once(api, wallet):
    install(api)
    first = personalized(api)
    assert first.json()["data"]["plugins"][0]["isCore"] is False
    publishing.set_package_flag(
        actor=make_user(staff=True), package=wallet, flag="is_core", value=True
    )
    second = personalized(api)
    assert second.json()["data"]["plugins"][0]["isCore"] is True
    assert second["ETag"] != first["ETag"]


def test_is_core_agrees_with_the_bootstrap_for_an_unlisted_or_deprecated_core_package(api, wallet):
    install(api)
    staff = make_user(staff=True)
    publishing.set_package_flag(actor=staff, package=wallet, flag="is_core", value=True)
    publishing.set_package_listing(actor=staff, package=wallet, listed=False)
    # Still installed for this person, but no longer installed for everyone.
    item = personalized(api).json()["data"]["plugins"][0]
    bootstrap_item = api.get("/api/v1/plugins/installed").json()["data"]["plugins"][0]
    assert item["isCore"] is bootstrap_item["isCore"] is False
    publishing.set_package_listing(actor=staff, package=wallet, listed=True)
    publishing.deprecate_package(actor=staff, package=wallet, message="Use my-bank")
    assert personalized(api).json()["data"]["plugins"][0]["isCore"] is False


def test_an_unchanged_answer_is_a_304_with_the_same_etag(api, wallet):
    install(api)
    etag = personalized(api)["ETag"]
    again = api.get(PERSONALIZED, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    send(api, "put", "/api/v1/plugins/my-wallet/preferences", {"pinned": True})
    changed = api.get(PERSONALIZED, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200
    assert changed["ETag"] != etag


def test_it_is_serialised_once_per_cache_entry_not_per_request(api, wallet, monkeypatch):
    install(api)
    first = personalized(api)
    personalized(api)  # the entry now knows my-wallet's generation: kept from here on

    def refuse(self, instance):
        raise AssertionError("serialised again on a cache hit")

    monkeypatch.setattr(shapes.PersonalizedPluginSerializer, "to_representation", refuse)
    assert personalized(api).content == first.content
    assert api.get("/api/v1/plugins/installed").status_code == 200


def test_shell_version_leaves_out_plugins_it_cannot_run(api, wallet):
    publish_plugin("old-plugin", shell={"minVersion": "1.0.0", "maxVersion": "1.9.0"})
    install(api)
    install(api, "old-plugin")
    assert {p["name"] for p in personalized(api).json()["data"]["plugins"]} == {
        "my-wallet",
        "old-plugin",
    }
    plugins = personalized(api, shellVersion="2.0.0").json()["data"]["plugins"]
    assert [p["name"] for p in plugins] == ["my-wallet"]


def test_its_etag_is_its_own_not_the_bootstraps(api, wallet):
    install(api)
    bootstrap_etag = api.get("/api/v1/plugins/installed")["ETag"]
    assert personalized(api)["ETag"] != bootstrap_etag
    assert api.get(PERSONALIZED, HTTP_IF_NONE_MATCH=bootstrap_etag).status_code == 200


def test_team_context_lists_the_teams_plugins_with_upstreams_context(api, person, wallet):
    publish_plugin("my-notes")
    install(api, "my-notes")
    team = make_team("finance", admin=make_user(), members=[person])
    TenantPluginInstall.objects.create(package=wallet, team=team)
    body = personalized(api, teamId=team.pk).json()
    assert body["data"]["context"] == "team"
    assert body["data"]["teamId"] == team.pk
    assert [p["name"] for p in body["data"]["plugins"]] == ["my-wallet"]
    personal = personalized(api).json()["data"]["plugins"]
    assert {p["name"] for p in personal} == {"my-wallet", "my-notes"}


def test_a_team_you_are_not_in_is_refused_with_404(api, wallet):
    team = make_team("finance", admin=make_user())
    TenantPluginInstall.objects.create(package=wallet, team=team)
    response = api.get(PERSONALIZED, {"teamId": team.pk})
    assert response.status_code == 404
    error = error_of(response)
    assert error["code"] == "NOT_FOUND"
    assert "teamId" in error["details"]["fields"]


@pytest.mark.parametrize("query", [{"teamId": "finance"}, {"teamId": "0"}, {"shellVersion": "two"}])
def test_bad_queries_are_400_in_the_envelope(api, wallet, query):
    response = api.get(PERSONALIZED, query)
    assert response.status_code == 400
    assert error_of(response)["code"] == "VALIDATION_ERROR"
    assert set(error_of(response)["details"]["fields"]) == set(query)


def test_signed_out_is_401(client, wallet):
    response = client.get(PERSONALIZED)
    assert response.status_code == 401
    assert error_of(response)["code"] == "UNAUTHORIZED"


def test_nothing_installed_is_an_empty_list(api, wallet):
    assert personalized(api).json()["data"]["plugins"] == []


# --- the hot path in front of Django ---------------------------------------------------------


@pytest.fixture
def layer(django_app):
    return BootstrapFastPath(django_app)


def ask(layer, client, path=PERSONALIZED, **extra):
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    return call(layer, path, HTTP_COOKIE=cookie, **extra)


@pytest.mark.parametrize("cache_backend", ["locmem", "redis"], indirect=True)
def test_the_hot_path_answers_a_repeat_without_django(
    layer, django_app, api, wallet, cache_backend
):
    install(api)
    answers = [ask(layer, api) for _ in range(4)]
    # Built twice (the first build did not know my-wallet's generation), then kept.
    assert len(django_app.calls) == 2
    assert all(answer.body == answers[0].body for answer in answers)
    assert answers[3].json()["data"]["plugins"][0]["name"] == "my-wallet"
    assert answers[3].headers["etag"] == answers[0].headers["etag"]
    for name in ["cache-control", "vary", "content-type"]:
        assert answers[3].headers[name] == answers[0].headers[name], name
    assert int(answers[3].headers["content-length"]) == len(answers[3].body)
    not_modified = ask(layer, api, HTTP_IF_NONE_MATCH=answers[0].headers["etag"])
    assert (not_modified.status_code, not_modified.body) == (304, b"")
    assert len(django_app.calls) == 2


@pytest.mark.parametrize("cache_backend", ["redis"], indirect=True)
def test_the_hot_path_keeps_the_two_shapes_apart(layer, django_app, api, wallet, cache_backend):
    install(api)
    for _ in range(2):
        ask(layer, api)
        ask(layer, api, path="/api/v1/plugins/installed")
    personal = ask(layer, api)
    bootstrap = ask(layer, api, path="/api/v1/plugins/installed")
    calls = len(django_app.calls)
    assert "manifest" in bootstrap.json()["data"]["plugins"][0]
    assert "bundleUrl" in personal.json()["data"]["plugins"][0]
    assert personal.headers["etag"] != bootstrap.headers["etag"]
    assert ask(layer, api).body == personal.body
    assert len(django_app.calls) == calls
    send(api, "put", "/api/v1/plugins/my-wallet/preferences", {"pinned": True})
    assert ask(layer, api).json()["data"]["plugins"][0]["pinned"] is True
