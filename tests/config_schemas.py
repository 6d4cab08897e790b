"""config.schema samples shared by the checker's, the forms' and the bad-input corpus's tests:
shapes the checker must refuse (with the path it names) and shapes it accepts, which the install
forms must then render and the config check must handle."""

from __future__ import annotations

import json


def one_setting(**definition) -> dict:
    """A schema with one setting `x` defined as given."""
    return {"type": "object", "properties": {"x": definition}}


X = "config.schema.properties.x"

# (id, schema, the path the refusal names)
REFUSED_SCHEMAS = [
    ("max-length-not-a-number", one_setting(type="string", maxLength="x"), f"{X}.maxLength"),
    ("max-length-fraction", one_setting(type="string", maxLength=5.0), f"{X}.maxLength"),
    ("min-length-negative", one_setting(type="string", minLength=-1), f"{X}.minLength"),
    ("max-items-boolean", one_setting(type="array", maxItems=True), f"{X}.maxItems"),
    ("enum-not-a-list", one_setting(type="string", enum=5), f"{X}.enum"),
    ("enum-empty", one_setting(type="string", enum=[]), f"{X}.enum"),
    ("enum-of-objects", one_setting(enum=[{"a": 1}]), f"{X}.enum[0]"),
    ("enum-repeated", one_setting(enum=["a", "a"]), f"{X}.enum"),
    ("enum-entry-of-other-type", one_setting(type="integer", enum=[1, "two"]), f"{X}.enum[1]"),
    (
        "enum-entry-out-of-bounds",
        one_setting(type="integer", enum=[1, 9], maximum=5),
        f"{X}.enum[1]",
    ),
    ("type-unknown", one_setting(type="date"), f"{X}.type"),
    ("type-empty-list", one_setting(type=[]), f"{X}.type"),
    ("type-not-a-name", one_setting(type=7), f"{X}.type"),
    ("minimum-not-a-number", one_setting(type="integer", minimum="a"), f"{X}.minimum"),
    ("maximum-boolean", one_setting(type="number", maximum=False), f"{X}.maximum"),
    ("minimum-above-maximum", one_setting(type="integer", minimum=9, maximum=1), f"{X}.maximum"),
    (
        "min-length-above-max",
        one_setting(type="string", minLength=9, maxLength=1),
        f"{X}.maxLength",
    ),
    ("default-of-other-type", one_setting(type="integer", default="ten"), f"{X}.default"),
    ("default-not-in-enum", one_setting(enum=["a", "b"], default="c"), f"{X}.default"),
    ("default-too-long", one_setting(type="string", maxLength=2, default="abc"), f"{X}.default"),
    ("items-a-list", one_setting(type="array", items=[{"type": "string"}]), f"{X}.items"),
    (
        "nested-items-bad",
        one_setting(type="array", items={"maxLength": "x"}),
        f"{X}.items.maxLength",
    ),
    ("setting-not-an-object", {"properties": {"x": 1}}, X),
    ("properties-a-list", {"properties": [{"x": {}}]}, "config.schema.properties"),
    ("required-a-string", {"properties": {"x": {}}, "required": "x"}, "config.schema.required"),
    (
        "required-repeated",
        {"properties": {"x": {}}, "required": ["x", "x"]},
        "config.schema.required",
    ),
    (
        "required-unknown-setting",
        {"properties": {"x": {}}, "required": ["y"]},
        "config.schema.required[0]",
    ),
    (
        "additional-properties-a-string",
        {"properties": {}, "additionalProperties": "yes"},
        "config.schema.additionalProperties",
    ),
    ("title-not-a-string", one_setting(type="string", title=5), f"{X}.title"),
    ("description-a-list", one_setting(type="string", description=["a"]), f"{X}.description"),
    ("pattern-unsupported", one_setting(type="string", pattern="^a+$"), f"{X}.pattern"),
    ("ref-unsupported", {"properties": {"x": {"$ref": "#/$defs/y"}}}, f"{X}.$ref"),
    ("all-of-unsupported", {"properties": {}, "allOf": [{}]}, "config.schema.allOf"),
    ("top-level-array", {"type": "array", "items": {}}, "config.schema.type"),
    (
        "nested-too-deeply",
        {"properties": {"x": {"type": "array", "default": json.loads("[" * 30 + "]" * 30)}}},
        "config.schema",
    ),
]

# (id, schema): everything here must compile, render as a form and check a config.
ACCEPTED_SCHEMAS = [
    ("none", None),
    ("empty", {}),
    ("object-without-properties", {"type": "object"}),
    (
        "every-keyword",
        {
            "type": "object",
            "required": ["label"],
            "additionalProperties": False,
            "properties": {
                "label": {"type": "string", "minLength": 2, "maxLength": 20, "title": "Label"},
                "count": {"type": "integer", "minimum": 0, "maximum": 10, "default": 3},
                "ratio": {"type": "number", "minimum": -1.5, "maximum": 1.5},
                "on": {"type": "boolean", "default": True, "description": "Switch it on"},
                "ids": {
                    "type": "array",
                    "items": {"type": "integer"},
                    "minItems": 0,
                    "maxItems": 3,
                },
                "theme": {"type": "object", "properties": {"accent": {"type": "string"}}},
            },
        },
    ),
    ("nullable-enum", one_setting(type=["integer", "null"], enum=[1, 2], default=2)),
    ("mixed-enum", one_setting(enum=["1", 1, True, 2.5])),
    ("boolean-enum", one_setting(type="boolean", enum=[True, False], default=False)),
    ("several-types", one_setting(type=["string", "integer"])),
    ("untyped", one_setting()),
    ("annotations-kept", one_setting(type="string", format="uri", examples=["x"], secret=True)),
    ("free-form-extra", {"properties": {}, "additionalProperties": {"type": "integer"}}),
    ("huge-bounds", one_setting(type="string", maxLength=10**30, minLength=0)),
    (
        "naap-field-map",
        {"metabaseUrl": {"type": "string", "default": "", "description": "Metabase URL"}},
    ),
    ("field-map-with-a-setting-named-required", {"required": {"type": "boolean"}}),
]
