"""registry.config_schema: the one checker of config.schema that publish, the install forms and
the config API share."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from registry.config_schema import (
    NO_SETTINGS,
    ConfigSchemaError,
    check_config,
    compile_config_schema,
    config_schema_problems,
)
from tests.config_schemas import ACCEPTED_SCHEMAS, REFUSED_SCHEMAS


@pytest.mark.parametrize(
    ("schema", "path"), [pytest.param(s, p, id=i) for i, s, p in REFUSED_SCHEMAS]
)
def test_a_schema_the_forms_cannot_use_is_refused_naming_the_path(schema, path):
    with pytest.raises(ConfigSchemaError) as caught:
        compile_config_schema(schema)
    assert path in caught.value.problems, caught.value.problems
    assert caught.value.problems == config_schema_problems(schema)


@pytest.mark.parametrize("schema", [pytest.param(s, id=i) for i, s in ACCEPTED_SCHEMAS])
def test_an_accepted_schema_compiles_to_valid_json_schema(schema):
    compiled = compile_config_schema(schema)
    Draft202012Validator.check_schema(compiled)
    assert compiled["type"] == "object" and isinstance(compiled["properties"], dict)
    assert config_schema_problems(schema) == {}
    # Whatever it accepts, an empty config can be checked against it.
    check_config({}, compiled)


def test_the_refusals_say_what_is_wrong_in_words():
    problems = config_schema_problems(
        {"properties": {"x": {"type": "string", "maxLength": "x", "pattern": "a"}}}
    )
    assert problems == {
        "config.schema.properties.x.maxLength": "must be a whole number, 0 or more",
        "config.schema.properties.x.pattern": (
            "is not a keyword the marketplace checks; a config.schema may use type, enum, "
            "default, minimum, maximum, minLength, maxLength, minItems, maxItems, items, "
            "properties, required, additionalProperties, title, description"
        ),
    }
    assert config_schema_problems({"properties": {"x": {"type": "integer", "default": "a"}}}) == {
        "config.schema.properties.x.default": "is refused by its own setting: it must be an integer"
    }


def test_a_schema_that_is_not_an_object_or_holds_nan_is_refused_at_the_root():
    assert config_schema_problems([]) == {"config.schema": "must be an object"}
    assert config_schema_problems({"properties": {"x": {"maximum": float("nan")}}}) == {
        "config.schema": "must be plain JSON, with finite numbers"
    }


def test_no_schema_and_an_empty_field_map_declare_no_settings():
    assert compile_config_schema(None) == NO_SETTINGS
    assert compile_config_schema({}) == NO_SETTINGS


def test_the_compiled_schema_is_a_copy_callers_may_change():
    schema = {"properties": {"x": {"type": "string"}}}
    compile_config_schema(schema)["properties"]["x"]["type"] = "integer"
    assert compile_config_schema(schema)["properties"]["x"] == {"type": "string"}


def test_a_config_is_checked_with_defaults_applied():
    compiled = compile_config_schema(
        {"properties": {"n": {"type": "integer", "default": 3}, "s": {"type": "string"}}}
    )
    assert check_config({"s": "a"}, compiled) == ({"s": "a", "n": 3}, {})
    assert check_config({"s": 1, "t": 2}, compiled)[1] == {
        "config.s": "must be a string",
        "config.t": "is not a setting of this plugin",
    }
    assert check_config([], compiled) == ({}, {"config": "must be an object"})
