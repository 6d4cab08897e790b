"""The config forms and the config API share the publish's schema checker: every schema it
accepts renders as a form, and a stored schema it refuses (published before the checker) never
fails a page or the API."""

from __future__ import annotations

import pytest

from installs.config_schema import validate_config
from installs.forms import ConfigForm, InstallForm, config_form_fields
from installs.models import TenantPluginInstall
from registry.cache import invalidate_package
from registry.models import PluginVersion
from tests.config_schemas import ACCEPTED_SCHEMAS, REFUSED_SCHEMAS
from tests.factories import make_user, publish
from tests.installs.helpers import error_of, install, send

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("schema", [pytest.param(s, id=i) for i, s in ACCEPTED_SCHEMAS])
def test_every_schema_the_checker_accepts_renders_and_round_trips_its_defaults(schema):
    form = InstallForm(schema=schema)
    assert "<form" not in (html := form.as_div()) and "target" in html
    fields = config_form_fields(schema)
    initial = {name: field.initial for name, field in fields.items() if field.initial is not None}
    bound = ConfigForm(initial, fields=config_form_fields(schema))
    assert isinstance(bound.as_div(), str)
    if bound.is_valid():
        # What the form accepts, the service accepts: the defaults come back as they were.
        config = validate_config(bound.config(), schema)
        assert {key: config[key] for key in bound.config()} == bound.config()


def test_an_enum_of_mixed_values_comes_back_as_the_json_values():
    schema = dict(ACCEPTED_SCHEMAS)["mixed-enum"]
    fields = config_form_fields(schema)
    choices = [value for value, _ in fields["config__x"].choices]
    assert choices == ["", '"1"', "1", "true", "2.5"]
    for text, value in [('"1"', "1"), ("1", 1), ("true", True), ("2.5", 2.5)]:
        form = ConfigForm({"config__x": text}, fields=config_form_fields(schema))
        assert form.is_valid(), form.errors
        assert form.config() == {"x": value} and type(form.config()["x"]) is type(value)


def test_a_nullable_enum_is_a_select_of_its_values():
    fields = config_form_fields(dict(ACCEPTED_SCHEMAS)["nullable-enum"])
    assert [value for value, _ in fields["config__x"].choices] == ["", "1", "2"]
    assert fields["config__x"].initial == "2"


def stored_with_schema(schema) -> PluginVersion:
    """my-wallet 1.0.0 whose stored manifest holds `schema`, as if published before the checker."""
    version = publish("my-wallet").version
    manifest = {**version.manifest, "config": {"schema": schema}}
    PluginVersion.objects.filter(pk=version.pk).update(manifest=manifest)
    invalidate_package("my-wallet")
    return version


REFUSED = [pytest.param(schema, path, id=name) for name, schema, path in REFUSED_SCHEMAS]


@pytest.mark.parametrize(("schema", "path"), REFUSED)
def test_a_stored_schema_the_checker_refuses_shows_the_page_with_a_note(client, schema, path):
    stored_with_schema(schema)
    client.force_login(make_user())
    response = client.get("/plugins/my-wallet/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "declares settings the marketplace cannot use" in page
    assert f"<code>{path}</code>" in page.replace("&#x27;", "'")
    assert "config__" not in page  # no config fields, but the install button
    assert "Install My Wallet" in page


@pytest.mark.parametrize(("schema", "path"), REFUSED)
def test_a_stored_schema_the_checker_refuses_makes_the_config_api_a_409(client, schema, path):
    stored_with_schema(schema)
    client.force_login(make_user())

    refused = install(client, config={"x": "a"})
    assert refused.status_code == 409
    error = error_of(refused)
    assert error["code"] == "CONFLICT"
    assert error["message"].startswith("my-wallet 1.0.0 declares a config.schema")
    assert path in error["details"]["schema"]
    assert not TenantPluginInstall.objects.exists()

    # Without settings it installs, and its config cannot be changed (and stays empty).
    assert install(client).status_code == 201
    put = send(client, "put", "/api/v1/plugins/my-wallet/config", {"config": {"x": 1}})
    assert put.status_code == 409 and error_of(put)["code"] == "CONFLICT"
    assert TenantPluginInstall.objects.get().config == {}
    assert client.get("/api/v1/plugins/installed").json()["data"]["plugins"][0]["config"] == {}


def test_the_settings_page_of_a_refused_schema_says_why(client):
    stored_with_schema(REFUSED_SCHEMAS[0][1])
    client.force_login(make_user())
    assert client.post("/plugins/my-wallet/install/", {"target": "me"}).status_code == 302
    page = client.get("/me/plugins/my-wallet/config/")
    assert page.status_code == 200
    assert "has no settings to change" in page.content.decode()
    assert TenantPluginInstall.objects.get().config == {}
