"""`naap-plugin build`: turn a plugin directory into the files the registry stores.

A source entry (JSX, TypeScript, ES modules) is bundled by esbuild into a UMD bundle that
assigns the plugin's global, with React taken from the shell (see esbuild.py); a plugin of
the NaaP monorepo whose frontend.entry names the output of upstream's vite build is built
from its source entry (project.find_source_entry). A `.js` entry that is already a built
classic script is packaged byte for byte. Either way remote `@import`s are removed from the
stylesheet, and the output is checked with the registry's own bundle checks.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from publishing.cli.esbuild import bundle_source, relocate_sourcemap
from publishing.cli.output import CliError, Ui, format_size
from publishing.cli.prebuilt import styles_beside
from publishing.cli.preview import REACT_UMD_FILES, preview_html
from publishing.cli.project import PluginProject, find_source_entry
from publishing.validation import (
    DEFAULT_MAX_BUNDLE_BYTES,
    MAX_STYLES_BYTES,
    check_bundle,
    check_styles,
    scan_bundle,
)
from publishing.validation.javascript import has_module_statement
from publishing.validation.stylesheet import remove_remote_imports
from registry.umd import BundleGlobals, read_bundle_globals


@dataclass(frozen=True)
class Asset:
    """One output file's bytes and the digests the registry and the shell use."""

    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    @property
    def hash8(self) -> str:
        """The first 8 hex characters of the sha256: NaaP's content hash in file names."""
        return self.sha256[:8]

    @cached_property
    def integrity(self) -> str:
        """The Subresource Integrity value the shell puts on the <script> or <link>."""
        return "sha384-" + base64.b64encode(hashlib.sha384(self.data).digest()).decode("ascii")


@dataclass
class BuildResult:
    """Everything `build` produced, for `publish` to upload and for people to read."""

    project: PluginProject
    out_dir: Path
    bundle: Asset
    styles: Asset | None
    sourcemap: Asset | None
    bundled_by_esbuild: bool
    production_manifest: dict[str, Any]
    findings: list[dict[str, Any]]
    # What the shell loads before the bundle (React, ReactDOM): the UMD wrapper's globals,
    # as the registry will record them.
    shell_globals: list[str] = field(default_factory=list)
    files: dict[str, Path] = field(default_factory=dict)

    @property
    def bundle_name(self) -> str:
        return f"bundle.{self.bundle.hash8}.js"

    @property
    def styles_name(self) -> str | None:
        return f"styles.{self.styles.hash8}.css" if self.styles else None

    @property
    def sourcemap_name(self) -> str | None:
        return f"{self.bundle_name}.map" if self.sourcemap else None


def max_bundle_bytes() -> int:
    """The bundle size limit: the registry's default unless PLUGIN_MAX_BUNDLE_BYTES says so."""
    value = os.environ.get("PLUGIN_MAX_BUNDLE_BYTES", "").strip()
    if value.isdigit() and int(value) > 0:
        return int(value)
    return DEFAULT_MAX_BUNDLE_BYTES


def is_prebuilt_bundle(entry: Path, text: str, global_name: str) -> bool:
    """Whether a `.js` entry is already a built script: it names the global, imports nothing."""
    return entry.suffix == ".js" and global_name in text and not has_module_statement(text)


# ---------------------------------------------------------------------------------------------
# Packaging and output


def production_manifest(
    project: PluginProject, bundle: Asset, styles: Asset | None, *, shell_globals: list[str]
) -> dict[str, Any]:
    """The document the shell loads (SPEC §4), with URLs relative to dist/manifest.json."""
    manifest = project.manifest
    frontend = project.frontend
    version = project.version
    return {
        "name": project.name,
        "displayName": manifest.get("displayName"),
        "version": version,
        "globalName": project.global_name,
        "bundleUrl": f"{version}/bundle.{bundle.hash8}.js",
        "stylesUrl": f"{version}/styles.{styles.hash8}.css" if styles else None,
        "bundleHash": bundle.hash8,
        "bundleSize": bundle.size,
        "stylesSize": styles.size if styles else None,
        "integrity": {
            "bundle": bundle.integrity,
            "styles": styles.integrity if styles else None,
        },
        "routes": frontend.get("routes") or [],
        "navigation": frontend.get("navigation") or None,
        "permissions": manifest.get("permissions") or {},
        "category": manifest.get("category") or "other",
        "description": manifest.get("description") or "",
        "icon": manifest.get("icon") or None,
        "shell": manifest.get("shell") or {},
        "config": manifest.get("config") or None,
        "shellGlobals": shell_globals,
        "deprecated": False,
        "publishedAt": None,
    }


def _check_outputs(
    project: PluginProject,
    bundle: Asset,
    styles: Asset | None,
    ui: Ui,
    *,
    bundle_globals: BundleGlobals,
) -> list[dict[str, Any]]:
    """The registry's checks on the built files; stops on errors, returns review findings."""
    errors: dict[str, str] = {}
    report = check_bundle(bundle.data, package_name=project.name, max_bytes=max_bundle_bytes())
    errors.update(report.errors)
    warnings = list(report.warnings)
    if styles is not None:
        styles_report = check_styles(styles.data, max_bytes=MAX_STYLES_BYTES)
        errors.update(styles_report.errors)
        warnings += styles_report.warnings
    for warning in warnings:
        ui.warn(warning)
    if errors:
        raise CliError(
            "the built files would be refused by the registry:",
            details=[f"{key}: {message}" for key, message in errors.items()],
        )
    return scan_bundle(
        bundle.data.decode("utf-8"),
        package_name=project.name,
        manifest=project.manifest,
        bundle_globals=bundle_globals,
    )


def _clean_previous_output(out_dir: Path, version_dir: Path) -> None:
    """Remove what an earlier build of this version left (only files this command writes)."""
    for name in ("manifest.json", "index.html"):
        (out_dir / name).unlink(missing_ok=True)
    if version_dir.is_dir():
        for pattern in ("bundle.*.js", "bundle.*.js.map", "styles.*.css"):
            for stale in version_dir.glob(pattern):
                stale.unlink()


def _write_outputs(result: BuildResult) -> None:
    out_dir = result.out_dir
    version_dir = out_dir / result.project.version
    _clean_previous_output(out_dir, version_dir)
    version_dir.mkdir(parents=True, exist_ok=True)
    files = {"bundle": version_dir / result.bundle_name}
    files["bundle"].write_bytes(result.bundle.data)
    if result.styles is not None and result.styles_name:
        files["styles"] = version_dir / result.styles_name
        files["styles"].write_bytes(result.styles.data)
    if result.sourcemap is not None and result.sourcemap_name:
        files["sourcemap"] = version_dir / result.sourcemap_name
        files["sourcemap"].write_bytes(result.sourcemap.data)
    files["manifest"] = out_dir / "manifest.json"
    files["manifest"].write_text(
        json.dumps(result.production_manifest, indent=2) + "\n", encoding="utf-8"
    )
    needs_react = "React" in result.shell_globals
    if needs_react:
        _copy_react_for_preview(result.project.directory, out_dir, files)
    files["preview"] = out_dir / "index.html"
    files["preview"].write_text(
        preview_html(result.production_manifest, needs_react=needs_react), encoding="utf-8"
    )
    result.files = files


def _copy_react_for_preview(project_dir: Path, out_dir: Path, files: dict[str, Path]) -> None:
    """Copy React 18's UMD files from the nearest node_modules into dist/vendor/, if there."""
    for directory in [project_dir.resolve(), *project_dir.resolve().parents]:
        modules = directory / "node_modules"
        sources = {module: modules / module for module in REACT_UMD_FILES}
        if all(path.is_file() for path in sources.values()):
            for module, source in sources.items():
                target = out_dir / REACT_UMD_FILES[module]
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
                files[f"vendor:{module}"] = target
            return
    # The bundle itself does not need them (the shell provides React); only the preview does.


def _read_styles_file(project: PluginProject) -> bytes | None:
    path = project.path_of("styles")
    return path.read_bytes() if path is not None else None


def _styles_beside_prebuilt(entry: Path, ui: Ui) -> bytes | None:
    """The stylesheet NaaP's vite build wrote beside a prebuilt bundle (frontend.styles, when
    set, wins); every other CSS file there is named with the reason it was left out."""
    found = styles_beside(entry)
    for name in found.ignored:
        ui.warn(f"ignored {name} beside {entry.name}: {found.why_ignored}")
    if found.path is None:
        return None
    ui.note(f"styles: {found.path.name}, {found.reason}")
    return found.path.read_bytes()


def _loadable_styles(styles: bytes | None, ui: Ui) -> Asset | None:
    """The stylesheet without remote @imports (the shell's CSP refuses them), each named."""
    if styles is None:
        return None
    try:
        text = styles.decode("utf-8")
    except UnicodeDecodeError:
        return Asset(styles)  # the registry's check says what is wrong with it
    kept, removed = remove_remote_imports(text)
    for remote in removed:
        ui.warn(
            f"removed the remote {remote.describe()} from the stylesheet: the shell's "
            "Content-Security-Policy loads styles only from the registry's CDN and would "
            "refuse it (put the font's @font-face rules in your CSS to keep it)"
        )
    if not removed:
        return Asset(styles)
    return Asset(kept.encode("utf-8")) if kept.strip() else None


def build_project(
    project: PluginProject, ui: Ui, *, out_dir: Path | None = None, sourcemap: bool = False
) -> BuildResult:
    """Build (or package) the plugin, check the result and write the dist directory."""
    entry = project.path_of("entry")
    # Upstream's plugin.json names what its vite build writes, which need not exist yet.
    entry_bytes = entry.read_bytes() if entry is not None and entry.is_file() else b""
    entry_text = entry_bytes.decode("utf-8", errors="replace")
    styles_file = _read_styles_file(project)
    sourcemap_data = None
    if entry_bytes and is_prebuilt_bundle(entry, entry_text, project.global_name):
        bundled = False
        bundle = Asset(entry_bytes)
        if styles_file is None:
            styles_file = _styles_beside_prebuilt(entry, ui)
        styles = _loadable_styles(styles_file, ui)
        if sourcemap:
            ui.warn("--sourcemap is ignored: the entry is already built and is packaged as is")
    else:
        source = find_source_entry(project)
        if source is None:
            raise CliError(
                "frontend.entry must name the plugin's entry file (or the frontend must have "
                "src/mount.tsx, the entry of a NaaP plugin)"
            )
        bundled = True
        with tempfile.TemporaryDirectory(prefix="naap-plugin-build-") as temporary:
            work_dir = Path(temporary)
            output = bundle_source(project, source, work_dir, ui, sourcemap=sourcemap)
            bundle = Asset(output.bundle)
            if output.sourcemap is not None:
                sourcemap_data = relocate_sourcemap(
                    output.sourcemap,
                    map_dir=work_dir / "out",
                    project=project,
                    bundle_name=f"bundle.{bundle.hash8}.js",
                )
        # CSS imported by the source comes first; frontend.styles, when also set, follows it.
        css_parts = [part for part in (output.css, styles_file) if part]
        styles = _loadable_styles(b"\n".join(css_parts) if css_parts else None, ui)
    bundle_globals = read_bundle_globals(bundle.data)
    findings = _check_outputs(project, bundle, styles, ui, bundle_globals=bundle_globals)
    result = BuildResult(
        project=project,
        out_dir=(out_dir or project.directory / "dist").resolve(),
        bundle=bundle,
        styles=styles,
        sourcemap=Asset(sourcemap_data) if sourcemap_data is not None else None,
        bundled_by_esbuild=bundled,
        production_manifest=production_manifest(
            project, bundle, styles, shell_globals=bundle_globals.shell_globals
        ),
        findings=findings,
        shell_globals=bundle_globals.shell_globals,
    )
    _write_outputs(result)
    return result


def describe_build(result: BuildResult, ui: Ui) -> None:
    """Tell people what was written and what the registry's automated review will say."""
    project = result.project
    how = "bundled with esbuild" if result.bundled_by_esbuild else "packaged the built entry"
    ui.say(f"built {project.name}@{project.version} ({how}) into {result.out_dir}", style="green")
    for key in ("bundle", "styles", "sourcemap", "manifest", "preview"):
        path = result.files.get(key)
        if path is None:
            continue
        shown = (
            path.relative_to(result.out_dir.parent)
            if path.is_relative_to(result.out_dir.parent)
            else path
        )
        ui.say(f"  {key:<9} {shown}  {format_size(path.stat().st_size)}")
    if result.shell_globals:
        ui.say(
            f"  globals   {', '.join(result.shell_globals)} (the shell's, passed in by the wrapper)"
        )
    for finding in result.findings:
        if finding.get("severity") in {"warning", "error"}:
            ui.warn(f"review ({finding.get('check')}): {finding.get('message')}")
