"""The checks a bundle and a stylesheet must pass before they are stored."""

from __future__ import annotations

from publishing.validation.javascript import (
    GlobalSearch,
    find_global,
    has_module_statement,
    has_mount,
    without_comments,
)
from publishing.validation.report import ValidationReport, describe_size
from publishing.validation.stylesheet import RemoteImport, find_remote_imports
from registry.names import global_name_for

DEFAULT_MAX_BUNDLE_BYTES = 5 * 1024 * 1024
NUL = "\x00"
MAX_STYLES_BYTES = 1024 * 1024


def _check_file_basics(
    content: bytes, *, key: str, label: str, max_bytes: int, report: ValidationReport
) -> str | None:
    """Size and encoding checks shared by bundles and styles; returns the text when they pass."""
    if not content:
        report.add_error(key, f"the {label} is empty")
        return None
    if len(content) > max_bytes:
        report.too_large = True
        report.add_error(
            key,
            f"the {label} is {describe_size(len(content))}, over the limit of "
            f"{describe_size(max_bytes)}",
        )
        return None
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as error:
        report.add_error(
            key, f"the {label} is not valid UTF-8 (first bad byte at offset {error.start})"
        )
        return None
    return text.removeprefix("\ufeff")


def _global_problem(search: GlobalSearch, global_name: str) -> str:
    message = (
        f"the bundle must assign the global {global_name} (build with naap-plugin build, or set "
        f"output.library.name to {global_name} in webpack, --global-name={global_name} in esbuild)"
    )
    if search.lexical_only:
        message += (
            f"; it declares {global_name} with const or let, which does not create "
            f"window.{global_name}: use var or window.{global_name} ="
        )
    elif search.other_globals:
        message += f"; it mentions {', '.join(search.other_globals)} instead"
    return message


def _mount_problem(global_name: str) -> str:
    return (
        f"the bundle must define a mount function on {global_name} "
        "(export mount(container, context) from the plugin's entry)"
    )


def check_bundle(bundle: bytes, *, package_name: str, max_bytes: int) -> ValidationReport:
    """Check a bundle's size, encoding, plugin global and mount function."""
    report = ValidationReport()
    text = _check_file_basics(
        bundle, key="bundle", label="bundle", max_bytes=max_bytes, report=report
    )
    if text is None:
        return report
    code = without_comments(text)
    global_name = global_name_for(package_name)
    problems = []
    search = find_global(code, global_name)
    if not search.found:
        problems.append(_global_problem(search, global_name))
    if not has_mount(code):
        problems.append(_mount_problem(global_name))
    if has_module_statement(code):
        problems.append(
            "the bundle is an ES module (a line starts with import or export), but the shell "
            "loads plugins as classic scripts: build it as a UMD or IIFE bundle (naap-plugin "
            "build, or vite's umd format)"
        )
    if NUL in text:
        problems.append(f"the bundle contains a NUL byte (at offset {text.index(NUL)})")
    if problems:
        # One key per file, as the API and CLI show one line per field.
        report.add_error("bundle", "; and ".join(problems))
    return report


def check_styles(styles: bytes, *, max_bytes: int = MAX_STYLES_BYTES) -> ValidationReport:
    """Check a stylesheet's size and encoding (an empty file is refused), and refuse remote
    `@import`s, which the shell's Content-Security-Policy would block."""
    report = ValidationReport()
    text = _check_file_basics(
        styles, key="styles", label="stylesheet", max_bytes=max_bytes, report=report
    )
    if text is None:
        return report
    remote = find_remote_imports(text)
    if remote:
        report.add_error("styles", _remote_imports_problem(remote))
    return report


def _remote_imports_problem(remote: list[RemoteImport]) -> str:
    listed = "; ".join(item.describe() for item in remote)
    return (
        f"the stylesheet imports another origin's stylesheet: {listed}. The shell's "
        "Content-Security-Policy loads styles only from the registry's CDN, so the browser "
        "would refuse it and the plugin's styles would not load. Remove the @import "
        "(naap-plugin build removes remote @imports) and put what it loads, such as a "
        "font's @font-face rules, in the stylesheet itself"
    )
