"""Validation of an installation's config against the manifest's `config.schema`.

The schema language is a small, JSON-Schema-like subset: an object with `properties` whose
types are string, integer, number, boolean, array, object (or null, or a list of these),
with `enum`, `minimum`/`maximum`, `minLength`/`maxLength`, `minItems`/`maxItems`, `items`,
nested `properties`, `required`, `default` and `additionalProperties`. Every problem is
reported against its path (`config.refreshSeconds`) so people can fix all of them at once.
"""

from __future__ import annotations

import copy
from typing import Any

from naap.errors import ValidationFailed

ROOT = "config"

_TYPE_NAMES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
    "null": "null",
}


def _is_type(value: Any, type_name: str) -> bool:
    # JSON booleans are Python ints, so they are excluded from the numeric types explicitly.
    if type_name == "string":
        return isinstance(value, str)
    if type_name == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if type_name == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool)
    if type_name == "boolean":
        return isinstance(value, bool)
    if type_name == "array":
        return isinstance(value, list)
    if type_name == "object":
        return isinstance(value, dict)
    if type_name == "null":
        return value is None
    # A type this subset does not know constrains nothing (publish only warns about schemas).
    return True


def _declared_types(schema: dict) -> list[str]:
    declared = schema.get("type")
    if isinstance(declared, str):
        return [declared]
    if isinstance(declared, list):
        return [item for item in declared if isinstance(item, str)]
    return []


def _same_json_value(left: Any, right: Any) -> bool:
    # True == 1 in Python, but not in JSON.
    return left == right and isinstance(left, bool) == isinstance(right, bool)


def _format_option(option: Any) -> str:
    return repr(option) if isinstance(option, str) else str(option).lower()


def schema_defaults(schema: dict | None) -> dict[str, Any]:
    """The top-level defaults a schema declares, as a fresh dict."""
    properties = (schema or {}).get("properties")
    if not isinstance(properties, dict):
        return {}
    return {
        key: copy.deepcopy(definition["default"])
        for key, definition in properties.items()
        if isinstance(definition, dict) and "default" in definition
    }


class _Checker:
    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def fail(self, path: str, message: str) -> None:
        self.errors.setdefault(path, message)

    def value(self, value: Any, schema: Any, path: str) -> Any:
        """Check one value against its schema; return it with nested defaults filled in."""
        if not isinstance(schema, dict):
            return value
        types = _declared_types(schema)
        if types and not any(_is_type(value, type_name) for type_name in types):
            wanted = " or ".join(_TYPE_NAMES.get(type_name, type_name) for type_name in types)
            self.fail(path, f"must be {wanted}")
            return value
        options = schema.get("enum")
        if isinstance(options, list) and not any(_same_json_value(value, o) for o in options):
            shown = ", ".join(_format_option(option) for option in options)
            self.fail(path, f"must be one of: {shown}")
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self._bounds(value, schema, path)
        elif isinstance(value, str):
            self._length(len(value), schema, path, "minLength", "maxLength", "character")
        elif isinstance(value, list):
            self._length(len(value), schema, path, "minItems", "maxItems", "item")
            items = schema.get("items")
            value = [self.value(item, items, f"{path}[{i}]") for i, item in enumerate(value)]
        elif isinstance(value, dict) and (
            "properties" in schema or "required" in schema or "additionalProperties" in schema
        ):
            value = self.object(value, schema, path)
        return value

    def _bounds(self, number: float, schema: dict, path: str) -> None:
        minimum, maximum = schema.get("minimum"), schema.get("maximum")
        if _is_type(minimum, "number") and number < minimum:
            self.fail(path, f"must be at least {minimum}")
        elif _is_type(maximum, "number") and number > maximum:
            self.fail(path, f"must be at most {maximum}")

    def _length(self, length: int, schema: dict, path: str, low: str, high: str, unit: str) -> None:
        minimum, maximum = schema.get(low), schema.get(high)
        if _is_type(minimum, "integer") and length < minimum:
            self.fail(path, f"must have at least {minimum} {unit}{'' if minimum == 1 else 's'}")
        elif _is_type(maximum, "integer") and length > maximum:
            self.fail(path, f"must have at most {maximum} {unit}{'' if maximum == 1 else 's'}")

    def object(self, given: dict, schema: dict, path: str) -> dict:
        """Check an object: known keys, required keys, defaults, each property's value."""
        properties = schema.get("properties")
        properties = properties if isinstance(properties, dict) else {}
        extra = schema.get("additionalProperties", not properties and "properties" not in schema)
        result: dict[str, Any] = {}
        for key, value in given.items():
            child = f"{path}.{key}"
            if key in properties:
                result[key] = self.value(value, properties[key], child)
            elif extra is True:
                result[key] = value
            elif isinstance(extra, dict):
                result[key] = self.value(value, extra, child)
            else:
                self.fail(child, "is not a setting of this plugin")
        for key, definition in properties.items():
            if key not in result and isinstance(definition, dict) and "default" in definition:
                result[key] = copy.deepcopy(definition["default"])
        required = schema.get("required")
        for key in required if isinstance(required, list) else []:
            if isinstance(key, str) and key not in result:
                self.fail(f"{path}.{key}", "is required")
        return result


def validate_config(config: Any, schema: dict | None) -> dict[str, Any]:
    """The config with defaults applied, or ValidationFailed naming every bad field.

    Without a schema the plugin declares no settings, so only an empty object is accepted.
    """
    if config is None:
        config = {}
    checker = _Checker()
    result: dict[str, Any] = {}
    if not isinstance(config, dict):
        checker.fail(ROOT, "must be an object")
    elif not isinstance(schema, dict):
        for key in config:
            checker.fail(f"{ROOT}.{key}", "is not a setting of this plugin")
    else:
        object_schema = {"properties": {}, **schema}
        result = checker.object(config, object_schema, ROOT)
    if checker.errors:
        shown = "; ".join(f"{path}: {text}" for path, text in list(checker.errors.items())[:5])
        raise ValidationFailed(f"The config is invalid: {shown}", fields=checker.errors)
    return result


def config_schema_of(manifest: dict | None) -> dict | None:
    """The `config.schema` of a plugin manifest (plugin.json), or None."""
    config = (manifest or {}).get("config")
    schema = config.get("schema") if isinstance(config, dict) else None
    return schema if isinstance(schema, dict) else None
