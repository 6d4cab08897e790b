"""Bad input is a 4xx in the envelope, never a 500, and nothing is written: NUL in addresses,
page numbers past any page, JSON nested too deeply."""

import pytest

from installs.models import PluginStorageEntry, TenantPluginInstall
from registry.models import PluginPackage, PluginVersion
from tests.factories import make_user, publish
from tests.publishing.helpers import bearer, publish_form, stored_files, token_for

pytestmark = pytest.mark.django_db
DEEP = "[" * 100_000 + "]" * 100_000

NUL_ADDRESSES = [
    "/api/v1/plugins/registry/my%00wallet",
    "/api/v1/plugins/registry/my-wallet/1.0%000/manifest",
    "/api/v1/plugins/registry/x%00/1.0.0/manifest",
    "/api/v1/plugins/registry/my-wallet/deployment%00",
    "/api/v1/plugins/registry?search=wal%00let",
    "/api/v1/plugins/registry?category%00=finance",
]
NUL_PAGES = ["/plugins/my%00wallet/", "/publishers/a%00b/", "/?q=wal%00let", "/cdn/plugins/a%00/x"]


@pytest.fixture
def wallet():
    return publish("my-wallet")


@pytest.mark.parametrize("address", NUL_ADDRESSES)
def test_a_nul_in_an_api_address_is_a_400_in_the_envelope(client, wallet, address):
    response = client.get(address)
    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "error": {"code": "BAD_REQUEST", "message": response.json()["error"]["message"]},
    }
    assert "NUL" in response.json()["error"]["message"]


@pytest.mark.parametrize("address", NUL_PAGES)
def test_a_nul_in_a_page_address_is_a_400(client, wallet, address):
    response = client.get(address)
    assert response.status_code == 400
    assert b"NUL" in response.content


@pytest.mark.parametrize("page", ["9223372036854775808", "99999999999999999999999", "100001"])
def test_a_page_past_any_page_is_a_400_naming_the_page(client, wallet, page):
    response = client.get("/api/v1/plugins/registry", {"page": page})
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert "page" in error["details"]["fields"]


def test_the_last_allowed_page_is_simply_empty(client, wallet):
    response = client.get("/api/v1/plugins/registry", {"page": 100_000})
    assert response.status_code == 200
    assert response.json()["data"]["plugins"] == []


def test_the_browse_page_shows_the_last_page_for_a_huge_page_number(client, wallet):
    assert client.get("/", {"page": "9223372036854775808"}).status_code == 200


def test_install_config_nested_too_deeply_is_a_400_and_installs_nothing(client, wallet):
    client.force_login(make_user())
    response = client.post(
        "/api/v1/plugins/my-wallet/install",
        '{"config": ' + DEEP + "}",
        content_type="application/json",
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST"
    assert "nested too deeply" in response.json()["error"]["message"]
    assert not TenantPluginInstall.objects.exists()


def test_a_storage_value_nested_too_deeply_is_a_400_and_stores_nothing(client, wallet):
    person = make_user()
    client.force_login(person)
    assert client.post(
        "/api/v1/plugins/my-wallet/install", {}, content_type="application/json"
    ).status_code in {200, 201}
    response = client.put(
        "/api/v1/plugins/my-wallet/storage/key",
        '{"value": ' + DEEP + "}",
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not PluginStorageEntry.objects.exists()


@pytest.mark.parametrize("part", ["manifest", "sourcemap"])
def test_a_publish_with_json_nested_too_deeply_is_a_400_and_writes_nothing(
    client, plugin_storage_in_tmp, part
):
    _, _, _, secret = token_for()
    form = publish_form(sourcemap=DEEP.encode()) if part == "sourcemap" else publish_form()
    if part == "manifest":
        form["manifest"] = DEEP
    response = client.post("/api/v1/plugins/publish", form, **bearer(secret))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert part in error["details"]["fields"]
    assert not PluginPackage.objects.exists()
    assert not PluginVersion.objects.exists()
    assert stored_files(plugin_storage_in_tmp) == []
