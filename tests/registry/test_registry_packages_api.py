"""GET /api/v1/registry/packages: upstream NaaP's catalog listing.

Upstream's route (apps/web-next/src/app/api/v1/registry/packages/route.ts in livepeer/naap)
takes `search`, `category` (`all` = every one), `sort` (downloads by default, rating, newest,
name), `page` and `pageSize`, and answers `{success, data: {packages}, meta: {page, pageSize,
total, totalPages}}` (packages/types/src/api-response.ts: APIMeta).
"""

import pytest
import yaml
from django.db import connection

from registry.models import PluginPackage
from tests.factories import publish

pytestmark = pytest.mark.django_db
URL = "/api/v1/registry/packages"
META_KEYS = {"page", "pageSize", "total", "totalPages"}
# Upstream's package row fields that we have, with the version people get.
PACKAGE_KEYS = {
    "name",
    "displayName",
    "description",
    "category",
    "keywords",
    "icon",
    "repository",
    "license",
    "author",
    "publisher",
    "deprecated",
    "deprecationMessage",
    "isCore",
    "featured",
    "downloads",
    "installCount",
    "rating",
    "ratingCount",
    "globalName",
    "createdAt",
    "updatedAt",
    "latestVersion",
}


def names(response) -> list[str]:
    assert response.status_code == 200, response.json()
    return [package["name"] for package in response.json()["data"]["packages"]]


def error_fields(response) -> dict:
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["success"] is False
    assert body["error"]["code"] == "VALIDATION_ERROR"
    return body["error"]["details"]["fields"]


@pytest.fixture
def catalog():
    publish("my-wallet", "1.0.0", description="Send and receive tokens", keywords=["finance"])
    publish("gateway-manager", "2.1.0", category="operations", description="Run gateways")
    publish("chat-room", "0.3.0", category="social", description="Talk to your team")
    for name, downloads in (("my-wallet", 50), ("chat-room", 5)):
        PluginPackage.objects.filter(name=name).update(downloads=downloads)


def test_the_answer_has_upstreams_shape(client, catalog):
    response = client.get(URL)
    body = response.json()
    assert set(body) == {"success", "data", "meta"}
    assert body["success"] is True
    assert set(body["data"]) == {"packages"}
    assert body["meta"] == {"page": 1, "pageSize": 20, "total": 3, "totalPages": 1}
    assert set(body["meta"]) == META_KEYS
    # Most downloaded first by default, as upstream.
    assert names(response) == ["my-wallet", "chat-room", "gateway-manager"]
    wallet = body["data"]["packages"][0]
    assert set(wallet) == PACKAGE_KEYS
    assert (wallet["latestVersion"], wallet["displayName"]) == ("1.0.0", "My Wallet")
    assert wallet["publisher"]["verified"] is True


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("downloads", ["my-wallet", "chat-room", "gateway-manager"]),
        ("name", ["chat-room", "gateway-manager", "my-wallet"]),
        ("newest", ["chat-room", "gateway-manager", "my-wallet"]),
    ],
)
def test_upstreams_sorts(client, catalog, sort, expected):
    assert names(client.get(URL, {"sort": sort})) == expected


def test_sorting_by_rating_puts_the_best_rated_first_and_the_unrated_last(client, catalog):
    PluginPackage.objects.filter(name="chat-room").update(
        rating_count=3, rating_average=4.5, rating_distribution=[0, 0, 0, 2, 1]
    )
    response = client.get(URL, {"sort": "rating"})
    assert names(response) == ["chat-room", "gateway-manager", "my-wallet"]
    assert response.json()["data"]["packages"][0]["rating"] == 4.5


def test_category_and_all(client, catalog):
    assert names(client.get(URL, {"category": "operations"})) == ["gateway-manager"]
    assert len(names(client.get(URL, {"category": "all"}))) == 3
    assert names(client.get(URL, {"category": "nothing-here"})) == []


def test_search(client, catalog):
    assert names(client.get(URL, {"search": "gateways"})) == ["gateway-manager"]
    response = client.get(URL, {"search": "wallet"})
    assert names(response)[0] == "my-wallet"
    assert response.json()["meta"]["total"] == len(names(response))


def test_paging_with_total_pages(client, catalog):
    first = client.get(URL, {"pageSize": 2})
    second = client.get(URL, {"pageSize": 2, "page": 2})
    past = client.get(URL, {"pageSize": 2, "page": 9})
    assert names(first) + names(second) == ["my-wallet", "chat-room", "gateway-manager"]
    assert first.json()["meta"] == {"page": 1, "pageSize": 2, "total": 3, "totalPages": 2}
    assert names(past) == []
    assert past.json()["meta"]["total"] == 3


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"pageSize": "0"}, "pageSize"),
        ({"pageSize": "101"}, "pageSize"),
        ({"pageSize": "ten"}, "pageSize"),
        ({"page": "0"}, "page"),
        ({"page": "100001"}, "page"),
        ({"sort": "popular"}, "sort"),
        ({"search": "x" * 101}, "search"),
        ({"category": "c" * 51}, "category"),
    ],
)
def test_bad_parameters_are_400_in_the_envelope_naming_the_field(client, catalog, params, field):
    assert set(error_fields(client.get(URL, params))) == {field}


def test_every_bad_parameter_is_named_at_once(client, catalog):
    fields = error_fields(client.get(URL, {"page": "0", "pageSize": "500", "sort": "best"}))
    assert set(fields) == {"page", "pageSize", "sort"}


def test_the_largest_page_is_one_query_for_the_rows_and_one_for_the_total(
    client, catalog, django_assert_max_num_queries
):
    for index in range(5):
        publish(f"extra-plugin-{index}", "1.0.0")
    with django_assert_max_num_queries(2 if connection.vendor == "postgresql" else 3):
        response = client.get(URL, {"pageSize": "100"})
    assert len(names(response)) == 8


def test_the_schema_documents_the_paging_meta(client):
    schema = yaml.safe_load(client.get("/api/v1/schema/").content)
    body = schema["paths"][URL]["get"]["responses"]["200"]["content"]["application/json"]
    envelope = body["schema"]
    assert "meta" in envelope["required"]
    assert set(envelope["properties"]["meta"]["required"]) == META_KEYS
    sort = next(p for p in schema["paths"][URL]["get"]["parameters"] if p["name"] == "sort")
    assert "rating" in sort["schema"]["enum"]
