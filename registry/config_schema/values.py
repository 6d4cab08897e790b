"""An installation's config checked against a compiled config.schema (registry.config_schema):
every problem worded at its path, then the jsonschema library's last word."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

from jsonschema import Draft202012Validator, validators

CONFIG_ROOT = "config"


def is_whole_number(_checker, value: Any) -> bool:
    # JSON Schema counts 5.0 as an integer; the forms and check_config do not.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_finite_number(_checker, value: Any) -> bool:
    # Python's json reads NaN and Infinity, which no database JSON column stores.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


# A draft 2020-12 validator whose integers are whole numbers and whose numbers are finite.
SubsetValidator = validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine_many(
        {"integer": is_whole_number, "number": _is_finite_number}
    ),
)


_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "an object",
    "null": "null",
}


def is_json_type(value: Any, type_name: str) -> bool:
    """Whether a JSON value has a type of the subset (booleans are not numbers, 7.5 is not an
    integer)."""
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
    return False


def declared_types(schema: dict) -> list[str]:
    """The type names a setting's schema declares (none: any type)."""
    declared = schema.get("type")
    if isinstance(declared, str):
        return [declared]
    return list(declared) if isinstance(declared, list) else []


def same_json_value(left: Any, right: Any) -> bool:
    """Equality as JSON sees it: true is not 1."""
    return left == right and isinstance(left, bool) == isinstance(right, bool)


def json_text(value: Any) -> str:
    """A value as it is written in JSON (true, null, "EUR")."""
    return json.dumps(value, ensure_ascii=False)


def _shown(option: Any) -> str:
    return repr(option) if isinstance(option, str) else str(option).lower()


class ConfigChecker:
    """Walks one config along its schema, collecting every problem at its path."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def fail(self, path: str, message: str) -> None:
        self.errors.setdefault(path, message)

    def value(self, value: Any, schema: dict, path: str) -> Any:
        """Check one value against its schema; return it with nested defaults filled in."""
        types = declared_types(schema)
        if types and not any(is_json_type(value, type_name) for type_name in types):
            wanted = " or ".join(_TYPE_WORDS[type_name] for type_name in types)
            self.fail(path, f"must be {wanted}")
            return value
        options = schema.get("enum")
        if options is not None and not any(same_json_value(value, o) for o in options):
            self.fail(path, f"must be one of: {', '.join(_shown(o) for o in options)}")
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            self._bounds(value, schema, path)
        elif isinstance(value, str):
            self._length(len(value), schema, path, "minLength", "maxLength", "character")
        elif isinstance(value, list):
            self._length(len(value), schema, path, "minItems", "maxItems", "item")
            items = schema.get("items")
            if items is not None:
                value = [self.value(item, items, f"{path}[{i}]") for i, item in enumerate(value)]
        elif isinstance(value, dict) and (
            "properties" in schema or "required" in schema or "additionalProperties" in schema
        ):
            value = self.object(value, schema, path, root=False)
        return value

    def _bounds(self, number: float, schema: dict, path: str) -> None:
        minimum, maximum = schema.get("minimum"), schema.get("maximum")
        if minimum is not None and number < minimum:
            self.fail(path, f"must be at least {minimum}")
        elif maximum is not None and number > maximum:
            self.fail(path, f"must be at most {maximum}")

    def _length(self, length: int, schema: dict, path: str, low: str, high: str, unit: str) -> None:
        minimum, maximum = schema.get(low), schema.get(high)
        if minimum is not None and length < minimum:
            self.fail(path, f"must have at least {minimum} {unit}{'' if minimum == 1 else 's'}")
        elif maximum is not None and length > maximum:
            self.fail(path, f"must have at most {maximum} {unit}{'' if maximum == 1 else 's'}")

    def object(self, given: dict, schema: dict, path: str, *, root: bool) -> dict:
        """Check an object: known keys, required keys, defaults, each property's value."""
        properties = schema.get("properties", {})
        extra = extra_keys_allowed(schema, root=root)
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
            if key not in result and "default" in definition:
                result[key] = copy.deepcopy(definition["default"])
        for key in schema.get("required", []):
            if key not in result:
                self.fail(f"{path}.{key}", "is required")
        return result


def extra_keys_allowed(schema: dict, *, root: bool) -> bool | dict:
    """Whether an object of this schema takes keys outside `properties` (or their schema).
    Without `properties` a nested object is free-form; the top level never is."""
    default = not root and "properties" not in schema
    return schema.get("additionalProperties", default)


def value_problems(value: Any, schema: dict, path: str) -> str:
    checker = ConfigChecker()
    checker.value(value, schema, path)
    return "; ".join(
        f"{where.removeprefix(path).lstrip('.') or 'it'} {text}"
        for where, text in checker.errors.items()
    )


def check_config(config: Any, schema: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """An installation's config checked against a compiled schema: (the config with defaults
    applied, every problem at its path). None is an empty config."""
    checker = ConfigChecker()
    if config is None:
        config = {}
    if not isinstance(config, dict):
        return {}, {CONFIG_ROOT: "must be an object"}
    result = checker.object(config, schema, CONFIG_ROOT, root=True)
    if not checker.errors:
        # The walk above words the problems; the jsonschema library has the last word on
        # whether the config (defaults applied) holds to the compiled JSON Schema.
        for error in SubsetValidator(schema).iter_errors(result):
            path = "".join(
                f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path
            )
            checker.fail(CONFIG_ROOT + path, f"is refused by the schema: {error.message}")
    return result, checker.errors
