"""How big a manifest may be: the whole document, its nesting, every string, unknown fields.

A manifest is stored with its version, copied into every production manifest and bootstrap
that shows the plugin, and its texts into columns and pages; these limits keep each of those
small, and keep a hand-made document from reaching code that walks it recursively.
"""

from __future__ import annotations

from typing import Any

from naap.jsonlimits import json_size, nesting_exceeds, nul_path
from publishing.validation.fields import FieldChecker
from publishing.validation.report import describe_size

# The whole manifest as compact JSON. Real ones are a few KiB; a config.schema with many
# documented settings stays far below.
MAX_MANIFEST_BYTES = 64 * 1024
# The manifest text a publish may send (pretty-printed JSON is larger than compact).
MAX_MANIFEST_TEXT_BYTES = 4 * MAX_MANIFEST_BYTES
# Lists and objects inside lists and objects; above the config.schema's own limit (32), which
# sits two levels down and names its problems more precisely.
MAX_MANIFEST_DEPTH = 40
# Any string anywhere in the manifest, unless its field has a tighter limit below.
MAX_STRING_LENGTH = 2_000
# Fields copied into columns or shown as a line of text.
TEXT_FIELD_LIMITS = {
    "$schema": 500,
    "description": 2_000,
    "icon": 200,
    "license": 100,
    "repository": 500,
    "repository.url": 500,
    "author": 500,
    "author.name": 200,
    "author.email": 254,
    "author.url": 500,
}
# Top-level fields the registry does not know are kept (SPEC §3), within these bounds.
MAX_UNKNOWN_FIELDS = 20
MAX_UNKNOWN_FIELD_BYTES = 8 * 1024
# How many over-long strings one report names.
MAX_REPORTED_STRINGS = 10


def _strings_with_paths(manifest: dict) -> list[tuple[str, str]]:
    """Every string value in the manifest with its field path (`frontend.routes[0]`), in
    document order; walked with a stack (the nesting is already bounded)."""
    found: list[tuple[str, str]] = []
    stack: list[tuple[str, Any]] = [(key, manifest[key]) for key in reversed(list(manifest))]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            found.append((path, value))
        elif isinstance(value, dict):
            stack.extend((f"{path}.{key}", value[key]) for key in reversed(list(value)))
        elif isinstance(value, list):
            stack.extend(
                (f"{path}[{index}]", value[index]) for index in reversed(range(len(value)))
            )
    return found


class SizeChecks(FieldChecker):
    """The size checks of a manifest, for the manifest checker to run before anything else."""

    def _check_size(self) -> bool:
        """Refuse a manifest nested too deeply or too large as a whole; whether it may be
        checked further."""
        if nesting_exceeds(self.manifest, MAX_MANIFEST_DEPTH):
            self._error(
                "manifest",
                f"the manifest nests lists and objects more than {MAX_MANIFEST_DEPTH} deep",
            )
            return False
        size = json_size(self.manifest)
        if size > MAX_MANIFEST_BYTES:
            self.report.too_large = True
            self._error(
                "manifest",
                f"the manifest is {describe_size(size)} as compact JSON, over the limit of "
                f"{describe_size(MAX_MANIFEST_BYTES)}",
            )
            return False
        return True

    def _check_nul(self) -> None:
        where = nul_path(self.manifest)
        if where is not None:
            self._error(
                where,
                f"{where} contains a NUL character (\\u0000), which the registry cannot store",
            )

    def _check_string_lengths(self) -> None:
        reported = 0
        for path, text in _strings_with_paths(self.manifest):
            limit = TEXT_FIELD_LIMITS.get(path, MAX_STRING_LENGTH)
            if len(text) <= limit or reported == MAX_REPORTED_STRINGS:
                continue
            self._error(path, f"{path} is {len(text)} characters; it may be at most {limit}")
            reported += 1

    def _check_unknown_field_sizes(self, unknown: list[str]) -> None:
        if len(unknown) > MAX_UNKNOWN_FIELDS:
            self._error(
                unknown[MAX_UNKNOWN_FIELDS],
                f"the manifest has {len(unknown)} fields the registry does not know "
                f"({', '.join(unknown[:5])}, …); at most {MAX_UNKNOWN_FIELDS} are kept",
            )
        limit = describe_size(MAX_UNKNOWN_FIELD_BYTES)
        for key in unknown:
            size = json_size(self.manifest[key])
            if size > MAX_UNKNOWN_FIELD_BYTES:
                self._error(
                    key,
                    f"the unknown field '{key}' is {describe_size(size)} as JSON; a field the "
                    f"registry does not know may hold at most {limit}",
                )
