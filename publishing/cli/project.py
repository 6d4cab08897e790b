"""A plugin's source directory: its plugin.json, read and checked the way the registry will."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from publishing.cli.output import CliError, Ui
from publishing.validation import ValidationReport, global_name_for, validate_manifest
from publishing.validation.frontend import names_build_output
from publishing.validation.javascript import without_comments

MANIFEST_FILE = "plugin.json"
# What upstream's vite build (@naap/plugin-build's createPluginConfig) bundles when its
# options name no entry, relative to the frontend folder; then the other usual spellings.
DEFAULT_SOURCE_ENTRIES = (
    "src/mount.tsx",
    "src/mount.ts",
    "src/mount.jsx",
    "src/mount.js",
    "src/index.tsx",
    "src/index.ts",
    "src/index.jsx",
    "src/index.js",
)
VITE_CONFIG_FILES = (
    "vite.config.ts",
    "vite.config.mts",
    "vite.config.js",
    "vite.config.mjs",
    "vite.config.cjs",
    "vite.config.umd.ts",
)
# `entry: './src/x.tsx'`, or `entry: resolve(__dirname, 'src', 'x.tsx')`: the first string
# after `entry:`, and the ones after it inside the same path.resolve/join call.
_VITE_ENTRY = re.compile(
    r"(?<![\w$.])entry\s*:\s*(?P<call>(?:path\.)?(?:resolve|join)\s*\(\s*(?:__dirname|process\.cwd\(\))"
    r"\s*,)?\s*(?P<rest>['\"`][\s\S]{0,400})"
)
_STRING_LITERAL = re.compile(r"\s*(['\"`])([^'\"`$\\\n]+)\1\s*(,|\))?")


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

    def pending_build(self) -> tuple[str, Path] | None:
        """(the built file frontend.entry names, the source it is built from) when that file
        is not built yet; None when the entry exists or is not a build's output."""
        value = self.frontend.get("entry")
        path = self.path_of("entry")
        if path is None or path.is_file() or not names_build_output(value):
            return None
        source = find_source_entry(self)
        return (value, source.path) if source is not None else None

    def relative(self, path: Path) -> str:
        return (
            str(path.relative_to(self.directory))
            if path.is_relative_to(self.directory)
            else str(path)
        )


@dataclass(frozen=True)
class SourceEntry:
    """The source file a build bundles, the frontend folder it belongs to, and why."""

    path: Path
    frontend_directory: Path
    reason: str


def frontend_directory(project: PluginProject) -> Path:
    """The folder of the plugin's frontend package: the nearest package.json above
    frontend.entry (./frontend/dist/production/x.js -> ./frontend), else ./frontend, else
    the plugin folder itself."""
    root = project.directory
    entry = project.path_of("entry")
    if entry is not None and entry.is_relative_to(root):
        for directory in entry.parents:
            if (directory / "package.json").is_file():
                return directory
            if directory == root:
                break
    if (root / "frontend" / "package.json").is_file():
        return root / "frontend"
    return root


def vite_config_entry(config_text: str) -> str | None:
    """The entry a vite config names (createPluginConfig's `entry`, or build.lib.entry)."""
    match = _VITE_ENTRY.search(without_comments(config_text))
    if match is None:
        return None
    parts = []
    position = 0
    rest = match["rest"]
    while literal := _STRING_LITERAL.match(rest, position):
        parts.append(literal[2])
        position = literal.end()
        if not match["call"] or literal[3] != ",":
            break
    return "/".join(parts) if parts else None


def find_source_entry(project: PluginProject) -> SourceEntry | None:
    """What a build of this plugin bundles, or None when there is nothing to build.

    frontend.entry itself when it names an existing source file; otherwise (it names the
    output of upstream's vite build, ./frontend/dist/production/<name>.js) the entry the
    frontend's vite config names, else upstream's default src/mount.tsx.
    """
    entry = project.path_of("entry")
    if entry is not None and entry.is_file():
        return SourceEntry(entry, frontend_directory(project), "frontend.entry")
    frontend = frontend_directory(project)
    for config_name in VITE_CONFIG_FILES:
        config = frontend / config_name
        if not config.is_file():
            continue
        named = vite_config_entry(config.read_text(encoding="utf-8", errors="replace"))
        if named is None:
            break
        path = (frontend / named).resolve()
        if not path.is_file():
            raise CliError(
                f"{config.relative_to(project.directory)} names the entry {named}, which "
                f"does not exist in {frontend}"
            )
        return SourceEntry(path, frontend, f"the entry {config_name} names")
    for candidate in DEFAULT_SOURCE_ENTRIES:
        path = frontend / candidate
        if path.is_file():
            return SourceEntry(path.resolve(), frontend, "the default entry of a NaaP plugin")
    return None


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
    # Only the registry knows what its staff granted the package, so routes outside
    # /plugins/<name> and isCore: true are warned about here (they wait for review there).
    report = validate_manifest(project.manifest, is_core=False)
    for field in ("entry", "styles"):
        value = project.frontend.get(field)
        path = project.path_of(field)
        missing = path is not None and not path.is_file()
        # Upstream's plugin.json names what its vite build writes; the build starts from source.
        if missing and field == "entry" and find_source_entry(project) is not None:
            continue
        if missing:
            message = f"frontend.{field} names {value}, which does not exist in {project.directory}"
            if field == "entry" and names_build_output(value):
                message += (
                    ", and there is no source to build it from (frontend/src/mount.tsx, or the "
                    "entry frontend/vite.config.ts names)"
                )
            report.add_error(f"frontend.{field}", message)
    if project.path_of("entry") is None and find_source_entry(project) is None:
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
    for warning in report.warnings:
        ui.warn(warning)
    if not report.ok:
        count = len(report.errors)
        raise CliError(
            f"{MANIFEST_FILE} has {count} problem{'s' if count != 1 else ''}:",
            details=[f"{field}: {message}" for field, message in report.errors.items()],
        )
    return report
