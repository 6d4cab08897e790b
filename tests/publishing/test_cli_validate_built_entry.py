"""`naap-plugin validate` on a NaaP plugin before its first build: frontend.entry names the
file the build writes (./frontend/dist/production/<name>.js), so validate says what the build
will produce from which source instead of refusing a file that does not exist yet."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from publishing.cli import main
from publishing.cli.project import check_project, load_project
from publishing.validation.frontend import names_build_output
from tests.upstream import copy_manifest, sample_manifest_ids, sample_manifest_paths


def copy_plugin(plugin: str, destination: Path) -> Path:
    """A sample plugin's plugin.json, frontend sources, vite.config and package.json, copied
    unchanged."""
    (source,) = [p.parent for p in sample_manifest_paths() if p.parent.name == plugin]
    directory = destination / plugin
    copy_manifest(plugin, directory)
    shutil.copytree(source / "frontend" / "src", directory / "frontend" / "src")
    for name in ("vite.config.ts", "package.json"):
        shutil.copy(source / "frontend" / name, directory / "frontend" / name)
    return directory


@pytest.mark.parametrize("plugin", sample_manifest_ids())
def test_a_sample_plugin_before_its_build_has_no_entry_problem(tmp_path, plugin):
    project = load_project(copy_plugin(plugin, tmp_path))
    assert not (project.directory / project.frontend["entry"]).exists()
    report = check_project(project, for_build=False)
    assert "frontend.entry" not in report.errors
    built, source = project.pending_build()
    assert built == f"./frontend/dist/production/{plugin}.js"
    assert source == project.directory / "frontend" / "src" / "mount.tsx"


@pytest.mark.parametrize("plugin", ["my-dashboard", "dashboard-data-provider"])
def test_validate_says_what_the_build_will_produce(tmp_path, capsys, plugin):
    directory = copy_plugin(plugin, tmp_path)
    assert main(["validate", str(directory)]) == 0
    out = capsys.readouterr().out
    assert f"plugin.json is valid: {plugin}@1.0.0" in out
    assert (
        f"frontend.entry ./frontend/dist/production/{plugin}.js is not built yet: "
        "`naap-plugin build` will produce it from frontend/src/mount.tsx"
    ) in " ".join(out.split())


def test_the_entry_a_vite_config_names_is_the_source(tmp_path, capsys):
    directory = copy_plugin("my-dashboard", tmp_path)
    (directory / "frontend" / "src" / "mount.tsx").rename(directory / "frontend" / "src" / "x.tsx")
    config = directory / "frontend" / "vite.config.ts"
    config.write_text(
        config.read_text().replace(
            "name: 'my-dashboard',", "name: 'my-dashboard',\n  entry: './src/x.tsx',"
        )
    )
    assert main(["validate", str(directory)]) == 0
    assert "will produce it from frontend/src/x.tsx" in " ".join(capsys.readouterr().out.split())


def test_a_built_entry_with_no_source_is_an_error_that_says_so(tmp_path, capsys):
    directory = tmp_path / "my-dashboard"
    copy_manifest("my-dashboard", directory)
    assert main(["validate", str(directory)]) == 1
    err = " ".join(capsys.readouterr().err.split())
    assert "frontend.entry: frontend.entry names ./frontend/dist/production/my-dashboard.js" in err
    assert "no source to build it from (frontend/src/mount.tsx" in err


def test_once_built_validate_says_nothing_about_the_build(tmp_path, capsys):
    directory = copy_plugin("my-dashboard", tmp_path)
    built = directory / "frontend" / "dist" / "production" / "my-dashboard.js"
    built.parent.mkdir(parents=True)
    built.write_text("var NaapPluginMyDashboard = {mount() {}};\n")
    assert main(["validate", str(directory)]) == 0
    assert "not built yet" not in capsys.readouterr().out


@pytest.mark.parametrize(
    ("entry", "built"),
    [
        ("./frontend/dist/production/my-wallet.js", True),
        ("frontend/dist/bundle.js", True),
        ("dist/plugin.js", True),
        ("./src/index.tsx", False),
        ("bundle.js", False),
        ("./frontend/dist/production/styles.css", False),
        ("./distribution/plugin.js", False),
    ],
)
def test_which_entries_name_a_builds_output(entry, built):
    assert names_build_output(entry) is built
