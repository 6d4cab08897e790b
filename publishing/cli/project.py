"""A plugin's source directory: its plugin.json, read and checked the way the registry will."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from publishing.cli.output import CliError, Ui
from publishing.validation import ValidationReport, global_name_for, validate_manifest

MANIFEST_FILE = "plugin.json"


@dataclass(frozen=True)
class PluginProject:
    """One plugin directory and its parsed manifest."""

    directory: Path
    manifest_text: str
    manifest: dict[str, Any]
    # Where plugin.json came from when DIR has none (a build output folder), said once.
    origin_note: str = ""
    # Whether plugin.json was made from a build manifest, without what only plugin.json says.
    from_build_manifest: bool = False

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


def load_project(directory: str | Path) -> PluginProject:
    """Read DIR/plugin.json, refusing a missing file, bad JSON or a non-object.

    A folder with no plugin.json that holds the output of NaaP's vite build (its build
    manifest.json) is published as that build: with the plugin.json above it that names its
    bundle, else with one made from the build manifest (publishing/cli/prebuilt.py).
    """
    root = Path(directory).resolve()
    manifest_path = root / MANIFEST_FILE
    if not root.is_dir():
        raise CliError(f"{root} is not a directory")
    if not manifest_path.is_file():
        project = _build_output_project(root)
        if project is None:
            raise CliError(f"no {MANIFEST_FILE} in {root}: a plugin directory needs one")
        return project
    text, manifest = _read_manifest(manifest_path)
    return PluginProject(directory=root, manifest_text=text, manifest=manifest)


def _read_manifest(manifest_path: Path) -> tuple[str, dict[str, Any]]:
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
    return text, manifest


def _build_output_project(root: Path) -> PluginProject | None:
    """The project of a folder holding NaaP's vite build output, or None."""
    from publishing.cli import prebuilt

    build_manifest = prebuilt.read_build_manifest(root)
    if build_manifest is None:
        return None
    plugin_folder = prebuilt.plugin_folder_above(root, build_manifest)
    if plugin_folder is not None:
        text, manifest = _read_manifest(plugin_folder / MANIFEST_FILE)
        return PluginProject(
            directory=plugin_folder,
            manifest_text=text,
            manifest=manifest,
            origin_note=(
                f"no {MANIFEST_FILE} in {root}: publishing the plugin at {plugin_folder}, "
                f"whose {MANIFEST_FILE} names {build_manifest['bundleFile']} as its entry"
            ),
        )
    manifest = prebuilt.plugin_json_from_build_manifest(build_manifest)
    return PluginProject(
        directory=root,
        manifest_text=json.dumps(manifest, indent=2) + "\n",
        manifest=manifest,
        origin_note=(
            f"no {MANIFEST_FILE} in {root} or above it: using one made from the build's "
            f"{prebuilt.BUILD_MANIFEST} (name, version, routes, category, description); "
            f"navigation, permissions and config come only from the plugin's own "
            f"{MANIFEST_FILE}, so publish from the plugin's folder to include them"
        ),
        from_build_manifest=True,
    )


def check_project(project: PluginProject, *, for_build: bool) -> ValidationReport:
    """Run the registry's manifest validator, plus the checks only a local copy allows."""
    report = validate_manifest(project.manifest, is_core=project.claims_core)
    for field in ("entry", "styles"):
        value = project.frontend.get(field)
        path = project.path_of(field)
        if path is not None and not path.is_file():
            report.add_error(
                f"frontend.{field}",
                f"frontend.{field} names {value}, which does not exist in {project.directory}",
            )
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
    if project.origin_note:
        if project.from_build_manifest:
            ui.warn(project.origin_note)
        else:
            ui.note(project.origin_note)
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
