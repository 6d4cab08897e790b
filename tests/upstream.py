"""The pinned sample of the NaaP monorepo (../shared/naap-upstream/, see its README): real
plugins, SDK and build output to test against. Tests copy what they use into a temporary
directory; the sample itself is never changed."""

from __future__ import annotations

import json
import os
import shutil
import stat
from pathlib import Path

from django.conf import settings

NAAP_UPSTREAM = Path(
    os.environ.get("NAAP_UPSTREAM") or Path(settings.BASE_DIR).parent / "shared" / "naap-upstream"
)


def upstream_path(relative: str) -> Path:
    """A path inside the sample; a missing sample is a failure with what to do about it."""
    path = NAAP_UPSTREAM / relative
    if not path.exists():
        raise AssertionError(
            f"{path} is missing: the NaaP sample lives in ../shared/naap-upstream/ beside the "
            "repository (or set NAAP_UPSTREAM to its folder)"
        )
    return path


def copy_upstream(relative: str, target: Path) -> Path:
    """A writable copy of a folder of the sample at `target` (the sample is read-only)."""
    shutil.copytree(upstream_path(relative), target)
    for path in [target, *target.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return target


# What upstream's tooling built (prebuilt/<name>/: bundle, CSS, build manifest.json), and
# whether the plugin asks for top-level routes (/lightning), which staff grant by approval.
PREBUILT = {
    "lightning-client": {"top_level_routes": True},
    "my-dashboard": {"top_level_routes": False},
}


def built_from_prebuilt(name: str, tmp_path: Path):
    """The CLI's project and build of a copy of prebuilt/<name>, as `naap-plugin publish` of
    that folder makes them (plugin.json from the build manifest, the CSS beside the bundle)."""
    from publishing.cli.build import build_project
    from publishing.cli.output import Ui
    from publishing.cli.project import load_project

    folder = copy_upstream(f"prebuilt/{name}", tmp_path / f"prebuilt-{name}")
    project = load_project(folder)
    return project, build_project(project, Ui())


def publish_built(project, result, *, actor, publisher, approve_if_pending: bool = True):
    """Publish what the CLI built (a project and its BuildResult) through the publish service,
    as `naap-plugin publish` sends it; a version that waits for review (top-level routes) is
    approved by a staff member, which grants the routes, as the moderation queue would."""
    from publishing.services import approve_version, publish_version
    from registry.models import PluginVersion
    from tests.factories import make_user

    version = publish_version(
        actor=actor,
        publisher=publisher,
        manifest=project.manifest_text,
        bundle=result.bundle.data,
        styles=result.styles.data if result.styles else None,
    ).version
    if approve_if_pending and version.status == PluginVersion.Status.PENDING_REVIEW:
        version = approve_version(actor=make_user(staff=True), version=version)
    return version


def publish_from_source(project_dir: Path, *, actor, publisher):
    """Build a sample plugin's checkout with the CLI's build and publish what it made; a
    version that waits for its top-level routes is approved by staff, as the moderation queue
    would."""
    from publishing.cli.build import build_project
    from publishing.cli.output import Ui
    from publishing.cli.project import load_project

    project = load_project(project_dir)
    return publish_built(project, build_project(project, Ui()), actor=actor, publisher=publisher)


def publish_prebuilt(name: str, tmp_path: Path, *, actor, publisher):
    """Publish a copy of prebuilt/<name> with what the CLI sends; one asking for top-level
    routes is approved."""
    project, result = built_from_prebuilt(name, tmp_path)
    return publish_built(
        project,
        result,
        actor=actor,
        publisher=publisher,
        approve_if_pending=PREBUILT[name]["top_level_routes"],
    )


def sample_manifest_paths() -> list[Path]:
    """Every plugin.json of the sample's plugins and examples."""
    return sorted(
        [
            *NAAP_UPSTREAM.glob("plugins/*/plugin.json"),
            *NAAP_UPSTREAM.glob("examples/*/plugin.json"),
        ]
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
