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
`PluginConfigField`). `field_map.compile_field_map` checks it in the publisher's own terms
(`config.schema.apiKey.max`) and compiles it into the same JSON Schema: `min`/`max` are
`minLength`/`maxLength` for strings, `minimum`/`maximum` for numbers and `minItems`/`maxItems`
for lists; `required: true` fields are listed in `required`; `secret: true` stays on the
setting (`is_secret`), for the marketplace to encrypt its value at rest and never show it.
Nothing past `compile_config_schema` tells the two forms apart.

The package: `meta` (the JSON Schema form's shape and meaning), `field_map` (NaaP's form),
`values` (a config checked against a compiled schema). Pure Python (jsonschema, no Django):
the CLI runs it through publishing.validation.
"""

from __future__ import annotations

import copy
import json
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from naap.jsonlimits import nesting_exceeds
from registry.config_schema.field_map import compile_field_map
from registry.config_schema.meta import (
    MAX_SCHEMA_DEPTH,
    META,
    META_SCHEMA,
    NO_SETTINGS,
    ROOT,
    SUPPORTED_KEYWORDS,
    TYPE_NAMES,
    UNSUPPORTED_KEYWORDS,
    check_meaning,
    describe,
)
from registry.config_schema.values import (
    CONFIG_ROOT,
    check_config,
    declared_types,
    is_json_type,
    json_text,
    same_json_value,
)

__all__ = [
    "CONFIG_ROOT",
    "MAX_SCHEMA_DEPTH",
    "META_SCHEMA",
    "NO_SETTINGS",
    "ROOT",
    "SUPPORTED_KEYWORDS",
    "TYPE_NAMES",
    "UNSUPPORTED_KEYWORDS",
    "ConfigSchemaError",
    "check_config",
    "compile_config_schema",
    "config_schema_problems",
    "declared_types",
    "is_field_map",
    "is_json_type",
    "is_secret",
    "json_text",
    "same_json_value",
    "schema_defaults",
    "secret_settings",
]


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
        return compile_field_map(schema)
    problems: dict[str, str] = {}
    for error in META.iter_errors(schema):
        path, message = describe(error)
        problems.setdefault(path, message)
    if not problems:
        check_meaning(schema, ROOT, problems, root=True)
    # The top level always describes one object and names its settings, even when empty.
    schema = {"type": "object", "properties": {}, **schema}
    if not problems:
        # Everything the subset accepts is valid JSON Schema; this keeps it so.
        try:
            Draft202012Validator.check_schema(schema)
        except SchemaError as error:
            problems[ROOT] = f"is not valid JSON Schema: {error.message}"
    return schema, tuple(problems.items())


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
