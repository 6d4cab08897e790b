"""installs.config_schema: the JSON-Schema-like subset that install configs are checked against."""

import json

import pytest

from installs.config_schema import (
    MAX_CONFIG_BYTES,
    config_schema_of,
    schema_defaults,
    validate_config,
)
from naap.errors import Conflict, PayloadTooLarge, ValidationFailed


def problems(config, schema) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as caught:
        validate_config(config, schema)
    return caught.value.details["fields"]


def test_defaults_are_filled_in_without_sharing_the_schemas_objects():
    schema = {"properties": {"tags": {"type": "array", "default": ["a"]}}}
    config = validate_config({}, schema)
    config["tags"].append("b")
    assert schema["properties"]["tags"]["default"] == ["a"]
    assert schema_defaults(schema) == {"tags": ["a"]}


def test_a_required_key_with_a_default_is_satisfied_by_it():
    schema = {"properties": {"mode": {"type": "string", "default": "auto"}}, "required": ["mode"]}
    assert validate_config(None, schema) == {"mode": "auto"}


def test_nested_objects_get_their_defaults_and_required_keys():
    schema = {
        "properties": {
            "theme": {
                "type": "object",
                "properties": {"accent": {"type": "string", "default": "blue"}, "size": {}},
                "required": ["size"],
            }
        }
    }
    assert problems({"theme": {}}, schema) == {"config.theme.size": "is required"}
    assert validate_config({"theme": {"size": 3}}, schema) == {
        "theme": {"size": 3, "accent": "blue"}
    }


def test_additional_properties_true_lets_unknown_keys_through():
    schema = {"properties": {"a": {"type": "string"}}, "additionalProperties": True}
    assert validate_config({"a": "x", "b": 1}, schema) == {"a": "x", "b": 1}


def test_additional_properties_as_a_schema_checks_unknown_keys_with_it():
    schema = {"properties": {}, "additionalProperties": {"type": "integer"}}
    assert problems({"b": "one"}, schema) == {"config.b": "must be an integer"}


def test_a_nested_object_without_properties_is_free_form():
    schema = {"properties": {"extra": {"type": "object"}}}
    assert validate_config({"extra": {"any": [1]}}, schema) == {"extra": {"any": [1]}}


def test_a_list_of_types_accepts_any_of_them():
    schema = {"properties": {"limit": {"type": ["integer", "null"]}}}
    assert validate_config({"limit": None}, schema) == {"limit": None}
    assert problems({"limit": "5"}, schema) == {"config.limit": "must be an integer or null"}


def test_a_schema_the_checker_refuses_takes_no_settings_and_says_why():
    schema = {"properties": {"when": {"type": "date", "default": "2026-01-01"}}}
    assert validate_config(None, schema) == {}
    assert validate_config({}, schema) == {}
    assert schema_defaults(schema) == {}
    with pytest.raises(Conflict) as caught:
        validate_config({"when": "2026-01-01"}, schema, plugin="my-wallet 1.0.0")
    assert caught.value.status == 409
    assert caught.value.message.startswith("my-wallet 1.0.0 declares a config.schema")
    assert "config.schema.properties.when.type" in caught.value.message
    assert list(caught.value.details["schema"]) == ["config.schema.properties.when.type"]


def test_a_config_over_16_kb_is_refused_as_too_large():
    schema = {"properties": {"notes": {"type": "string"}}}
    assert validate_config({"notes": "x" * 16_000}, schema) == {"notes": "x" * 16_000}
    with pytest.raises(PayloadTooLarge) as caught:
        validate_config({"notes": "x" * MAX_CONFIG_BYTES}, schema)
    assert caught.value.details["fields"] == {"config": caught.value.message}
    assert caught.value.details["limit"] == MAX_CONFIG_BYTES == 16 * 1024


def test_a_config_nested_past_the_limit_is_refused_before_it_is_walked():
    schema = {"properties": {"tree": {"type": "array"}}}
    with pytest.raises(ValidationFailed) as caught:
        validate_config({"tree": json.loads("[" * 40 + "]" * 40)}, schema)
    assert "more than 32 deep" in caught.value.message


def test_min_items_is_checked():
    schema = {"properties": {"ids": {"type": "array", "minItems": 1}}}
    assert problems({"ids": []}, schema) == {"config.ids": "must have at least 1 item"}


def test_an_enum_does_not_confuse_true_with_1():
    schema = {"properties": {"level": {"enum": [1, 2]}}}
    assert problems({"level": True}, schema) == {"config.level": "must be one of: 1, 2"}


def test_a_schema_without_properties_takes_no_settings():
    assert problems({"a": 1}, {"type": "object"}) == {"config.a": "is not a setting of this plugin"}
    assert validate_config({}, {"type": "object"}) == {}


def test_the_schema_is_read_from_the_manifest_config():
    schema = {"type": "object", "properties": {}}
    assert config_schema_of({"config": {"schema": schema}}) == schema
    assert config_schema_of({"config": {"schema": "nope"}}) is None
    assert config_schema_of({}) is None
    assert config_schema_of(None) is None
