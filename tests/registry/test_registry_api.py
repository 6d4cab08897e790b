"""GET /api/v1/plugins/registry and /plugins/registry/{name}: listing, search, detail."""

import pytest
from django.db import connection

from publishing import services
from registry.models import PluginPackage
from tests.factories import make_publisher, make_user, publish

pytestmark = pytest.mark.django_db
URL = "/api/v1/plugins/registry"


def names(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [plugin["name"] for plugin in response.json()["data"]["plugins"]]


@pytest.fixture
def catalog():
    publish("my-wallet", "1.0.0", description="Send and receive tokens", keywords=["finance"])
    publish("gateway-manager", "2.1.0", category="operations", description="Run gateways")
    publish("chat-room", "0.3.0", category="social", description="Talk to your team")
    for name in ("my-wallet", "chat-room"):
        PluginPackage.objects.filter(name=name).update(downloads={"my-wallet": 50}.get(name, 5))


def test_the_listing_shows_published_plugins_with_their_latest_version(client, catalog):
    response = client.get(URL)
    body = response.json()["data"]
    assert body["total"] == 3
    assert (body["page"], body["limit"]) == (1, 20)
    assert names(response) == ["my-wallet", "chat-room", "gateway-manager"]  # most downloaded
    wallet = body["plugins"][0]
    assert wallet["latestVersion"] == "1.0.0"
    assert wallet["displayName"] == "My Wallet"
    assert wallet["publisher"]["verified"] is True


def test_deprecated_unpublished_and_pending_plugins_are_not_listed(client, catalog):
    PluginPackage.objects.filter(name="chat-room").update(deprecated=True)
    PluginPackage.objects.filter(name="gateway-manager").update(status="unlisted")
    publish("waiting-room", "1.0.0", verified=False)
    assert names(client.get(URL)) == ["my-wallet"]


def test_latest_version_is_the_deployed_one_not_a_prerelease(client):
    result = publish("my-wallet", "1.0.0")
    publish(
        "my-wallet",
        "1.1.0-beta.1",
        actor=result.version.published_by,
        publisher=result.package.publisher,
    )
    assert client.get(URL).json()["data"]["plugins"][0]["latestVersion"] == "1.0.0"


def test_category_filter(client, catalog):
    assert names(client.get(URL, {"category": "operations"})) == ["gateway-manager"]
    assert names(client.get(URL, {"category": "nothing-here"})) == []


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["chat-room", "gateway-manager", "my-wallet"]),
        ("downloads", ["my-wallet", "chat-room", "gateway-manager"]),
        ("newest", ["chat-room", "gateway-manager", "my-wallet"]),
    ],
)
def test_sort_orders(client, catalog, sort, expected):
    assert names(client.get(URL, {"sort": sort})) == expected


def test_paging(client, catalog):
    first = client.get(URL, {"limit": 2, "page": 1, "sort": "name"})
    second = client.get(URL, {"limit": 2, "page": 2, "sort": "name"})
    assert names(first) == ["chat-room", "gateway-manager"]
    assert names(second) == ["my-wallet"]
    assert second.json()["data"]["total"] == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": 101}, "limit"),
        ({"limit": 0}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"page": 0}, "page"),
        ({"page": "x"}, "page"),
        ({"sort": "random"}, "sort"),
        ({"shellVersion": "1.0"}, "shellVersion"),
        ({"search": "x" * 101}, "search"),
    ],
)
def test_bad_parameters_are_400_naming_the_field(client, catalog, params, field):
    response = client.get(URL, params)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert field in error["details"]["fields"], error


def test_shell_version_filters_by_the_plugins_shell_range(client):
    publish("old-plugin", "1.0.0", shell={"minVersion": "0.1.0", "maxVersion": "0.9.0"})
    publish("new-plugin", "1.0.0", shell={"minVersion": "2.0.0"})
    publish("any-plugin", "1.0.0", shell={})
    assert sorted(names(client.get(URL, {"shellVersion": "0.5.0"}))) == ["any-plugin", "old-plugin"]
    assert sorted(names(client.get(URL, {"shellVersion": "2.1.0"}))) == ["any-plugin", "new-plugin"]


def test_search_finds_words_in_names_descriptions_and_keywords(client, catalog):
    assert names(client.get(URL, {"search": "gateways"})) == ["gateway-manager"]
    assert names(client.get(URL, {"search": "finance"})) == ["my-wallet"]
    assert names(client.get(URL, {"search": "wallet"})) == ["my-wallet"]


def test_search_forgives_typos_on_postgresql_and_matches_substrings_on_sqlite(client, catalog):
    if connection.vendor == "postgresql":
        # Trigram similarity: a misspelt name still finds the plugin, ranked first.
        assert names(client.get(URL, {"search": "walet"}))[0] == "my-wallet"
        assert names(client.get(URL, {"search": "gatway"}))[0] == "gateway-manager"
    else:
        # The embedded fallback is a plain substring match (docs/decisions.md).
        assert names(client.get(URL, {"search": "walet"})) == []
        assert names(client.get(URL, {"search": "allet"})) == ["my-wallet"]


def test_relevance_is_the_default_order_of_a_search(client):
    publish("team-notes", "1.0.0", description="Notes for a team", keywords=["notes"])
    publish(
        "notes",
        "1.0.0",
        displayName="Notes",
        description="Notes, notes and notes",
        keywords=["notes"],
    )
    PluginPackage.objects.filter(name="team-notes").update(downloads=1000)
    found = names(client.get(URL, {"search": "notes"}))
    assert set(found) == {"notes", "team-notes"}
    if connection.vendor == "postgresql":
        assert found[0] == "notes"


def test_listing_query_count_does_not_grow_with_the_number_of_plugins(
    client, django_assert_max_num_queries
):
    user = make_user()
    publisher = make_publisher(owner=user)
    publish("plugin-0", "1.0.0", actor=user, publisher=publisher)
    # The page's ids with their total, its rows, and, the first time a page of that many rows
    # is read, the rows once more through the statement kept for it (registry.ranked_statements).
    with django_assert_max_num_queries(4) as one:
        client.get(URL, {"limit": 100})
    for index in range(1, 50):
        publish(f"plugin-{index}", "1.0.0", actor=user, publisher=publisher)
    with django_assert_max_num_queries(len(one.captured_queries)):
        response = client.get(URL, {"limit": 100})
    assert response.json()["data"]["total"] == 50


def test_detail_lists_versions_newest_first_in_semver_order(client):
    result = publish("my-wallet", "1.9.0")
    for version in ["1.10.0", "1.10.0-rc.1", "0.1.0"]:
        publish(
            "my-wallet",
            version,
            actor=result.version.published_by,
            publisher=result.package.publisher,
        )
    response = client.get(f"{URL}/my-wallet")
    assert response.status_code == 200
    data = response.json()["data"]
    assert [v["version"] for v in data["versions"]] == ["1.10.0", "1.10.0-rc.1", "1.9.0", "0.1.0"]
    assert data["plugin"]["installCount"] == 0
    assert data["deployment"]["version"] == "1.10.0"


def test_an_unknown_plugin_is_404(client):
    response = client.get(f"{URL}/nothing-here")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_a_pending_plugin_is_404_except_to_its_members_and_staff(client):
    owner = make_user()
    publisher = make_publisher(owner=owner, verified=False)
    publish("waiting-room", "1.0.0", actor=owner, publisher=publisher)
    assert client.get(f"{URL}/waiting-room").status_code == 404
    client.force_login(make_user())
    assert client.get(f"{URL}/waiting-room").status_code == 404
    client.force_login(owner)
    response = client.get(f"{URL}/waiting-room")
    assert response.status_code == 200
    assert response.json()["data"]["versions"][0]["status"] == "pending_review"
    client.force_login(make_user(staff=True))
    assert client.get(f"{URL}/waiting-room").status_code == 200


def test_a_rejected_plugin_is_404_to_the_public(client):
    owner = make_user()
    publisher = make_publisher(owner=owner, verified=False)
    result = publish("spam-plugin", "1.0.0", actor=owner, publisher=publisher)
    services.reject_version(actor=make_user(staff=True), version=result.version, reason="spam")
    assert client.get(f"{URL}/spam-plugin").status_code == 404
