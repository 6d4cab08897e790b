"""An installation's config: checked against the `config.schema` of the version it runs, with
the schema checker every part of the marketplace shares (registry.config_schema).

A version whose stored schema the checker refuses (published before it existed) takes no
settings: it installs with an empty config, and any config given for it is refused with the
schema's problems named, instead of failing somewhere deeper.
"""

from __future__ import annotations

from typing import Any

from naap.errors import Conflict, PayloadTooLarge, ValidationFailed
from naap.jsonlimits import json_size, nesting_exceeds
from registry.config_schema import (
    ConfigSchemaError,
    check_config,
    compile_config_schema,
    schema_defaults,
)

# An installation's config travels in every bootstrap of everyone it applies to.
MAX_CONFIG_BYTES = 16 * 1024
MAX_CONFIG_DEPTH = 32

__all__ = [
    "MAX_CONFIG_BYTES",
    "MAX_CONFIG_DEPTH",
    "check_config_size",
    "config_schema_of",
    "schema_defaults",
    "validate_config",
]


def config_schema_of(manifest: dict | None) -> dict | None:
    """The `config.schema` of a plugin manifest (plugin.json), or None."""
    config = (manifest or {}).get("config")
    schema = config.get("schema") if isinstance(config, dict) else None
    return schema if isinstance(schema, dict) else None


def check_config_size(config: Any) -> None:
    """Refuse a config deeper or larger than any installation may hold."""
    if nesting_exceeds(config, MAX_CONFIG_DEPTH):
        raise ValidationFailed(
            f"The config nests lists and objects more than {MAX_CONFIG_DEPTH} deep.",
            field="config",
        )
    size = json_size(config)
    if size > MAX_CONFIG_BYTES:
        raise PayloadTooLarge(
            f"A config may be at most {MAX_CONFIG_BYTES} bytes as JSON; this one is {size}.",
            field="config",
            details={"limit": MAX_CONFIG_BYTES, "size": size},
        )


def validate_config(
    config: Any, schema: dict | None, *, plugin: str = "This plugin"
) -> dict[str, Any]:
    """The config with defaults applied, or ValidationFailed naming every bad field.

    Without a schema the plugin declares no settings, so only an empty object is accepted;
    with a schema the checker refuses, only no config at all (Conflict otherwise).
    """
    check_config_size(config)
    try:
        compiled = compile_config_schema(schema)
    except ConfigSchemaError as error:
        if config in (None, {}):
            return {}
        shown = "; ".join(f"{path}: {text}" for path, text in list(error.problems.items())[:3])
        raise Conflict(
            f"{plugin} declares a config.schema the marketplace cannot use ({shown}), so it "
            "takes no settings until its publisher releases a corrected version.",
            field="config",
            details={"schema": error.problems},
        ) from None
    result, problems = check_config(config, compiled)
    if problems:
        shown = "; ".join(f"{path}: {text}" for path, text in list(problems.items())[:5])
        raise ValidationFailed(f"The config is invalid: {shown}", fields=problems)
    return result
