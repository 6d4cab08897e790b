"""`naap-plugin validate` and `build`, run as a real subprocess on copies of the examples.

Building the React example runs the pinned esbuild, which the CLI installs into its cache
(tests/conftest.py puts that under var/); those tests are skipped on a machine without Node.js.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from publishing.cli.build import is_prebuilt_bundle
from publishing.validation import check_bundle, check_styles, validate_manifest

REPOSITORY = Path(__file__).resolve().parents[2]
EXAMPLES = REPOSITORY / "examples"
EXAMPLE_NAMES = ("hello-world", "theme-notes", "react-counter")
HASHED_NAME = re.compile(r"^(bundle|styles)\.([0-9a-f]{8})\.(js|css)$")

needs_node = pytest.mark.skipif(shutil.which("npx") is None, reason="Node.js (npx) is missing")


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY), **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "publishing.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=REPOSITORY,
        timeout=300,
        check=False,
    )


def copy_example(name: str, tmp_path: Path) -> Path:
    target = tmp_path / name
    shutil.copytree(EXAMPLES / name, target, ignore=shutil.ignore_patterns("dist", "node_modules"))
    return target


def sha384_integrity(data: bytes) -> str:
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def built(directory: Path) -> dict:
    return json.loads((directory / "dist" / "manifest.json").read_text())


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


# ---------------------------------------------------------------------------------------------
# validate


@pytest.mark.parametrize("name", EXAMPLE_NAMES)
def test_every_example_validates_with_the_cli_and_the_registrys_validator(name):
    manifest = json.loads((EXAMPLES / name / "plugin.json").read_text())
    report = validate_manifest(manifest, is_core=False)
    assert report.errors == {}
    assert report.warnings == []
    result = run_cli("validate", str(EXAMPLES / name))
    assert result.returncode == 0, result.stderr
    assert f"plugin.json is valid: {name}@1.0.0" in result.stdout
    assert result.stderr == ""


def test_validate_lists_every_error_as_field_and_message_and_exits_1(tmp_path):
    (tmp_path / "plugin.json").write_text(
        json.dumps(
            {
                "name": "Bad_Name",
                "version": "v1.0",
                "category": "Not A Slug",
                "frontend": {"entry": "missing.js", "routes": ["/settings", "/plugins/elsewhere"]},
                "mystery": True,
            }
        )
    )
    result = run_cli("validate", str(tmp_path))
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert error_lines(result.stderr) == ["error: plugin.json has 7 problems:"]
    fields = [line.strip().split(": ", 1)[0] for line in lines if line.startswith("  ")]
    assert fields == [
        "name",
        "displayName",
        "version",
        "category",
        "frontend.routes[0]",
        "frontend.routes[1]",
        "frontend.entry",
    ]
    assert "  frontend.entry: frontend.entry names missing.js, which does not exist" in (
        result.stderr
    )
    assert "warning: unknown field 'mystery' is kept but ignored." in result.stderr
    assert result.stdout == ""


def test_validate_of_a_core_manifest_allows_top_level_routes_but_warns_of_review(tmp_path):
    plugin = copy_example("hello-world", tmp_path)
    manifest = json.loads((plugin / "plugin.json").read_text())
    manifest["isCore"] = True
    manifest["frontend"]["routes"] = ["/gateway", "/gateway/*"]
    manifest["frontend"]["navigation"]["path"] = "/gateway"
    (plugin / "plugin.json").write_text(json.dumps(manifest))
    result = run_cli("validate", str(plugin))
    assert result.returncode == 0, result.stderr
    assert "warning: The manifest says isCore: true" in result.stderr
    assert "warning: route(s) /gateway, /gateway/* lie outside /plugins/hello-world" in (
        result.stderr
    )
    assert "moderation queue" in result.stderr


def test_validate_of_invalid_json_names_the_line(tmp_path):
    (tmp_path / "plugin.json").write_text('{\n  "name": "x",\n}\n')
    result = run_cli("validate", str(tmp_path))
    assert result.returncode == 1
    [line] = error_lines(result.stderr)
    assert line.startswith("error: plugin.json is not valid JSON: ")
    # Python's JSON error wording varies by version; the position is always named.
    assert " at line " in line and " column " in line


def test_validate_without_a_plugin_json_is_one_line(tmp_path):
    result = run_cli("validate", str(tmp_path))
    assert result.returncode == 1
    assert error_lines(result.stderr) == [
        f"error: no plugin.json in {tmp_path.resolve()}: a plugin directory needs one"
    ]


# ---------------------------------------------------------------------------------------------
# build


def assert_dist_is_consistent(plugin: Path, name: str) -> dict:
    """The dist layout, hashes, integrity and the registry's checks, for any build."""
    dist = plugin / "dist"
    manifest = built(plugin)
    version_dir = dist / "1.0.0"
    assert manifest["name"] == name
    assert manifest["version"] == "1.0.0"
    assert manifest["globalName"] == "NaapPlugin" + name.title().replace("-", "")
    assert manifest["publishedAt"] is None and manifest["deprecated"] is False
    assert (
        manifest["routes"] == json.loads((plugin / "plugin.json").read_text())["frontend"]["routes"]
    )
    for path in version_dir.iterdir():
        match = HASHED_NAME.match(path.name)
        assert match, path.name
        assert match.group(2) == hashlib.sha256(path.read_bytes()).hexdigest()[:8]
    bundle_path = dist / manifest["bundleUrl"]
    bundle = bundle_path.read_bytes()
    assert manifest["bundleUrl"] == f"1.0.0/bundle.{manifest['bundleHash']}.js"
    assert manifest["bundleHash"] == hashlib.sha256(bundle).hexdigest()[:8]
    assert manifest["bundleSize"] == len(bundle)
    assert manifest["integrity"]["bundle"] == sha384_integrity(bundle)
    assert check_bundle(bundle, package_name=name, max_bytes=5 * 1024 * 1024).ok
    if manifest["stylesUrl"]:
        styles = (dist / manifest["stylesUrl"]).read_bytes()
        assert manifest["stylesSize"] == len(styles)
        assert manifest["integrity"]["styles"] == sha384_integrity(styles)
        assert check_styles(styles).ok
    preview = (dist / "index.html").read_text()
    assert f'<script src="{manifest["bundleUrl"]}"></script>' in preview
    assert "window[manifest.globalName]" in preview and ".mount(root, context)" in preview
    return manifest


def test_building_a_prebuilt_entry_packages_it_byte_for_byte(tmp_path):
    plugin = copy_example("hello-world", tmp_path)
    result = run_cli("build", str(plugin))
    assert result.returncode == 0, result.stderr
    manifest = assert_dist_is_consistent(plugin, "hello-world")
    assert (plugin / "dist" / manifest["bundleUrl"]).read_bytes() == (
        plugin / "index.js"
    ).read_bytes()
    assert manifest["stylesUrl"] is None
    assert manifest["shellGlobals"] == []
    assert sorted(p.name for p in (plugin / "dist").iterdir()) == [
        "1.0.0",
        "index.html",
        "manifest.json",
    ]
    assert "packaged the built entry" in result.stdout
    assert "esbuild" not in result.stderr


def test_building_plain_js_with_frontend_styles_ships_that_stylesheet_as_is(tmp_path):
    plugin = copy_example("theme-notes", tmp_path)
    result = run_cli("build", str(plugin))
    assert result.returncode == 0, result.stderr
    manifest = assert_dist_is_consistent(plugin, "theme-notes")
    styles = (plugin / "styles.css").read_bytes()
    assert (plugin / "dist" / manifest["stylesUrl"]).read_bytes() == styles
    assert manifest["stylesUrl"] == f"1.0.0/styles.{hashlib.sha256(styles).hexdigest()[:8]}.css"
    assert '<link rel="stylesheet" href="1.0.0/styles.' in (plugin / "dist/index.html").read_text()


@needs_node
def test_the_react_example_is_bundled_against_the_shells_react(tmp_path):
    plugin = copy_example("react-counter", tmp_path)
    result = run_cli("build", str(plugin))
    assert result.returncode == 0, result.stderr
    manifest = assert_dist_is_consistent(plugin, "react-counter")
    bundle = (plugin / "dist" / manifest["bundleUrl"]).read_text()
    # A UMD bundle, like upstream's vite build: the shell's globals are the factory's arguments.
    assert bundle.startswith("/** NaaP plugin NaapPluginReactCounter: built by naap-plugin */\n")
    assert "factory(root.NaapPluginReactCounter={},root.React,root.ReactDOM,root.React)" in bundle
    assert "  globals   React, ReactDOM (the shell's" in result.stdout
    assert manifest["shellGlobals"] == ["React", "ReactDOM"]  # read from the UMD wrapper
    for copy_of_react in (
        "react.production",
        "react-dom.production",
        "__SECRET_INTERNALS",
        "scheduler",
        "ReactCurrentOwner",
    ):
        assert copy_of_react not in bundle
    assert len(bundle) < 5000
    # The CSS imported by index.jsx became the version's stylesheet.
    styles = (plugin / "dist" / manifest["stylesUrl"]).read_text()
    assert ".react-counter" in styles
    preview = (plugin / "dist" / "index.html").read_text()
    # React for the preview comes from dist/vendor/, never from a public CDN.
    assert '<script src="vendor/react.production.min.js">' in preview
    assert "https://" not in preview and "http://" not in preview
    assert "bundled with esbuild" in result.stdout


@needs_node
def test_the_react_bundle_mounts_with_the_globals_the_shell_provides(tmp_path):
    plugin = copy_example("react-counter", tmp_path)
    assert run_cli("build", str(plugin)).returncode == 0
    bundle = plugin / "dist" / built(plugin)["bundleUrl"]
    script = """
const fs = require("fs"), vm = require("vm");
const calls = [];
const window = {
  React: { createElement: (type, props, ...children) => ({ type, props, children }),
           useState: (initial) => [initial, () => {}] },
  ReactDOM: { createRoot: (element) => ({
    render: (tree) => calls.push(["render", element.id, tree.props.user.name]),
    unmount: () => calls.push(["unmount"]) }) },
};
window.window = window;
vm.createContext(window);
vm.runInContext(fs.readFileSync(process.argv[1], "utf8"), window);
const cleanup = window.NaapPluginReactCounter.mount({ id: "root" }, { user: { name: "Ada" } });
cleanup();
console.log(JSON.stringify(calls));
"""
    completed = subprocess.run(
        ["node", "-e", script, str(bundle)], capture_output=True, text=True, check=True, timeout=60
    )
    assert json.loads(completed.stdout) == [["render", "root", "Ada"], ["unmount"]]


@needs_node
def test_a_sourcemap_is_written_under_the_bundles_hash_without_changing_the_bundle(tmp_path):
    plugin = copy_example("react-counter", tmp_path)
    assert run_cli("build", str(plugin)).returncode == 0
    plain = built(plugin)["bundleHash"]
    result = run_cli("build", str(plugin), "--sourcemap")
    assert result.returncode == 0, result.stderr
    assert built(plugin)["bundleHash"] == plain
    sourcemap = json.loads((plugin / "dist" / "1.0.0" / f"bundle.{plain}.js.map").read_text())
    assert "index.jsx" in sourcemap["sources"]
    assert sourcemap["file"] == f"bundle.{plain}.js"
    assert "sourceMappingURL" not in (plugin / "dist" / "1.0.0" / f"bundle.{plain}.js").read_text()


@needs_node
def test_a_syntax_error_in_the_source_is_reported_with_esbuilds_message(tmp_path):
    plugin = copy_example("react-counter", tmp_path)
    (plugin / "index.jsx").write_text("export function mount( {\n")
    result = run_cli("build", str(plugin))
    assert result.returncode == 1
    assert error_lines(result.stderr) == ["error: esbuild could not bundle index.jsx:"]
    assert "index.jsx:" in result.stderr
    assert not (plugin / "dist").exists()


def test_building_a_source_entry_without_nodejs_is_one_clear_line(tmp_path):
    plugin = copy_example("react-counter", tmp_path)
    result = run_cli("build", str(plugin), env={"PATH": str(tmp_path / "empty-bin")})
    assert result.returncode == 3
    assert error_lines(result.stderr) == [
        "error: building a source entry needs Node.js 18+ and npm: node and npm are not on "
        "PATH (install Node.js, or name an already built bundle as frontend.entry)"
    ]


def test_a_built_file_the_registry_would_refuse_stops_the_build(tmp_path):
    plugin = copy_example("hello-world", tmp_path)
    (plugin / "index.js").write_text("window.NaapPluginHelloWorld = { start: function () {} };\n")
    result = run_cli("build", str(plugin))
    assert result.returncode == 1
    assert error_lines(result.stderr) == [
        "error: the built files would be refused by the registry:"
    ]
    assert "  bundle: the bundle must define a mount function on NaapPluginHelloWorld" in (
        result.stderr
    )
    assert not (plugin / "dist").exists()


def test_rebuilding_replaces_the_previous_files_of_the_version(tmp_path):
    plugin = copy_example("hello-world", tmp_path)
    assert run_cli("build", str(plugin)).returncode == 0
    entry = plugin / "index.js"
    entry.write_text(entry.read_text().replace("Say hello back", "Wave back"))
    assert run_cli("build", str(plugin)).returncode == 0
    [bundle] = (plugin / "dist" / "1.0.0").iterdir()
    assert bundle.read_bytes() == entry.read_bytes()
    assert built(plugin)["bundleUrl"] == f"1.0.0/{bundle.name}"


def test_build_writes_to_out_dir_when_given(tmp_path):
    plugin = copy_example("hello-world", tmp_path)
    result = run_cli("build", str(plugin), "--out-dir", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out" / "manifest.json").is_file()
    assert not (plugin / "dist").exists()


@pytest.mark.parametrize(
    ("text", "prebuilt"),
    [
        ("var NaapPluginMyWallet = {};\n", True),
        ("import x from 'y';\nvar NaapPluginMyWallet = {};\n", False),  # on the first line
        ("var NaapPluginMyWallet = {};\n  export default 1;\n", False),
        ("var NaapPluginMyWallet = {}; // import x from 'y'\n", True),  # not at a line start
    ],
)
def test_an_entry_with_import_or_export_at_a_line_start_is_not_prebuilt(text, prebuilt):
    assert is_prebuilt_bundle(Path("index.js"), text, "NaapPluginMyWallet") is prebuilt


def test_a_vite_config_naming_a_missing_entry_is_refused_saying_which(tmp_path):
    plugin = tmp_path / "no-entry"
    (plugin / "frontend").mkdir(parents=True)
    (plugin / "plugin.json").write_text(
        json.dumps(
            {
                "name": "no-entry",
                "displayName": "No Entry",
                "version": "1.0.0",
                "description": "A plugin whose vite config names a file that is not there.",
                "frontend": {
                    "entry": "./frontend/dist/production/no-entry.js",
                    "routes": ["/plugins/no-entry"],
                },
            }
        )
    )
    (plugin / "frontend" / "package.json").write_text('{"name": "no-entry"}')
    (plugin / "frontend" / "vite.config.ts").write_text(
        'export default { build: { lib: { entry: "src/missing.tsx" } } }\n'
    )

    result = run_cli("build", str(plugin))

    assert result.returncode == 1
    assert error_lines(result.stderr) == [
        f"error: frontend/vite.config.ts names the entry src/missing.tsx, which does not exist "
        f"in {plugin / 'frontend'}"
    ]
    assert not (plugin / "dist").exists()
