"""A plugin's `config.schema`: the one checker that publish, the install forms and the config
API share, and the check of an installation's config against a schema it accepted.

The marketplace reads a subset of JSON Schema (draft 2020-12): `type` (string, integer, number,
boolean, array, object, null, or a list of them), `enum`, `minimum`/`maximum`,
`minLength`/`maxLength`, `minItems`/`maxItems`, `items`, `properties`, `required`,
`additionalProperties` and `default`, with `title` and `description` for the forms.
`compile_config_schema` takes what a manifest declares and returns the JSON Schema the rest of
the marketplace works from, or refuses it with every problem named at its path
(`config.schema.properties.label.maxLength`). The shape is checked against `META_SCHEMA` with
the jsonschema library; what a meta-schema cannot say (a minimum above its maximum, a default
or an enum entry its own setting would refuse, a required setting nobody could give) is checked
here after it. Whatever it accepts, the forms can render and `check_config` can check.

Other JSON Schema keywords that would change what a config may hold (`$ref`, `allOf`,
`pattern`, `const`, …) are refused rather than silently ignored; annotations (`format`,
`examples`, `$comment`, …) and keys of the publisher's own are kept and ignored.

A `config.schema` without `properties` or a `type` is NaaP's own field map, its primary form
(`{field: {type, description, default, required, secret, enum, min, max}}`, NaaP's
`PluginConfigField`). `_compile_field_map` checks it in the publisher's own terms
(`config.schema.apiKey.max`) and compiles it into the same JSON Schema: `min`/`max` are
`minLength`/`maxLength` for strings, `minimum`/`maximum` for numbers and `minItems`/`maxItems`
for lists; `required: true` fields are listed in `required`; `secret: true` stays on the
setting (`is_secret`), for the marketplace to encrypt its value at rest and never show it.
Nothing past `compile_config_schema` tells the two forms apart.

Pure Python (jsonschema, no Django): the CLI runs it through publishing.validation.
"""

from __future__ import annotations

import copy
import json
import math
import re
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator, validators
from jsonschema.exceptions import SchemaError

from naap.jsonlimits import nesting_exceeds

ROOT = "config.schema"
CONFIG_ROOT = "config"
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


def _is_whole_number(_checker, value: Any) -> bool:
    # JSON Schema counts 5.0 as an integer; the forms and check_config do not.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_finite_number(_checker, value: Any) -> bool:
    # Python's json reads NaN and Infinity, which no database JSON column stores.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


_MetaValidator = validators.extend(
    Draft202012Validator,
    type_checker=Draft202012Validator.TYPE_CHECKER.redefine_many(
        {"integer": _is_whole_number, "number": _is_finite_number}
    ),
)
Draft202012Validator.check_schema(META_SCHEMA)
_META = _MetaValidator(META_SCHEMA)


class ConfigSchemaError(ValueError):
    """A config.schema the marketplace cannot use; `problems` maps each path to the reason."""

    def __init__(self, problems: dict[str, str]) -> None:
        self.problems = problems
        shown = "; ".join(f"{path}: {text}" for path, text in list(problems.items())[:5])
        super().__init__(f"The config.schema cannot be used: {shown}")


def is_field_map(schema: dict) -> bool:
    """Whether a config.schema is NaaP's field map rather than JSON Schema: it declares neither
    `properties` nor a `type`, so its keys are the settings' names."""
    declared = schema.get("type")
    return "properties" not in schema and not isinstance(declared, (str, list))


def compile_config_schema(schema: Any) -> dict[str, Any]:
    """The JSON Schema (our subset) a manifest's config.schema stands for; ConfigSchemaError
    naming every problem when the marketplace cannot use it. None declares no settings."""
    return copy.deepcopy(_compiled(schema))


def _compiled(schema: Any) -> dict[str, Any]:
    """compile_config_schema's answer, shared with the cache: never to be changed."""
    if schema is None:
        return NO_SETTINGS
    if not isinstance(schema, dict):
        raise ConfigSchemaError({ROOT: "must be an object"})
    try:
        text = json.dumps(schema, sort_keys=True, allow_nan=False)
    except (TypeError, ValueError, RecursionError):
        raise ConfigSchemaError({ROOT: "must be plain JSON, with finite numbers"}) from None
    compiled, problems = _compile_text(text)
    if problems:
        raise ConfigSchemaError(dict(problems))
    return compiled


def config_schema_problems(schema: Any) -> dict[str, str]:
    """Every problem of a config.schema at its path; empty when the marketplace can use it."""
    try:
        compile_config_schema(schema)
    except ConfigSchemaError as error:
        return error.problems
    return {}


@lru_cache(maxsize=512)
def _compile_text(text: str) -> tuple[dict[str, Any], tuple[tuple[str, str], ...]]:
    # Keyed by the canonical JSON text: every bootstrap and page compiles the schemas of the
    # versions it shows, and a version's manifest never changes.
    schema = json.loads(text)
    if nesting_exceeds(schema, MAX_SCHEMA_DEPTH):
        return {}, ((ROOT, f"nests lists and objects more than {MAX_SCHEMA_DEPTH} deep"),)
    if is_field_map(schema):
        return _compile_field_map(schema)
    problems: dict[str, str] = {}
    for error in _META.iter_errors(schema):
        path, message = _describe(error)
        problems.setdefault(path, message)
    if not problems:
        _check_meaning(schema, ROOT, problems, root=True)
    # The top level always describes one object and names its settings, even when empty.
    schema = {"type": "object", "properties": {}, **schema}
    if not problems:
        # Everything the subset accepts is valid JSON Schema; this keeps it so.
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as error:
            problems[ROOT] = f"is not valid JSON Schema: {error.message}"
    return schema, tuple(problems.items())


# NaaP's field map (packages/types PluginConfigField).

FIELD_TYPES = ("string", "number", "boolean", "array", "object")
FIELD_KEYS = ("type", "description", "default", "required", "secret", "enum", "min", "max")
_FIELD_META: dict[str, Any] = {
    "type": "object",
    "required": ["type"],
    "properties": {
        "type": {"enum": list(FIELD_TYPES)},
        "description": {"type": "string"},
        "required": {"type": "boolean"},
        "secret": {"type": "boolean"},
        "enum": {
            "type": "array",
            "minItems": 1,
            "uniqueItems": True,
            "items": {"type": ["string", "number", "boolean"]},
        },
        "min": {"type": "number"},
        "max": {"type": "number"},
    },
}
_FIELD_RULES = {
    "type": f"must be one of {', '.join(FIELD_TYPES)}",
    "description": "must be a string",
    "required": "must be true or false",
    "secret": "must be true or false",
    "enum": "must be a list of different strings, numbers or booleans (at least one)",
    "min": "must be a number",
    "max": "must be a number",
}
_FIELD_VALIDATOR = _MetaValidator(_FIELD_META)
# A field's min/max as the JSON Schema keyword of its type.
_LIMITS = {
    "string": ("minLength", "maxLength"),
    "number": ("minimum", "maximum"),
    "array": ("minItems", "maxItems"),
}
# JSON Schema keyword -> the field map's, to name problems the way the publisher wrote them.
_FIELD_WORDS = {
    "minLength": "min",
    "maxLength": "max",
    "minimum": "min",
    "maximum": "max",
    "minItems": "min",
    "maxItems": "max",
}

_FIELD_WORD = re.compile(r"\b(?:minLength|maxLength|minimum|maximum|minItems|maxItems)\b")


def _compile_field_map(field_map: dict) -> tuple[dict[str, Any], tuple[tuple[str, str], ...]]:
    problems: dict[str, str] = {}
    properties: dict[str, Any] = {}
    required: list[str] = []
    for name, field in field_map.items():
        path = f"{ROOT}.{name}"
        if not isinstance(field, dict):
            problems[path] = (
                'must be an object such as {"type": "string", "description": "…"} '
                "(NaaP's field map), or write the schema as JSON Schema with type and properties"
            )
            continue
        errors = sorted(_FIELD_VALIDATOR.iter_errors(field), key=lambda e: list(e.path))
        for error in errors:
            where = list(error.absolute_path)
            if not where:
                problems.setdefault(f"{path}.type", "is required: " + _FIELD_RULES["type"])
                continue
            keyword = where[0]
            problems.setdefault(f"{path}.{keyword}", _FIELD_RULES.get(keyword, "is not valid"))
        if errors:
            continue
        kind = field["type"]
        setting: dict[str, Any] = {"type": kind}
        for key in ("description", "default", "enum"):
            if key in field:
                setting[key] = field[key]
        if field.get("secret") is True:
            setting["secret"] = True
        for key, keyword in zip(("min", "max"), _LIMITS.get(kind, (None, None)), strict=True):
            if key not in field:
                continue
            value = field[key]
            if keyword is None:
                problems[f"{path}.{key}"] = (
                    f"applies to strings (length), numbers and arrays, not to {kind} fields"
                )
            elif kind != "number" and not (_is_whole_number(None, value) and value >= 0):
                limit = "length" if kind == "string" else "number of items"
                problems[f"{path}.{key}"] = (
                    f"must be a whole number, 0 or more: the {limit} limit of a {kind} field"
                )
            else:
                setting[keyword] = value
        if field.get("required") is True:
            required.append(name)
        properties[name] = setting
    if problems:
        return {}, tuple(problems.items())
    compiled: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        compiled["required"] = required
    compiled["additionalProperties"] = False
    meaning: dict[str, str] = {}
    _check_meaning(compiled, ROOT, meaning, root=True)
    return compiled, tuple(
        (_field_map_path(path), _FIELD_WORD.sub(lambda m: _FIELD_WORDS[m[0]], text))
        for path, text in meaning.items()
    )


def _field_map_path(path: str) -> str:
    """config.schema.properties.x.maxLength -> config.schema.x.max (the field map's words)."""
    prefix = f"{ROOT}.properties."
    if not path.startswith(prefix):
        return path
    name, _, rest = path.removeprefix(prefix).partition(".")
    head, _, tail = rest.partition(".")
    keyword = _FIELD_WORDS.get(head, head)
    return ".".join(part for part in (ROOT, name, keyword, tail) if part)


def is_secret(setting: dict) -> bool:
    """Whether a compiled setting holds a secret (a field map's `secret: true`)."""
    return setting.get("secret") is True


def secret_settings(schema: Any) -> frozenset[str]:
    """The top-level settings of a config.schema that hold secrets (none when refused)."""
    try:
        compiled = _compiled(schema)
    except ConfigSchemaError:
        return frozenset()
    return frozenset(name for name, spec in compiled["properties"].items() if is_secret(spec))


def _describe(error) -> tuple[str, str]:
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


def _extra_keys_allowed(schema: dict, *, root: bool) -> bool | dict:
    """Whether an object of this schema takes keys outside `properties` (or their schema).
    Without `properties` a nested object is free-form; the top level never is."""
    default = not root and "properties" not in schema
    return schema.get("additionalProperties", default)


def _check_meaning(schema: dict, path: str, problems: dict[str, str], *, root: bool) -> None:
    """What the meta-schema cannot say, for a schema whose shape it accepted."""
    for low, high in _BOUNDS:
        if low in schema and high in schema and schema[low] > schema[high]:
            problems.setdefault(f"{path}.{high}", f"is {schema[high]}, below {low} ({schema[low]})")
    properties = schema.get("properties", {})
    for index, name in enumerate(schema.get("required", [])):
        if name not in properties and _extra_keys_allowed(schema, root=root) is False:
            problems.setdefault(
                f"{path}.required[{index}]",
                f"names '{name}', which is not in properties, so no config could give it",
            )
    plain = {key: value for key, value in schema.items() if key not in ("enum", "default")}
    for index, option in enumerate(schema.get("enum", [])):
        wrong = _value_problems(option, plain, f"{path}.enum[{index}]")
        if wrong:
            problems.setdefault(f"{path}.enum[{index}]", f"is refused by its own setting: {wrong}")
    if "default" in schema and not root:
        wrong = _value_problems(schema["default"], {**plain, **_enum_of(schema)}, path)
        if wrong:
            problems.setdefault(f"{path}.default", f"is refused by its own setting: {wrong}")
    for name, child in properties.items():
        _check_meaning(child, f"{path}.properties.{name}", problems, root=False)
    for keyword in ("items", "additionalProperties"):
        if isinstance(schema.get(keyword), dict):
            _check_meaning(schema[keyword], f"{path}.{keyword}", problems, root=False)


def _enum_of(schema: dict) -> dict:
    return {"enum": schema["enum"]} if "enum" in schema else {}


def _value_problems(value: Any, schema: dict, path: str) -> str:
    checker = _ConfigChecker()
    checker.value(value, schema, path)
    return "; ".join(
        f"{where.removeprefix(path).lstrip('.') or 'it'} {text}"
        for where, text in checker.errors.items()
    )


# Checking a config against a compiled schema.

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


class _ConfigChecker:
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
        extra = _extra_keys_allowed(schema, root=root)
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


def check_config(config: Any, schema: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """An installation's config checked against a compiled schema: (the config with defaults
    applied, every problem at its path). None is an empty config."""
    checker = _ConfigChecker()
    if config is None:
        config = {}
    if not isinstance(config, dict):
        return {}, {CONFIG_ROOT: "must be an object"}
    result = checker.object(config, schema, CONFIG_ROOT, root=True)
    if not checker.errors:
        # The walk above words the problems; the jsonschema library has the last word on
        # whether the config (defaults applied) holds to the compiled JSON Schema.
        for error in _MetaValidator(schema).iter_errors(result):
            path = "".join(
                f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path
            )
            checker.fail(CONFIG_ROOT + path, f"is refused by the schema: {error.message}")
    return result, checker.errors


def schema_defaults(schema: Any) -> dict[str, Any]:
    """The top-level defaults a config.schema declares, as a fresh dict; none when the checker
    refuses the schema (every bootstrap reads them, so only the defaults are copied)."""
    try:
        compiled = _compiled(schema)
    except ConfigSchemaError:
        return {}
    return {
        key: copy.deepcopy(definition["default"])
        for key, definition in compiled["properties"].items()
        if "default" in definition
    }
