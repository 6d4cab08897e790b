"""A plugin's source directory: its plugin.json, read and checked the way the registry will."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from publishing.cli.output import CliError, Ui
from publishing.validation import ValidationReport, global_name_for, validate_manifest
from publishing.validation.frontend import (
    NAAP_SOURCE_ENTRIES,
    NAAP_VITE_CONFIGS,
    names_build_output,
    vite_entry_option,
)

MANIFEST_FILE = "plugin.json"


@dataclass(frozen=True)
class PluginProject:
    """One plugin directory and its parsed manifest."""

    directory: Path
    manifest_text: str
    manifest: dict[str, Any]

    @property
    def name(self) -> str:
        return self.manifest["name"]

    @property
    def version(self) -> str:
        return self.manifest["version"]

    @property
    def global_name(self) -> str:
        return global_name_for(self.name)

    @property
    def frontend(self) -> dict[str, Any]:
        frontend = self.manifest.get("frontend")
        return frontend if isinstance(frontend, dict) else {}

    @property
    def claims_core(self) -> bool:
        """Whether the manifest says isCore: true (the registry decides whether that holds)."""
        return self.manifest.get("isCore") is True

    def path_of(self, field: str) -> Path | None:
        """The file a frontend field (entry, styles) names, relative to the plugin directory."""
        value = self.frontend.get(field)
        if not isinstance(value, str) or not value.strip():
            return None
        return (self.directory / value).resolve()

    def source_entry(self) -> Path | None:
        """The source NaaP's build bundles: the entry the frontend's vite.config names, else
        frontend/src/mount.tsx (or .ts, .jsx, .js); None when there is none."""
        for name in NAAP_VITE_CONFIGS:
            config = self.directory / name
            if config.is_file():
                entry = vite_entry_option(config.read_text(encoding="utf-8", errors="replace"))
                if entry and (config.parent / entry).is_file():
                    return (config.parent / entry).resolve()
        for name in NAAP_SOURCE_ENTRIES:
            if (self.directory / name).is_file():
                return (self.directory / name).resolve()
        return None

    def pending_build(self) -> tuple[str, Path] | None:
        """(the built file frontend.entry names, the source it is built from) when that file
        is not built yet; None when the entry exists or is not a build's output."""
        value = self.frontend.get("entry")
        path = self.path_of("entry")
        if path is None or path.is_file() or not names_build_output(value):
            return None
        source = self.source_entry()
        return (value, source) if source is not None else None

    def relative(self, path: Path) -> str:
        return (
            str(path.relative_to(self.directory))
            if path.is_relative_to(self.directory)
            else str(path)
        )


def load_project(directory: str | Path) -> PluginProject:
    """Read DIR/plugin.json, refusing a missing file, bad JSON or a non-object."""
    root = Path(directory).resolve()
    manifest_path = root / MANIFEST_FILE
    if not root.is_dir():
        raise CliError(f"{root} is not a directory")
    if not manifest_path.is_file():
        raise CliError(f"no {MANIFEST_FILE} in {root}: a plugin directory needs one")
    try:
        text = manifest_path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CliError(
            f"{MANIFEST_FILE} is not UTF-8 (first bad byte at offset {error.start})"
        ) from None
    try:
        manifest = json.loads(text)
    except json.JSONDecodeError as error:
        raise CliError(
            f"{MANIFEST_FILE} is not valid JSON: {error.msg} at line {error.lineno} "
            f"column {error.colno}"
        ) from None
    if not isinstance(manifest, dict):
        raise CliError(f"{MANIFEST_FILE} must contain a JSON object {{...}}")
    return PluginProject(directory=root, manifest_text=text, manifest=manifest)


def check_project(project: PluginProject, *, for_build: bool) -> ValidationReport:
    """Run the registry's manifest validator, plus the checks only a local copy allows."""
    report = validate_manifest(project.manifest, is_core=project.claims_core)
    pending = None if for_build else project.pending_build()
    for field in ("entry", "styles"):
        value = project.frontend.get(field)
        path = project.path_of(field)
        if field == "entry" and pending is not None:
            continue  # the build writes it: validate says so (command_validate)
        if path is not None and not path.is_file():
            message = f"frontend.{field} names {value}, which does not exist in {project.directory}"
            if field == "entry" and names_build_output(value) and not project.source_entry():
                message += (
                    ", and there is no source to build it from (frontend/src/mount.tsx, or the "
                    "entry frontend/vite.config.ts names)"
                )
            report.add_error(f"frontend.{field}", message)
    if project.path_of("entry") is None:
        message = "frontend.entry is required to build: the plugin's source or built .js file"
        if for_build:
            report.add_error("frontend.entry", message)
        else:
            report.warnings.append(message)
    return report


def require_valid_project(
    project: PluginProject, ui: Ui, *, for_build: bool = True
) -> ValidationReport:
    """Show the manifest's warnings and stop with every error when it is invalid."""
    report = check_project(project, for_build=for_build)
    if project.claims_core:
        ui.warn(
            "isCore is true, so this check allowed top-level routes; the registry allows them "
            "only if its staff have marked the package core, and refuses them otherwise"
        )
    for warning in report.warnings:
        ui.warn(warning)
    if not report.ok:
        count = len(report.errors)
        raise CliError(
            f"{MANIFEST_FILE} has {count} problem{'s' if count != 1 else ''}:",
            details=[f"{field}: {message}" for field, message in report.errors.items()],
        )
    return report
