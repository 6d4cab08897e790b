"""The state of one manifest's check, and the typed field checks every part of it uses."""

from __future__ import annotations

from typing import Any

from publishing.validation.report import ValidationReport


def json_type(value: Any) -> str:
    """The JSON name of a value's type, for messages publishers read against their plugin.json."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, (list, tuple)):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


class FieldChecker:
    """One manifest being checked: its report, and small checks that record errors in it."""

    def __init__(self, manifest: dict, *, is_core: bool) -> None:
        self.manifest = manifest
        self.is_core = is_core
        self.report = ValidationReport()
        name = manifest.get("name")
        self.name = name if isinstance(name, str) else None

    # Small typed checks, each recording an error at `path` and saying whether the value is ok.

    def _error(self, path: str, message: str) -> None:
        self.report.add_error(path, message)

    def _expect_string(self, path: str, value: Any) -> bool:
        if isinstance(value, str):
            return True
        self._error(path, f"{path} must be a string, not {json_type(value)}")
        return False

    def _expect_object(self, path: str, value: Any) -> bool:
        if isinstance(value, dict):
            return True
        self._error(path, f"{path} must be an object, not {json_type(value)}")
        return False

    def _expect_string_list(self, path: str, value: Any) -> bool:
        if not isinstance(value, list):
            self._error(path, f"{path} must be a list of strings, not {json_type(value)}")
            return False
        ok = True
        for index, item in enumerate(value):
            if not isinstance(item, str):
                self._error(
                    f"{path}[{index}]", f"{path}[{index}] must be a string, not {json_type(item)}"
                )
                ok = False
        return ok

    def _expect_strings_or_objects(self, path: str, value: Any) -> None:
        if not isinstance(value, list):
            self._error(path, f"{path} must be a list, not {json_type(value)}")
            return
        for index, item in enumerate(value):
            if not isinstance(item, (str, dict)):
                self._error(
                    f"{path}[{index}]",
                    f"{path}[{index}] must be a string or an object, not {json_type(item)}",
                )

    def _optional_strings(self, container: dict, prefix: str, keys: tuple[str, ...]) -> None:
        for key in keys:
            if key in container:
                self._expect_string(f"{prefix}{key}", container[key])
