"""The shape of a config.schema in JSON Schema form: the meta-schema of the subset the
marketplace checks, its problems in a publisher's words, and what a meta-schema cannot say
(registry.config_schema)."""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator

from registry.config_schema.values import SubsetValidator, extra_keys_allowed, value_problems

ROOT = "config.schema"
TYPE_NAMES = ("string", "integer", "number", "boolean", "array", "object", "null")
# Lists and objects nested inside a config.schema: enough for settings inside settings inside
# settings, far below what a recursive walk could not handle.
MAX_SCHEMA_DEPTH = 32
# JSON Schema assertions this subset does not check: refused, so no publisher believes a rule
# holds that nothing enforces.
UNSUPPORTED_KEYWORDS = (
    "$defs",
    "$dynamicRef",
    "$ref",
    "additionalItems",
    "allOf",
    "anyOf",
    "const",
    "contains",
    "definitions",
    "dependencies",
    "dependentRequired",
    "dependentSchemas",
    "else",
    "exclusiveMaximum",
    "exclusiveMinimum",
    "if",
    "maxContains",
    "maxProperties",
    "minContains",
    "minProperties",
    "multipleOf",
    "not",
    "oneOf",
    "pattern",
    "patternProperties",
    "prefixItems",
    "propertyNames",
    "then",
    "unevaluatedItems",
    "unevaluatedProperties",
    "uniqueItems",
)
SUPPORTED_KEYWORDS = (
    "type",
    "enum",
    "default",
    "minimum",
    "maximum",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "items",
    "properties",
    "required",
    "additionalProperties",
    "title",
    "description",
)
# What a config.schema that declares no settings compiles to.
NO_SETTINGS: dict[str, Any] = {"type": "object", "properties": {}, "additionalProperties": False}

_COUNT = {"type": "integer", "minimum": 0}
_TYPE_NAME = {"enum": list(TYPE_NAMES)}
META_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$defs": {
        "setting": {
            "type": "object",
            "propertyNames": {"not": {"enum": list(UNSUPPORTED_KEYWORDS)}},
            "properties": {
                "type": {
                    "anyOf": [
                        _TYPE_NAME,
                        {"type": "array", "items": _TYPE_NAME, "minItems": 1, "uniqueItems": True},
                    ]
                },
                "enum": {
                    "type": "array",
                    "minItems": 1,
                    "uniqueItems": True,
                    "items": {"type": ["string", "number", "boolean"]},
                },
                "minimum": {"type": "number"},
                "maximum": {"type": "number"},
                "minLength": _COUNT,
                "maxLength": _COUNT,
                "minItems": _COUNT,
                "maxItems": _COUNT,
                "items": {"$ref": "#/$defs/setting"},
                "properties": {
                    "type": "object",
                    "additionalProperties": {"$ref": "#/$defs/setting"},
                },
                "required": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
                "additionalProperties": {
                    "anyOf": [{"type": "boolean"}, {"$ref": "#/$defs/setting"}]
                },
                "title": {"type": "string"},
                "description": {"type": "string"},
            },
        }
    },
    # The config of an installation is one JSON object.
    "allOf": [{"$ref": "#/$defs/setting"}, {"properties": {"type": {"const": "object"}}}],
}

_KEYWORD_RULES = {
    "type": f"must be one of {', '.join(TYPE_NAMES)}, or a list of them",
    "enum": "must be a list of different strings, numbers or booleans (at least one)",
    "minimum": "must be a number",
    "maximum": "must be a number",
    "minLength": "must be a whole number, 0 or more",
    "maxLength": "must be a whole number, 0 or more",
    "minItems": "must be a whole number, 0 or more",
    "maxItems": "must be a whole number, 0 or more",
    "items": "must be an object: the schema of each item",
    "properties": "must be an object mapping each setting's name to its schema",
    "required": "must be a list of different setting names",
    "additionalProperties": "must be true, false or an object (a schema)",
    "title": "must be a string",
    "description": "must be a string",
}
_ENTRY_RULES = {
    "enum": "must be a string, a number or a boolean",
    "required": "must be a setting's name (a string)",
}
_BOUNDS = (("minimum", "maximum"), ("minLength", "maxLength"), ("minItems", "maxItems"))

Draft202012Validator.check_schema(META_SCHEMA)
META = SubsetValidator(META_SCHEMA)


def describe(error) -> tuple[str, str]:
    """A meta-schema error as (path in config.schema, what is wrong), in a publisher's words."""
    path, keyword = _locate(list(error.absolute_path))
    if error.validator == "not":
        # propertyNames: the offending keyword is the instance, the path its schema's.
        return (
            f"{path}.{error.instance}",
            "is not a keyword the marketplace checks; a config.schema may use "
            f"{', '.join(SUPPORTED_KEYWORDS)}",
        )
    if error.validator == "const":
        return path, 'must be "object": the config of an installation is one JSON object'
    if keyword is None:
        return path, "must be an object: the schema of one setting"
    if error.absolute_path and isinstance(error.absolute_path[-1], int):
        return path, _ENTRY_RULES.get(keyword, "is not valid here")
    return path, _KEYWORD_RULES.get(keyword, "is not valid here")


def _locate(parts: list) -> tuple[str, str | None]:
    """The dotted path of a place in a config.schema and the keyword whose value holds it
    (None when the place is a setting's schema itself)."""
    path, keyword, next_is = ROOT, None, "keyword"
    for part in parts:
        if next_is == "keyword":
            path += f".{part}"
            keyword = part
            next_is = {"properties": "name", "items": "setting", "additionalProperties": "setting"}
            next_is = next_is.get(part, "index")
            if next_is == "setting":
                next_is = "keyword"
        elif next_is == "name":
            path += f".{part}"
            keyword, next_is = None, "keyword"
        else:
            path += f"[{part}]"
    return path, keyword


def check_meaning(schema: dict, path: str, problems: dict[str, str], *, root: bool) -> None:
    """What the meta-schema cannot say, for a schema whose shape it accepted."""
    for low, high in _BOUNDS:
        if low in schema and high in schema and schema[low] > schema[high]:
            problems.setdefault(f"{path}.{high}", f"is {schema[high]}, below {low} ({schema[low]})")
    properties = schema.get("properties", {})
    for index, name in enumerate(schema.get("required", [])):
        if name not in properties and extra_keys_allowed(schema, root=root) is False:
            problems.setdefault(
                f"{path}.required[{index}]",
                f"names '{name}', which is not in properties, so no config could give it",
            )
    plain = {key: value for key, value in schema.items() if key not in ("enum", "default")}
    for index, option in enumerate(schema.get("enum", [])):
        wrong = value_problems(option, plain, f"{path}.enum[{index}]")
        if wrong:
            problems.setdefault(f"{path}.enum[{index}]", f"is refused by its own setting: {wrong}")
    if "default" in schema and not root:
        wrong = value_problems(schema["default"], {**plain, **enum_of(schema)}, path)
        if wrong:
            problems.setdefault(f"{path}.default", f"is refused by its own setting: {wrong}")
    for name, child in properties.items():
        check_meaning(child, f"{path}.properties.{name}", problems, root=False)
    for keyword in ("items", "additionalProperties"):
        if isinstance(schema.get(keyword), dict):
            check_meaning(schema[keyword], f"{path}.{keyword}", problems, root=False)


def enum_of(schema: dict) -> dict:
    return {"enum": schema["enum"]} if "enum" in schema else {}
