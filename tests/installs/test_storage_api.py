"""GET/PUT/DELETE plugins/{name}/storage/{key} and GET plugins/{name}/storage."""

import pytest

from installs.models import MAX_STORAGE_VALUE_BYTES, PluginStorageEntry
from installs.storage_rules import MAX_STORAGE_KEYS
from registry.models import AuditEvent
from tests.factories import make_team, make_user
from tests.installs.helpers import error_of, install, publish_plugin, send

pytestmark = pytest.mark.django_db


def storage_url(key=None, name="my-wallet"):
    base = f"/api/v1/plugins/{name}/storage"
    return base if key is None else f"{base}/{key}"


def put_value(client, key, value, name="my-wallet"):
    return send(client, "put", storage_url(key, name), {"value": value})


def nothing_stored() -> bool:
    return (
        not PluginStorageEntry.objects.exists()
        and not AuditEvent.objects.filter(action__startswith="plugin.storage").exists()
    )


@pytest.fixture
def installed(api, wallet):
    install(api)
    return api


def test_a_stored_value_is_read_back(installed, person):
    response = put_value(installed, "draft.v1", {"amount": 12.5, "tags": ["a"]})
    assert response.status_code == 201
    assert response.json()["data"]["key"] == "draft.v1"
    read = installed.get(storage_url("draft.v1"))
    assert read.status_code == 200
    data = read.json()["data"]
    assert data["key"] == "draft.v1"
    assert data["value"] == {"amount": 12.5, "tags": ["a"]}
    assert data["updatedAt"]
    event = AuditEvent.objects.get(action="plugin.storage.set")
    assert event.details["key"] == "draft.v1"
    assert "value" not in event.details


def test_overwriting_a_key_is_200_and_keeps_one_row(installed):
    put_value(installed, "count", 1)
    response = put_value(installed, "count", 2)
    assert response.status_code == 200
    assert response.json()["data"]["value"] == 2
    assert PluginStorageEntry.objects.count() == 1


@pytest.mark.parametrize("value", [None, False, 0, "", [], "text", [1, {"a": None}]])
def test_any_json_value_can_be_stored(installed, value):
    assert put_value(installed, "k", value).status_code == 201
    assert installed.get(storage_url("k")).json()["data"]["value"] == value


def test_deleting_a_key_removes_it(installed):
    put_value(installed, "draft", 1)
    response = send(installed, "delete", storage_url("draft"))
    assert response.status_code == 200
    assert response.json()["data"] == {"key": "draft", "deleted": True}
    assert not PluginStorageEntry.objects.exists()
    assert AuditEvent.objects.filter(action="plugin.storage.delete").count() == 1
    assert installed.get(storage_url("draft")).status_code == 404


def test_the_key_listing_shows_keys_without_values(installed):
    put_value(installed, "b", 1)
    put_value(installed, "a", {"big": "x" * 100})
    response = installed.get(storage_url())
    assert response.status_code == 200
    data = response.json()["data"]
    assert [entry["key"] for entry in data["keys"]] == ["a", "b"]
    assert "value" not in data["keys"][0]
    assert (data["total"], data["limit"]) == (2, MAX_STORAGE_KEYS)


def test_reading_a_missing_key_is_404_naming_it(installed):
    response = installed.get(storage_url("nothing-here"))
    assert response.status_code == 404
    error = error_of(response)
    assert error["code"] == "NOT_FOUND"
    assert "key" in error["details"]["fields"]


def test_deleting_a_missing_key_is_404(installed):
    response = send(installed, "delete", storage_url("nothing-here"))
    assert response.status_code == 404
    assert error_of(response)["code"] == "NOT_FOUND"
    assert not AuditEvent.objects.filter(action="plugin.storage.delete").exists()


def test_storage_works_for_a_plugin_installed_by_one_of_your_teams(client, person, wallet):
    admin = make_user("boss")
    team = make_team("finance", admin=admin, members=[person])
    client.force_login(admin)
    install(client, teamId=team.pk)
    client.force_login(person)
    assert put_value(client, "k", 1).status_code == 201
    assert PluginStorageEntry.objects.get().user == person


def test_anonymous_storage_access_is_401(client, wallet):
    response = put_value(client, "k", 1)
    assert response.status_code == 401
    assert error_of(response)["code"] == "UNAUTHORIZED"
    assert client.get(storage_url("k")).status_code == 401
    assert nothing_stored()


def test_storage_of_a_plugin_you_have_not_installed_is_404(api, wallet):
    response = put_value(api, "k", 1)
    assert response.status_code == 404
    assert error_of(response)["code"] == "NOT_FOUND"
    assert api.get(storage_url("k")).status_code == 404
    assert nothing_stored()


def test_storage_of_an_unknown_plugin_is_404(api):
    response = put_value(api, "k", 1, name="no-such-plugin")
    assert response.status_code == 404
    assert nothing_stored()


@pytest.mark.parametrize("key", ["x" * 129, "with space", "at@sign", "ünïcode", "a:b", "a*"])
def test_a_bad_storage_key_is_400_naming_key(installed, key):
    response = put_value(installed, key, 1)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "VALIDATION_ERROR"
    assert "key" in error["details"]["fields"]
    assert installed.get(storage_url(key)).status_code == 400
    assert nothing_stored()


def test_a_key_of_128_allowed_characters_is_accepted(installed):
    key = ("Az09._-" * 20)[:128]
    assert put_value(installed, key, 1).status_code == 201


def test_a_value_over_64_kb_is_413_naming_value(installed):
    too_big = "x" * (MAX_STORAGE_VALUE_BYTES - 1)  # two quotes make it one byte over
    response = put_value(installed, "big", too_big)
    assert response.status_code == 413
    error = error_of(response)
    assert error["code"] == "PAYLOAD_TOO_LARGE"
    assert "value" in error["details"]["fields"]
    assert error["details"]["limit"] == MAX_STORAGE_VALUE_BYTES
    assert nothing_stored()


def test_a_value_of_exactly_64_kb_is_accepted(installed):
    assert put_value(installed, "big", "x" * (MAX_STORAGE_VALUE_BYTES - 2)).status_code == 201


def test_a_put_without_value_is_400_naming_value(installed):
    response = send(installed, "put", storage_url("k"), {"data": 1})
    assert response.status_code == 400
    assert "value" in error_of(response)["details"]["fields"]
    assert nothing_stored()


def test_a_thousand_and_first_key_is_409_naming_the_limit(installed, person, wallet):
    PluginStorageEntry.objects.bulk_create(
        PluginStorageEntry(package=wallet, user=person, key=f"k{index}", value=index)
        for index in range(MAX_STORAGE_KEYS)
    )
    response = put_value(installed, "one-more", 1)
    assert response.status_code == 409
    error = error_of(response)
    assert error["code"] == "CONFLICT"
    assert error["details"]["limit"] == MAX_STORAGE_KEYS
    assert "key" in error["details"]["fields"]
    assert str(MAX_STORAGE_KEYS) in error["message"]
    assert PluginStorageEntry.objects.count() == MAX_STORAGE_KEYS
    assert not AuditEvent.objects.filter(action="plugin.storage.set").exists()
    # Existing keys can still be overwritten at the limit.
    assert put_value(installed, "k1", "new").status_code == 200


def test_a_plugin_cannot_read_another_plugins_keys(installed, person):
    publish_plugin("my-notes")
    install(installed, "my-notes")
    put_value(installed, "secret", "wallet data")
    response = installed.get(storage_url("secret", name="my-notes"))
    assert response.status_code == 404
    assert installed.get(storage_url(name="my-notes")).json()["data"]["keys"] == []
    assert send(installed, "delete", storage_url("secret", name="my-notes")).status_code == 404
    assert PluginStorageEntry.objects.get().package.name == "my-wallet"


def test_the_same_key_in_two_plugins_holds_two_values(installed):
    publish_plugin("my-notes")
    install(installed, "my-notes")
    put_value(installed, "k", "wallet")
    put_value(installed, "k", "notes", name="my-notes")
    assert installed.get(storage_url("k")).json()["data"]["value"] == "wallet"
    assert installed.get(storage_url("k", name="my-notes")).json()["data"]["value"] == "notes"


def test_a_user_cannot_read_another_users_keys(client, installed):
    put_value(installed, "secret", "alice's")
    client.force_login(make_user("mallory"))
    install(client)
    response = client.get(storage_url("secret"))
    assert response.status_code == 404
    assert client.get(storage_url()).json()["data"]["keys"] == []
    assert send(client, "delete", storage_url("secret")).status_code == 404
    put_value(client, "secret", "mallory's")
    assert PluginStorageEntry.objects.count() == 2
    client.force_login(PluginStorageEntry.objects.get(value="alice's").user)
    assert client.get(storage_url("secret")).json()["data"]["value"] == "alice's"
