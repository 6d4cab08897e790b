"""config.schema in NaaP's field-map form, end to end with the real my-dashboard manifest of the
NaaP sample: the install forms render it, the install API checks against it, and `secret: true`
values are encrypted at rest, masked by the API, the pages and the admin, and delivered only in
that plugin's own config of the bootstrap."""

from __future__ import annotations

import io
import json
import re

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command

from installs import config_secrets
from installs.models import TenantPluginInstall
from tests.factories import make_user, publish
from tests.installs.helpers import error_of, install, send
from tests.upstream import sample_manifest

pytestmark = pytest.mark.django_db

SECRET = "mb-embedding-secret-4f2c"


def dashboard_schema(*, secret: bool = True) -> dict:
    """my-dashboard's config.schema as shipped, with its secret key marked `secret: true`."""
    schema = sample_manifest("my-dashboard")["config"]["schema"]
    if secret:
        schema["metabaseSecretKey"]["secret"] = True
    return schema


@pytest.fixture
def dashboard(db):
    return publish("my-dashboard", config={"schema": dashboard_schema()})


@pytest.fixture
def other(db):
    return publish("my-wallet", config={"schema": sample_manifest("my-wallet")["config"]["schema"]})


def configure(client, config, name="my-dashboard"):
    return send(client, "put", f"/api/v1/plugins/{name}/config", {"config": config})


def stored(name="my-dashboard") -> dict:
    return TenantPluginInstall.objects.get(package__name=name).config


def bootstrap_configs(client) -> dict[str, dict]:
    response = client.get("/api/v1/plugins/installed")
    assert response.status_code == 200
    return {item["name"]: item["config"] for item in response.json()["data"]["plugins"]}


def test_the_unchanged_sample_schema_installs_with_its_defaults(api):
    publish("my-dashboard", config={"schema": dashboard_schema(secret=False)})
    response = install(api, "my-dashboard")
    assert response.status_code == 201, response.json()
    assert bootstrap_configs(api)["my-dashboard"] == {
        "metabaseUrl": "",
        "metabaseSecretKey": "",
        "tokenExpiry": 600,
        "enableInteractive": True,
    }


@pytest.mark.parametrize(
    ("config", "field", "fragment"),
    [
        ({"tokenExpiry": "600"}, "config.tokenExpiry", "must be a number"),
        ({"enableInteractive": "yes"}, "config.enableInteractive", "true or false"),
        ({"metabaseUrl": 5}, "config.metabaseUrl", "must be a string"),
        ({"unknown": 1}, "config.unknown", "not a setting"),
    ],
)
def test_the_install_api_checks_a_config_against_the_field_map(
    api, dashboard, config, field, fragment
):
    response = install(api, "my-dashboard", config=config)
    assert response.status_code == 400, response.json()
    assert fragment in error_of(response)["details"]["fields"][field]
    assert not TenantPluginInstall.objects.exists()


def test_min_and_max_limit_a_strings_length_and_a_numbers_value(api):
    schema = {
        "token": {"type": "string", "min": 4, "max": 8, "required": True},
        "seconds": {"type": "number", "min": 60, "max": 3600},
    }
    publish("my-dashboard", config={"schema": schema})
    bad = install(api, "my-dashboard", config={"token": "abcdefghi", "seconds": 30})
    assert bad.status_code == 400
    fields = error_of(bad)["details"]["fields"]
    assert fields == {
        "config.token": "must have at most 8 characters",
        "config.seconds": "must be at least 60",
    }
    assert install(api, "my-dashboard", config={"seconds": 60}).status_code == 400  # required
    assert (
        install(api, "my-dashboard", config={"token": "abcd", "seconds": 3600}).status_code == 201
    )


def test_a_secret_is_encrypted_at_rest_and_masked_by_the_api(api, dashboard):
    response = install(api, "my-dashboard", config={"metabaseSecretKey": SECRET})
    assert response.status_code == 201, response.json()
    assert SECRET not in response.content.decode()
    assert response.json()["data"]["installation"]["config"]["metabaseSecretKey"] == "********"
    row = stored()
    assert SECRET not in json.dumps(row)
    assert set(row["metabaseSecretKey"]) == {"$encrypted"}
    # Other settings stay readable.
    assert row["tokenExpiry"] == 600
    # The plugin's own runtime config has it.
    assert bootstrap_configs(api)["my-dashboard"]["metabaseSecretKey"] == SECRET


def test_a_secret_is_kept_when_left_out_or_sent_back_masked_and_replaced_when_given(api, dashboard):
    install(api, "my-dashboard", config={"metabaseSecretKey": SECRET})
    response = configure(api, {"metabaseUrl": "https://m.example"})
    assert response.status_code == 200, response.json()
    assert SECRET not in response.content.decode()
    assert bootstrap_configs(api)["my-dashboard"]["metabaseSecretKey"] == SECRET
    shown = response.json()["data"]["config"]
    assert shown["metabaseSecretKey"] == "********"
    assert configure(api, {**shown, "tokenExpiry": 60}).status_code == 200
    runtime = bootstrap_configs(api)["my-dashboard"]
    assert runtime["metabaseSecretKey"] == SECRET
    assert runtime["tokenExpiry"] == 60
    assert configure(api, {"metabaseSecretKey": "new-secret"}).status_code == 200
    assert bootstrap_configs(api)["my-dashboard"]["metabaseSecretKey"] == "new-secret"


def test_a_secret_reaches_only_its_own_plugins_config(api, dashboard, other):
    install(api, "my-dashboard", config={"metabaseSecretKey": SECRET})
    install(api, "my-wallet")
    configs = bootstrap_configs(api)
    assert configs["my-dashboard"]["metabaseSecretKey"] == SECRET
    assert SECRET not in json.dumps(configs["my-wallet"])
    # The demo shell frame carries the bootstrap inline: the secret is in that plugin's config.
    frame = api.get("/sandbox/shell/").content.decode()
    inline = json.loads(
        re.search(
            r'<script id="naap-shell-config" type="application/json">(.*?)</script>', frame, re.S
        )[1]
    )
    by_name = {item["name"]: item for item in inline["bootstrap"]["plugins"]}
    assert by_name["my-dashboard"]["config"]["metabaseSecretKey"] == SECRET
    assert SECRET not in json.dumps(by_name["my-wallet"])
    # The page around the frame (and its bridge) never carries a config.
    host = api.get("/shell/").content.decode()
    assert SECRET not in host


def test_the_install_and_settings_pages_never_show_a_secret(api, dashboard):
    page = api.get("/plugins/my-dashboard/").content.decode()
    # The field map renders: every field, the secret one as a password input.
    for name in ("metabaseUrl", "metabaseSecretKey", "tokenExpiry", "enableInteractive"):
        assert f'name="config__{name}"' in page
    assert re.search(r'<input type="password" name="config__metabaseSecretKey"', page)
    assert "leave blank to keep" in page
    install(api, "my-dashboard", config={"metabaseSecretKey": SECRET, "metabaseUrl": "https://m"})
    settings_page = api.get("/me/plugins/my-dashboard/config/").content.decode()
    assert SECRET not in settings_page
    assert 'value="https://m"' in settings_page
    # Saved with the secret left blank: it is kept.
    response = api.post(
        "/me/plugins/my-dashboard/config/",
        {
            "config__metabaseUrl": "https://n",
            "config__metabaseSecretKey": "",
            "config__tokenExpiry": "600",
            "config__enableInteractive": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    runtime = bootstrap_configs(api)["my-dashboard"]
    assert runtime["metabaseSecretKey"] == SECRET
    assert runtime["metabaseUrl"] == "https://n"


def test_the_admin_shows_a_secret_masked(client, api, dashboard):
    install(api, "my-dashboard", config={"metabaseSecretKey": SECRET})
    staff = make_user(staff=True)
    staff.is_superuser = True
    staff.save()
    client.force_login(staff)
    row = TenantPluginInstall.objects.get()
    page = client.get(f"/admin/installs/tenantplugininstall/{row.pk}/change/")
    assert page.status_code == 200
    text = page.content.decode()
    assert SECRET not in text
    assert row.config["metabaseSecretKey"]["$encrypted"] not in text
    assert "********" in text


def test_keys_rotate_first_encrypts_all_decrypt(api, dashboard, settings):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    settings.CONFIG_ENCRYPTION_KEYS = [old]
    install(api, "my-dashboard", config={"metabaseSecretKey": SECRET})
    token = stored()["metabaseSecretKey"]["$encrypted"]
    assert Fernet(old).decrypt(token.encode())
    settings.CONFIG_ENCRYPTION_KEYS = [new, old]
    assert config_secrets.unseal(stored())["metabaseSecretKey"] == SECRET
    call_command("rotate_config_key", stdout=io.StringIO())
    settings.CONFIG_ENCRYPTION_KEYS = [new]
    assert config_secrets.unseal(stored())["metabaseSecretKey"] == SECRET
    # A secret no key opens any more is left out, and its default applies.
    settings.CONFIG_ENCRYPTION_KEYS = [Fernet.generate_key().decode()]
    assert "metabaseSecretKey" not in config_secrets.unseal(stored())


def test_without_a_configured_key_one_is_derived_from_secret_key(api, dashboard, settings):
    settings.CONFIG_ENCRYPTION_KEYS = []
    install(api, "my-dashboard", config={"metabaseSecretKey": SECRET})
    token = stored()["metabaseSecretKey"]["$encrypted"]
    key = config_secrets.derived_key(settings.SECRET_KEY)
    assert json.loads(Fernet(key).decrypt(token.encode())) == SECRET
