"""Bundles built by NaaP's own tooling, published as they are.

NaaP's vite build (`@naap/plugin-build`) writes a plugin's UMD bundle into
`frontend/dist/production/`, with the stylesheet vite extracted beside it and a build
`manifest.json` that names both:

    plugins/my-dashboard/plugin.json              frontend.entry ./frontend/dist/production/…
    plugins/my-dashboard/frontend/dist/production/my-dashboard.js
    plugins/my-dashboard/frontend/dist/production/my-dashboard-frontend.css
    plugins/my-dashboard/frontend/dist/production/manifest.json
        {"name", "displayName", "version", "bundleFile", "stylesFile", "globalName",
         "routes", "category", "description", …}

`naap-plugin publish` works from the plugin's folder (plugin.json names the bundle), from the
output folder itself (plugin.json is found above it), and from an output folder copied on
its own, such as a CI artifact: then plugin.json is made from the build manifest.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BUILD_MANIFEST = "manifest.json"
# frontend/dist/production below the plugin's folder: how far up plugin.json may be.
PLUGIN_FOLDER_LEVELS = 3


def read_build_manifest(directory: Path) -> dict[str, Any] | None:
    """The build manifest NaaP's vite build wrote in `directory`, or None.

    Told apart from the production manifest `naap-plugin build` writes (dist/manifest.json)
    by its `bundleFile`, the bundle's file name in the same folder.
    """
    path = directory / BUILD_MANIFEST
    if not path.is_file():
        return None
    try:
        document = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    if not isinstance(document, dict):
        return None
    bundle_file = document.get("bundleFile")
    if not isinstance(bundle_file, str) or not _is_file_name(bundle_file):
        return None
    return document


def _is_file_name(value: Any) -> bool:
    """A plain file name in the same folder (no path separators, not . or ..)."""
    return isinstance(value, str) and bool(value) and Path(value).name == value != ".."


@dataclass(frozen=True)
class StylesBeside:
    """The stylesheet found beside a prebuilt bundle, and why any other CSS file was left."""

    path: Path | None
    reason: str = ""
    ignored: list[str] = field(default_factory=list)
    why_ignored: str = ""


def styles_beside(entry: Path) -> StylesBeside:
    """The stylesheet vite wrote beside a prebuilt bundle: the one the build manifest names
    (`stylesFile`), else the only `.css` file in the bundle's folder."""
    folder = entry.parent
    found = sorted(path.name for path in folder.glob("*.css") if path.is_file())
    build_manifest = read_build_manifest(folder)
    if build_manifest is not None and build_manifest.get("bundleFile") == entry.name:
        styles_file = build_manifest.get("stylesFile")
        if _is_file_name(styles_file) and (folder / styles_file).is_file():
            return StylesBeside(
                path=folder / styles_file,
                reason=f"the stylesheet {BUILD_MANIFEST} names beside the bundle",
                ignored=[name for name in found if name != styles_file],
                why_ignored=f"{BUILD_MANIFEST} names {styles_file} as the stylesheet",
            )
        if styles_file is None and found:
            return StylesBeside(
                path=None,
                ignored=found,
                why_ignored=f"{BUILD_MANIFEST} names no stylesheet (stylesFile) for this build",
            )
    if len(found) == 1:
        return StylesBeside(path=folder / found[0], reason="the only stylesheet beside the bundle")
    if found:
        return StylesBeside(
            path=None,
            ignored=found,
            why_ignored="there are several beside the bundle: name one in frontend.styles",
        )
    return StylesBeside(path=None)


def _names_bundle(plugin_json: Path, bundle: Path) -> bool:
    """Whether a plugin.json's frontend.entry is this bundle."""
    try:
        manifest = json.loads(plugin_json.read_bytes().decode("utf-8-sig"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return False
    frontend = manifest.get("frontend") if isinstance(manifest, dict) else None
    entry = frontend.get("entry") if isinstance(frontend, dict) else None
    if not isinstance(entry, str) or not entry.strip():
        return False
    return (plugin_json.parent / entry).resolve() == bundle.resolve()


def plugin_folder_above(directory: Path, build_manifest: dict[str, Any]) -> Path | None:
    """The plugin's folder above a build output folder: the nearest plugin.json whose
    frontend.entry names this folder's bundle."""
    bundle = directory / build_manifest["bundleFile"]
    for parent in list(directory.parents)[:PLUGIN_FOLDER_LEVELS]:
        candidate = parent / "plugin.json"
        if candidate.is_file() and _names_bundle(candidate, bundle):
            return parent
    return None


def plugin_json_from_build_manifest(build_manifest: dict[str, Any]) -> dict[str, Any]:
    """A plugin.json for a build output published on its own: what the build manifest says
    about the plugin (name, version, routes, …), with the bundle and stylesheet as files."""
    manifest: dict[str, Any] = {}
    for key in ("name", "displayName", "version", "description", "category", "icon"):
        if build_manifest.get(key) is not None:
            manifest[key] = build_manifest[key]
    frontend: dict[str, Any] = {
        "entry": f"./{build_manifest['bundleFile']}",
        "routes": build_manifest.get("routes", []),
    }
    if _is_file_name(build_manifest.get("stylesFile")):
        frontend["styles"] = f"./{build_manifest['stylesFile']}"
    manifest["frontend"] = frontend
    return manifest
