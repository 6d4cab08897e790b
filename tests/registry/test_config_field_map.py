"""NaaP's own config.schema form, a map of field -> {type, description, default, required,
secret, enum, min, max} (PluginConfigField): compiled to JSON Schema, checked in the
publisher's own words, and the real manifests of the NaaP sample compile as shipped."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from registry.config_schema import (
    check_config,
    compile_config_schema,
    config_schema_problems,
    secret_settings,
)
from tests.upstream import sample_manifest

# (field, what it compiles to)
FIELDS = [
    ({"type": "string"}, {"type": "string"}),
    (
        {"type": "string", "description": "URL", "default": "", "min": 0, "max": 200},
        {"type": "string", "description": "URL", "default": "", "minLength": 0, "maxLength": 200},
    ),
    ({"type": "number", "min": 1, "max": 9.5}, {"type": "number", "minimum": 1, "maximum": 9.5}),
    ({"type": "number", "min": -5}, {"type": "number", "minimum": -5}),
    ({"type": "boolean", "default": True}, {"type": "boolean", "default": True}),
    ({"type": "array", "max": 3}, {"type": "array", "maxItems": 3}),
    ({"type": "object"}, {"type": "object"}),
    ({"type": "string", "enum": ["a", "b"]}, {"type": "string", "enum": ["a", "b"]}),
    ({"type": "string", "secret": True}, {"type": "string", "secret": True}),
    ({"type": "string", "secret": False, "required": False}, {"type": "string"}),
]


@pytest.mark.parametrize(("field", "compiled"), FIELDS)
def test_a_field_compiles_to_a_json_schema_setting(field, compiled):
    schema = compile_config_schema({"x": field})
    assert schema == {
        "type": "object",
        "properties": {"x": compiled},
        "additionalProperties": False,
    }
    Draft202012Validator.check_schema(schema)


def test_required_fields_are_listed_as_required():
    schema = compile_config_schema(
        {"a": {"type": "string", "required": True}, "b": {"type": "number", "required": False}}
    )
    assert schema["required"] == ["a"]


# (field map, path named, fragment of the reason)
REFUSED = [
    ({"x": 1}, "config.schema.x", "must be an object"),
    ({"x": {}}, "config.schema.x.type", "is required"),
    ({"x": {"type": "date"}}, "config.schema.x.type", "string, number, boolean, array, object"),
    ({"x": {"type": "integer"}}, "config.schema.x.type", "one of string"),
    ({"x": {"type": "string", "required": "yes"}}, "config.schema.x.required", "true or false"),
    ({"x": {"type": "string", "secret": 1}}, "config.schema.x.secret", "true or false"),
    ({"x": {"type": "string", "enum": []}}, "config.schema.x.enum", "at least one"),
    ({"x": {"type": "string", "enum": [{"a": 1}]}}, "config.schema.x.enum", "strings, numbers"),
    ({"x": {"type": "string", "max": "9"}}, "config.schema.x.max", "must be a number"),
    ({"x": {"type": "string", "max": 2.5}}, "config.schema.x.max", "length limit"),
    ({"x": {"type": "string", "min": -1}}, "config.schema.x.min", "0 or more"),
    ({"x": {"type": "boolean", "max": 1}}, "config.schema.x.max", "not to boolean"),
    ({"x": {"type": "number", "min": 5, "max": 1}}, "config.schema.x.max", "below min (5)"),
    ({"x": {"type": "string", "max": 2, "default": "abc"}}, "config.schema.x.default", "at most 2"),
    ({"x": {"type": "number", "default": "ten"}}, "config.schema.x.default", "must be a number"),
    ({"x": {"type": "string", "enum": ["a"], "default": "b"}}, "config.schema.x.default", "one of"),
    ({"x": {"type": "number", "enum": [1, 9], "max": 5}}, "config.schema.x.enum[1]", "at most 5"),
]


@pytest.mark.parametrize(("field_map", "path", "fragment"), REFUSED)
def test_a_bad_field_map_is_refused_naming_the_field_as_written(field_map, path, fragment):
    problems = config_schema_problems(field_map)
    assert path in problems, problems
    assert fragment in problems[path]


# (field, value, problem or None)
VALUES = [
    ({"type": "string", "max": 5}, "abcde", None),
    ({"type": "string", "max": 5}, "abcdef", "must have at most 5 characters"),
    ({"type": "string", "min": 2}, "a", "must have at least 2 characters"),
    ({"type": "number", "min": 1, "max": 10}, 10, None),
    ({"type": "number", "min": 1, "max": 10}, 11, "must be at most 10"),
    ({"type": "number", "min": 1}, 0.5, "must be at least 1"),
    ({"type": "number"}, "5", "must be a number"),
    ({"type": "boolean"}, 1, "must be true or false"),
    ({"type": "string", "enum": ["a", "b"]}, "c", "must be one of: 'a', 'b'"),
    ({"type": "array", "max": 1}, [1, 2], "must have at most 1 item"),
]


@pytest.mark.parametrize(("field", "value", "problem"), VALUES)
def test_min_and_max_are_lengths_for_strings_and_values_for_numbers(field, value, problem):
    _, problems = check_config({"x": value}, compile_config_schema({"x": field}))
    assert problems.get("config.x") == problem


def test_a_required_field_must_be_given_and_unknown_ones_are_refused():
    schema = compile_config_schema({"key": {"type": "string", "required": True}})
    _, problems = check_config({"other": 1}, schema)
    assert problems == {
        "config.other": "is not a setting of this plugin",
        "config.key": "is required",
    }


def test_secret_fields_are_known():
    field_map = {"key": {"type": "string", "secret": True}, "url": {"type": "string"}}
    assert secret_settings(field_map) == {"key"}
    assert secret_settings({"properties": {"t": {"type": "string", "secret": True}}}) == {"t"}
    assert secret_settings({"x": "refused"}) == frozenset()


@pytest.mark.parametrize("plugin", ["my-dashboard", "my-wallet"])
def test_the_samples_field_maps_compile_with_their_defaults(plugin):
    field_map = sample_manifest(plugin)["config"]["schema"]
    schema = compile_config_schema(field_map)
    assert set(schema["properties"]) == set(field_map)
    config, problems = check_config({}, schema)
    assert problems == {}
    assert config == {name: field["default"] for name, field in field_map.items()}


def test_my_wallets_enum_is_enforced():
    schema = compile_config_schema(sample_manifest("my-wallet")["config"]["schema"])
    _, problems = check_config({"defaultNetwork": "dogecoin"}, schema)
    assert "must be one of" in problems["config.defaultNetwork"]
