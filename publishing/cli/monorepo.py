"""Where a plugin's imports come from: the NaaP monorepo's own packages, or the npm registry.

Inside the NaaP monorepo a plugin imports `@naap/plugin-sdk` and its siblings as workspace
packages: npm links `packages/*` (and the other folders the root package.json's `workspaces`
list), none of which is published on the npm registry. This module finds that root and those
packages, and decides which version of every other package to install: the one the plugin's
package-lock.json pins, else the range its package.json (or the importing package's, or the
root's) declares.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from publishing.cli.output import CliError, Ui

PACKAGE_FILE = "package.json"
LOCK_FILE = "package-lock.json"
# Scopes that belong to the monorepo: never asked of the npm registry, whatever happens.
WORKSPACE_SCOPES = ("@naap/",)
# Version specs that point at a folder on disk instead of the registry.
LOCAL_SPEC_PREFIXES = ("file:", "link:", "workspace:", "portal:")
DEPENDENCY_FIELDS = ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies")


def read_package_json(directory: Path) -> dict[str, Any]:
    """A folder's package.json as a dict ({} when missing or not a JSON object)."""
    try:
        data = json.loads((directory / PACKAGE_FILE).read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def declared_dependencies(manifest: dict[str, Any]) -> dict[str, str]:
    """Every dependency a package.json declares, runtime ones winning over the others."""
    declared: dict[str, str] = {}
    for field_name in reversed(DEPENDENCY_FIELDS):
        values = manifest.get(field_name)
        if isinstance(values, dict):
            declared.update({k: v for k, v in values.items() if isinstance(v, str)})
    return declared


def is_workspace_name(name: str) -> bool:
    """Whether a package name belongs to the monorepo (never to the npm registry)."""
    return name.startswith(WORKSPACE_SCOPES)


@dataclass
class Workspace:
    """The monorepo around a plugin (if any) and the local packages its code may import."""

    root: Path | None
    packages: dict[str, Path] = field(default_factory=dict)

    def describe_missing(self) -> str:
        """Why a package of the monorepo was not found, for an error message."""
        if self.root is None:
            return (
                "the plugin is not inside a checkout of it (no package.json listing workspaces "
                "above it): build the plugin in its place in the monorepo"
            )
        return (
            f"none of the workspaces the root package.json of {self.root} lists holds them: "
            "add their folders to its workspaces"
        )


def _workspace_patterns(manifest: dict[str, Any]) -> list[str]:
    workspaces = manifest.get("workspaces")
    if isinstance(workspaces, dict):  # yarn's {"packages": [...]}
        workspaces = workspaces.get("packages")
    if not isinstance(workspaces, list):
        return []
    return [pattern for pattern in workspaces if isinstance(pattern, str) and pattern.strip()]


def find_monorepo_root(start: Path) -> Path | None:
    """The nearest folder above `start` whose package.json lists workspaces."""
    for directory in start.resolve().parents:
        if _workspace_patterns(read_package_json(directory)):
            return directory
    return None


def _expand_workspaces(root: Path, patterns: list[str]) -> dict[str, Path]:
    """Name -> folder of every workspace package (npm's globs; "!pattern" excludes)."""
    excluded: set[Path] = set()
    folders: list[Path] = []
    for pattern in patterns:
        negated = pattern.startswith("!")
        cleaned = pattern.removeprefix("!").strip().strip("/").removeprefix("./")
        if not cleaned or ".." in Path(cleaned).parts:
            continue
        matches = [path for path in sorted(root.glob(cleaned)) if path.is_dir()]
        if negated:
            excluded.update(path.resolve() for path in matches)
        else:
            folders.extend(matches)
    packages: dict[str, Path] = {}
    for folder in folders:
        if folder.resolve() in excluded or "node_modules" in folder.relative_to(root).parts:
            continue
        name = read_package_json(folder).get("name")
        if isinstance(name, str) and name and name not in packages:
            packages[name] = folder.resolve()
    return packages


def find_workspace(plugin_directory: Path, frontend_directory: Path) -> Workspace:
    """The monorepo's local packages, plus folders the frontend's package.json links to."""
    root = find_monorepo_root(plugin_directory)
    packages: dict[str, Path] = {}
    if root is not None:
        packages = _expand_workspaces(root, _workspace_patterns(read_package_json(root)))
    frontend_manifest = read_package_json(frontend_directory)
    for name, spec in declared_dependencies(frontend_manifest).items():
        if name in packages or not spec.startswith(("file:", "link:")):
            continue
        target = (frontend_directory / spec.split(":", 1)[1]).resolve()
        if (target / PACKAGE_FILE).is_file():
            packages[name] = target
    # The frontend itself is a workspace package too; it never imports itself by name.
    own_name = frontend_manifest.get("name")
    if isinstance(own_name, str) and packages.get(own_name) == frontend_directory.resolve():
        del packages[own_name]
    return Workspace(root=root, packages=packages)


@dataclass(frozen=True)
class ScannedImport:
    """One bare import found in the plugin's code (or a local package it reaches)."""

    specifier: str
    package: str
    importer: str
    resolves: bool


def _locked_versions(directory: Path, declared: dict[str, str]) -> dict[str, str]:
    """Exact versions a package-lock.json pins for the dependencies it was made from."""
    try:
        lock = json.loads((directory / LOCK_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(lock, dict):
        return {}
    packages = lock.get("packages")
    if not isinstance(packages, dict):
        return {}
    root_entry = packages.get("", {})
    locked_from = declared_dependencies(root_entry) if isinstance(root_entry, dict) else {}
    versions = {}
    for name, spec in declared.items():
        entry = packages.get(f"node_modules/{name}")
        if not isinstance(entry, dict) or entry.get("link"):
            continue
        version = entry.get("version")
        # A lock made from another package.json pins other ranges: only trust it in step.
        if isinstance(version, str) and locked_from.get(name) == spec:
            versions[name] = version
    return versions


def _nearest_manifest(path: Path, stop: Path | None) -> dict[str, Any]:
    for directory in path.parents:
        if (directory / PACKAGE_FILE).is_file():
            return read_package_json(directory)
        if stop is not None and directory == stop:
            break
    return {}


def dependency_specs(
    imports: list[ScannedImport],
    *,
    frontend_directory: Path,
    workspace: Workspace,
    ui: Ui,
) -> dict[str, str]:
    """The npm packages to install for these imports, name -> exact version or range.

    The frontend's package-lock.json wins, then the range the frontend's package.json
    declares, then the one of the package.json nearest the importing file (an SDK package's
    own dependency), then the monorepo root's (which npm hoists for every workspace).
    """
    frontend_declared = declared_dependencies(read_package_json(frontend_directory))
    locked = _locked_versions(frontend_directory, frontend_declared)
    root_declared = (
        declared_dependencies(read_package_json(workspace.root)) if workspace.root else {}
    )
    specs: dict[str, str] = {}
    refused: dict[str, str] = {}
    for item in sorted(imports, key=lambda scanned: scanned.package):
        name = item.package
        if name in specs or name in refused:
            continue
        declared = frontend_declared.get(name, "")
        if is_workspace_name(name) or declared.startswith(LOCAL_SPEC_PREFIXES):
            refused[name] = item.importer
            continue
        importer = Path(os.path.normpath(frontend_directory / item.importer))
        importer_declared = declared_dependencies(_nearest_manifest(importer, workspace.root))
        candidates = (
            locked.get(name),
            declared,
            importer_declared.get(name),
            root_declared.get(name),
        )
        spec = next((value for value in candidates if value), None)
        if spec is None or spec.startswith(LOCAL_SPEC_PREFIXES):
            spec = "latest"
            ui.warn(
                f"{item.importer} imports {name}, which no package.json declares: "
                "installing its latest version (add it to the frontend's dependencies)"
            )
        specs[name] = spec
    if refused:
        raise CliError(
            "these packages belong to the NaaP monorepo, not to the npm registry, and "
            f"{workspace.describe_missing()}:",
            details=[
                f"{name} (imported by {importer})" for name, importer in sorted(refused.items())
            ],
        )
    return specs
