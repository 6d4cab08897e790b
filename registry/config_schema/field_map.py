"""NaaP's own form of a config.schema, its field map (`{field: {type, description, default,
required, secret, enum, min, max}}`, NaaP's PluginConfigField): checked in the publisher's own
terms and compiled into the JSON Schema the rest of the marketplace reads
(registry.config_schema)."""

from __future__ import annotations

import re
from typing import Any

from registry.config_schema.meta import ROOT, check_meaning
from registry.config_schema.values import SubsetValidator, is_whole_number

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
_FIELD_VALIDATOR = SubsetValidator(_FIELD_META)
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


def compile_field_map(field_map: dict) -> tuple[dict[str, Any], tuple[tuple[str, str], ...]]:
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
            elif kind != "number" and not (is_whole_number(None, value) and value >= 0):
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
    check_meaning(compiled, ROOT, meaning, root=True)
    return compiled, tuple(
        (field_map_path(path), _FIELD_WORD.sub(lambda m: _FIELD_WORDS[m[0]], text))
        for path, text in meaning.items()
    )


def field_map_path(path: str) -> str:
    """config.schema.properties.x.maxLength -> config.schema.x.max (the field map's words)."""
    prefix = f"{ROOT}.properties."
    if not path.startswith(prefix):
        return path
    name, _, rest = path.removeprefix(prefix).partition(".")
    head, _, tail = rest.partition(".")
    keyword = _FIELD_WORDS.get(head, head)
    return ".".join(part for part in (ROOT, name, keyword, tail) if part)
