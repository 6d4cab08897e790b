"""The pinned NaaP monorepo sample (../shared/naap-upstream): where it is and its real
plugin.json files. Tests copy what they use into a temporary directory; the sample is never
edited."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[1]
UPSTREAM = Path(os.environ.get("NAAP_UPSTREAM_DIR", REPOSITORY.parent / "shared" / "naap-upstream"))


def sample_manifest_paths() -> list[Path]:
    """Every plugin.json of the sample's plugins and examples."""
    return sorted(
        [*UPSTREAM.glob("plugins/*/plugin.json"), *UPSTREAM.glob("examples/*/plugin.json")]
    )


def sample_manifest_ids() -> list[str]:
    return [path.parent.name for path in sample_manifest_paths()]


def copy_manifest(plugin: str, destination: Path) -> Path:
    """The plugin.json of one sample plugin, copied unchanged into destination."""
    (source,) = [path for path in sample_manifest_paths() if path.parent.name == plugin]
    destination.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy(source, destination / "plugin.json"))


def sample_manifest(plugin: str) -> dict:
    (source,) = [path for path in sample_manifest_paths() if path.parent.name == plugin]
    return json.loads(source.read_text())
