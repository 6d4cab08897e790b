"""What a publish receives, checked before anything is written: the manifest's text and the
files' bytes (publishing.services.publish)."""

from __future__ import annotations

import json

from django.conf import settings

from naap.errors import PayloadTooLarge, ValidationFailed
from publishing.validation import (
    MAX_MANIFEST_BYTES,
    MAX_MANIFEST_TEXT_BYTES,
    check_bundle,
    check_styles,
)

# A source map may be this many times the largest bundle.
MAX_SOURCEMAP_FACTOR = 4


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not a JSON value")


def parse_manifest(raw: str | bytes | dict) -> dict:
    """The manifest as a dict, from JSON text or an already parsed object."""
    if isinstance(raw, dict):
        return raw
    size = len(raw.encode("utf-8") if isinstance(raw, str) else raw)
    if size > MAX_MANIFEST_TEXT_BYTES:
        raise PayloadTooLarge(
            f"The manifest is {size} bytes; its text may be at most {MAX_MANIFEST_TEXT_BYTES} "
            f"(and {MAX_MANIFEST_BYTES} as compact JSON).",
            field="manifest",
            details={"limit": MAX_MANIFEST_TEXT_BYTES, "size": size},
        )
    try:
        # Python reads NaN and Infinity, which are not JSON and which no database stores.
        parsed = json.loads(raw, parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError) as error:
        raise ValidationFailed(
            f"The manifest is not valid JSON: {error}.", field="manifest"
        ) from error
    except RecursionError:
        raise ValidationFailed(
            "The manifest is not valid JSON: it is nested too deeply.", field="manifest"
        ) from None
    if not isinstance(parsed, dict):
        raise ValidationFailed("The manifest must be a JSON object.", field="manifest")
    return parsed


def validate_files(
    *, name: str, bundle: bytes, styles: bytes | None, sourcemap: bytes | None
) -> None:
    max_bundle = settings.PLUGIN_MAX_BUNDLE_BYTES
    report = check_bundle(bundle, package_name=name, max_bytes=max_bundle)
    problems = dict(report.errors)
    too_large = report.too_large
    if styles is not None:
        styles_report = check_styles(styles, max_bytes=settings.PLUGIN_MAX_STYLES_BYTES)
        problems.update(styles_report.errors)
        too_large = too_large or styles_report.too_large
    if sourcemap is not None:
        limit = max_bundle * MAX_SOURCEMAP_FACTOR
        if len(sourcemap) > limit:
            problems["sourcemap"] = (
                f"The sourcemap is {len(sourcemap)} bytes; the limit is {limit}."
            )
            too_large = True
        else:
            try:
                json.loads(sourcemap)
            except (ValueError, UnicodeDecodeError, RecursionError):
                problems["sourcemap"] = "The sourcemap is not valid JSON."
    if problems:
        message = "; ".join(f"{key}: {text}" for key, text in problems.items())
        error_class = PayloadTooLarge if too_large else ValidationFailed
        raise error_class(message, fields=problems)
