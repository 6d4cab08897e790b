"""PUT plugins/{name}/preferences: enabled, order and pinned of an installed plugin."""

import pytest

from installs.models import UserPluginPreference
from registry.models import AuditEvent
from tests.factories import make_team, make_user
from tests.installs.helpers import error_of, install, send

pytestmark = pytest.mark.django_db


def put_preferences(client, body, name="my-wallet"):
    return send(client, "put", f"/api/v1/plugins/{name}/preferences", body)


def nothing_preferred() -> bool:
    return (
        not UserPluginPreference.objects.exists()
        and not AuditEvent.objects.filter(action="plugin.preferences").exists()
    )


def test_putting_preferences_creates_them(api, person, wallet):
    install(api)
    response = put_preferences(api, {"enabled": False, "order": -5, "pinned": True})
    assert response.status_code == 200
    data = response.json()["data"]
    assert {key: data[key] for key in ("plugin", "enabled", "order", "pinned")} == {
        "plugin": "my-wallet",
        "enabled": False,
        "order": -5,
        "pinned": True,
    }
    preference = UserPluginPreference.objects.get(user=person, package=wallet)
    assert (preference.enabled, preference.order, preference.pinned) == (False, -5, True)
    event = AuditEvent.objects.get(action="plugin.preferences")
    assert event.details["created"] is True


def test_putting_some_preferences_changes_only_those(api, person, wallet):
    install(api)
    put_preferences(api, {"order": 3, "pinned": True})
    response = put_preferences(api, {"order": 7})
    assert response.status_code == 200
    preference = UserPluginPreference.objects.get(user=person)
    assert (preference.enabled, preference.order, preference.pinned) == (True, 7, True)
    assert UserPluginPreference.objects.count() == 1
    assert AuditEvent.objects.filter(action="plugin.preferences").count() == 2


def test_preferences_work_for_a_plugin_installed_by_one_of_your_teams(client, person, wallet):
    admin = make_user("boss")
    team = make_team("finance", admin=admin, members=[person])
    client.force_login(admin)
    install(client, teamId=team.pk)
    client.force_login(person)
    assert put_preferences(client, {"pinned": True}).status_code == 200
    assert UserPluginPreference.objects.get(user=person).pinned is True


def test_preferences_of_a_plugin_you_have_not_installed_are_404(api, wallet):
    response = put_preferences(api, {"pinned": True})
    assert response.status_code == 404
    assert error_of(response)["code"] == "NOT_FOUND"
    assert nothing_preferred()


def test_preferences_of_a_plugin_another_user_installed_are_404(client, api, wallet):
    install(api)
    client.force_login(make_user("mallory"))
    response = put_preferences(client, {"pinned": True})
    assert response.status_code == 404
    assert nothing_preferred()


def test_preferences_of_an_unknown_plugin_are_404(api):
    response = put_preferences(api, {"pinned": True}, name="no-such-plugin")
    assert response.status_code == 404
    assert error_of(response)["code"] == "NOT_FOUND"


def test_anonymous_preferences_are_401(client, wallet):
    response = put_preferences(client, {"pinned": True})
    assert response.status_code == 401
    assert error_of(response)["code"] == "UNAUTHORIZED"
    assert nothing_preferred()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"enabled": "yes"}, "enabled"),
        ({"enabled": 1}, "enabled"),
        ({"enabled": None}, "enabled"),
        ({"pinned": "true"}, "pinned"),
        ({"pinned": 0}, "pinned"),
        ({"order": "3"}, "order"),
        ({"order": 2.5}, "order"),
        ({"order": True}, "order"),
        ({"order": 1001}, "order"),
        ({"order": -1001}, "order"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_a_preference_of_the_wrong_type_is_400_naming_the_field(api, wallet, body, field):
    install(api)
    response = put_preferences(api, body)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "VALIDATION_ERROR"
    assert field in error["details"]["fields"]
    assert nothing_preferred()


def test_the_order_limits_themselves_are_accepted(api, wallet):
    install(api)
    assert put_preferences(api, {"order": 1000}).status_code == 200
    assert put_preferences(api, {"order": -1000}).status_code == 200
