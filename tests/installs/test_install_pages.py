"""Install from the plugin page and manage "My plugins", without JavaScript."""

import pytest
from django.test import Client

from installs.models import TenantPluginInstall, UserPluginPreference
from registry.models import PluginPackage
from tests.factories import make_team, make_user, publish

pytestmark = pytest.mark.django_db
SCHEMA = {
    "type": "object",
    "required": ["currency"],
    "properties": {
        "refreshSeconds": {"type": "integer", "minimum": 5, "default": 30, "title": "Refresh"},
        "currency": {"type": "string", "enum": ["EUR", "USD"]},
        "compact": {"type": "boolean"},
    },
}


@pytest.fixture
def wallet():
    return publish("my-wallet", "1.0.0", config={"schema": SCHEMA}).package


def test_the_detail_page_shows_a_config_form_generated_from_the_schema(client, wallet):
    admin = make_user("alice")
    make_team("ops-team", admin=admin)
    client.force_login(admin)
    page = client.get("/plugins/my-wallet/").content.decode()
    assert 'action="/plugins/my-wallet/install/"' in page
    assert 'name="config__refreshSeconds"' in page and 'value="30"' in page
    assert '<select name="config__currency"' in page
    assert 'name="config__compact"' in page
    assert "Team Ops-Team" in page  # team admins may install for their team


def test_team_members_who_are_not_admins_cannot_pick_the_team(client, wallet):
    member = make_user()
    make_team("ops-team", admin=make_user(), members=[member])
    client.force_login(member)
    assert "Team Ops-Team" not in client.get("/plugins/my-wallet/").content.decode()


def test_installing_for_me_with_config(client, wallet):
    user = make_user()
    client.force_login(user)
    response = client.post(
        "/plugins/my-wallet/install/",
        {"target": "me", "config__refreshSeconds": "60", "config__currency": "USD"},
    )
    assert response.status_code == 302 and response["Location"] == "/me/plugins/"
    install = TenantPluginInstall.objects.get()
    assert (install.user, install.config["refreshSeconds"], install.config["currency"]) == (
        user,
        60,
        "USD",
    )
    assert PluginPackage.objects.get().install_count == 1


def test_a_bad_config_is_shown_next_to_its_field_and_nothing_is_installed(client, wallet):
    client.force_login(make_user())
    response = client.post(
        "/plugins/my-wallet/install/", {"target": "me", "config__refreshSeconds": "1"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "greater than or equal to 5" in page
    assert "This field is required" in page  # currency
    assert not TenantPluginInstall.objects.exists()


def test_installing_for_a_team_as_its_admin(client, wallet):
    admin = make_user()
    team = make_team("ops-team", admin=admin)
    client.force_login(admin)
    client.post(
        "/plugins/my-wallet/install/", {"target": f"team:{team.pk}", "config__currency": "EUR"}
    )
    assert TenantPluginInstall.objects.get().team == team


def test_a_forged_team_target_is_refused(client, wallet):
    member = make_user()
    team = make_team("ops-team", admin=make_user(), members=[member])
    client.force_login(member)
    response = client.post(
        "/plugins/my-wallet/install/", {"target": f"team:{team.pk}", "config__currency": "EUR"}
    )
    assert response.status_code == 400
    assert not TenantPluginInstall.objects.exists()


def test_anonymous_install_goes_to_sign_in(client, wallet):
    response = client.post("/plugins/my-wallet/install/", {"target": "me"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert "Sign in</a> to install" in client.get("/plugins/my-wallet/").content.decode()


def test_install_needs_csrf(wallet):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(make_user())
    response = strict.post(
        "/plugins/my-wallet/install/", {"target": "me", "config__currency": "EUR"}
    )
    assert response.status_code == 403
    assert not TenantPluginInstall.objects.exists()


@pytest.fixture
def three_installed(client):
    user = make_user()
    owner = make_user()
    for name in ("alpha-plugin", "beta-plugin", "gamma-plugin"):
        publish(name, "1.0.0", actor=owner)
    client.force_login(user)
    for name in ("alpha-plugin", "beta-plugin", "gamma-plugin"):
        client.post(f"/plugins/{name}/install/", {"target": "me"})
    return user


def rows(client) -> list[str]:
    page = client.get("/me/plugins/").content.decode()
    return [
        line.split('"')[1].removeprefix("plugin-")
        for line in page.splitlines()
        if '<tr id="plugin-' in line
    ]


def test_my_plugins_lists_installs_and_reorders_with_buttons(client, three_installed):
    assert rows(client) == ["alpha-plugin", "beta-plugin", "gamma-plugin"]
    client.post("/me/plugins/gamma-plugin/preferences/", {"action": "up"})
    assert rows(client) == ["alpha-plugin", "gamma-plugin", "beta-plugin"]
    client.post("/me/plugins/alpha-plugin/preferences/", {"action": "down"})
    assert rows(client) == ["gamma-plugin", "alpha-plugin", "beta-plugin"]


def test_pin_and_disable(client, three_installed):
    client.post("/me/plugins/gamma-plugin/preferences/", {"action": "pin"})
    client.post("/me/plugins/alpha-plugin/preferences/", {"action": "disable"})
    assert rows(client)[0] == "gamma-plugin"
    preference = UserPluginPreference.objects.get(package__name="alpha-plugin")
    assert preference.enabled is False
    page = client.get("/me/plugins/").content.decode()
    assert "disabled" in page


def test_uninstall_from_my_plugins(client, three_installed):
    response = client.post("/me/plugins/beta-plugin/uninstall/")
    assert response.status_code == 302
    assert rows(client) == ["alpha-plugin", "gamma-plugin"]
    assert PluginPackage.objects.get(name="beta-plugin").install_count == 0


def test_edit_config_from_my_plugins(client, wallet):
    client.force_login(make_user())
    client.post("/plugins/my-wallet/install/", {"target": "me", "config__currency": "EUR"})
    page = client.get("/me/plugins/my-wallet/config/").content.decode()
    assert 'name="config__currency"' in page
    bad = client.post("/me/plugins/my-wallet/config/", {"config__currency": "GBP"})
    assert bad.status_code == 400
    client.post(
        "/me/plugins/my-wallet/config/", {"config__currency": "USD", "config__compact": "on"}
    )
    install = TenantPluginInstall.objects.get()
    assert install.config["currency"] == "USD" and install.config["compact"] is True


def test_team_admins_manage_team_installs_and_members_cannot(client, wallet):
    admin, member = make_user(), make_user()
    team = make_team("ops-team", admin=admin, members=[member])
    client.force_login(admin)
    client.post(
        "/plugins/my-wallet/install/", {"target": f"team:{team.pk}", "config__currency": "EUR"}
    )
    assert "Uninstall for the team" in client.get("/me/plugins/").content.decode()
    client.force_login(member)
    page = client.get("/me/plugins/").content.decode()
    assert "my-wallet" in page and "Uninstall for the team" not in page
    client.post("/me/plugins/my-wallet/uninstall/", {"team": team.pk})
    assert TenantPluginInstall.objects.filter(team=team).exists()
    assert client.get(f"/me/plugins/my-wallet/config/?team={team.pk}").status_code == 404
    client.force_login(admin)
    client.post("/me/plugins/my-wallet/uninstall/", {"team": team.pk})
    assert not TenantPluginInstall.objects.exists()


def test_my_plugins_needs_sign_in(client):
    response = client.get("/me/plugins/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
