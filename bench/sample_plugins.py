"""Build the NaaP sample's plugins from their sources with `naap-plugin build` and publish them
into the database the environment names, as tests/upstream.py does in the tests.

The sample is ../shared/naap-upstream/ (or $NAAP_UPSTREAM); it is copied into a temporary
monorepo checkout first (the root files, packages/*, the plugins) and never written to. The
npm packages the builds install are kept under var/naap-plugin unless NAAP_PLUGIN_CACHE_DIR
says otherwise. A version asking for top-level routes is approved by a staff member, as the
moderation queue would. Prints {"name": "version", …} as JSON on its last line.

Usage (bench/shell_load_time.py runs it in its server's environment):
    .venv/bin/python bench/sample_plugins.py
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UPSTREAM = Path(os.environ.get("NAAP_UPSTREAM") or ROOT.parent / "shared" / "naap-upstream")
SAMPLE_PLUGINS = {
    "lightning-client": "plugins/lightning-client",
    "dashboard-data-provider": "plugins/dashboard-data-provider",
    "my-dashboard": "examples/my-dashboard",
    "my-wallet": "examples/my-wallet",
}
ROOT_FILES = ("package.json", "tsconfig.base.json", "tsconfig.json")


def writable_copy(source: Path, target: Path) -> None:
    """Copy a folder of the read-only sample, leaving the copy writable."""
    if not source.exists():
        raise SystemExit(f"{source} is missing: set NAAP_UPSTREAM to the NaaP sample's folder")
    shutil.copytree(source, target)
    for path in [target, *target.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)


def checkout(target: Path) -> Path:
    """The monorepo's root files, packages/* and the sample plugins under target."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ROOT_FILES:
        shutil.copyfile(UPSTREAM / name, target / name)
    writable_copy(UPSTREAM / "packages", target / "packages")
    for relative in SAMPLE_PLUGINS.values():
        writable_copy(UPSTREAM / relative, target / relative)
    return target


def publish_samples(root: Path) -> dict[str, str]:
    """Build and publish each sample plugin; returns name -> published version."""
    from django.contrib.auth import get_user_model

    from publishing.cli.build import build_project
    from publishing.cli.output import Ui
    from publishing.cli.project import load_project
    from publishing.services import approve_version, publish_version
    from registry.models import PluginVersion, Publisher, PublisherMembership

    users = get_user_model().objects
    owner = users.create_user("naap-team", "naap-team@example.test", None)
    staff = users.create_superuser("bench-staff", "staff@example.test", None)
    publisher = Publisher.objects.create(name="naap-sample", display_name="NaaP", verified=True)
    PublisherMembership.objects.create(
        publisher=publisher, user=owner, role=PublisherMembership.Role.OWNER
    )
    published = {}
    for name, relative in SAMPLE_PLUGINS.items():
        project = load_project(root / relative)
        result = build_project(project, Ui())
        version = publish_version(
            actor=owner,
            publisher=publisher,
            manifest=project.manifest_text,
            bundle=result.bundle.data,
            styles=result.styles.data if result.styles else None,
        ).version
        if version.status == PluginVersion.Status.PENDING_REVIEW:
            version = approve_version(actor=staff, version=version)
        published[name] = version.version
    return published


def main() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "naap.settings")
    os.environ.setdefault("NAAP_PLUGIN_CACHE_DIR", str(ROOT / "var" / "naap-plugin"))
    import django

    django.setup()
    with tempfile.TemporaryDirectory(prefix="naap-sample-") as folder:
        published = publish_samples(checkout(Path(folder) / "naap"))
    print(json.dumps(published))


if __name__ == "__main__":
    main()
