"""`naap-plugin build` on the NaaP monorepo's own plugins, as their authors wrote them.

The material is the pinned sample of the monorepo in ../shared/naap-upstream/ (its README
says what is there). Each test copies what a checkout has (the root package.json and
tsconfig files, packages/*, the plugin) into a temporary folder and runs the real CLI there:
the sample itself is never written to, and neither is a plugin's folder, apart from dist/.
Building installs npm packages from the registry once; they are kept under var/naap-plugin
(tests/conftest.py), so later runs read them from there.
"""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from publishing.cli.esbuild import ESBUILD_VERSION
from publishing.cli.monorepo import ScannedImport, Workspace, dependency_specs
from publishing.cli.npm import cache_directory, install_key
from publishing.cli.output import CliError, Ui
from publishing.cli.project import vite_config_entry
from publishing.validation import check_styles
from tests.publishing.test_cli_build import (
    REPOSITORY,
    assert_dist_is_consistent,
    built,
    copy_example,
    error_lines,
    run_cli,
)
from tests.upstream import NAAP_UPSTREAM

UPSTREAM = NAAP_UPSTREAM
SAMPLE_PLUGINS = {
    "lightning-client": "plugins/lightning-client",
    "dashboard-data-provider": "plugins/dashboard-data-provider",
    "my-dashboard": "examples/my-dashboard",
    "my-wallet": "examples/my-wallet",
}
ROOT_FILES = ("package.json", "tsconfig.base.json", "tsconfig.json")
REACT_UMD = REPOSITORY / "static" / "vendor" / "react"
GOOGLE_FONTS = (
    "https://fonts.googleapis.com/css2?family=Outfit:wght@300;400;500;600;700;800"
    "&family=JetBrains+Mono:wght@400;500;600;700&display=swap"
)
# What @naap/plugin-build's own check refuses: a copy of React inside the bundle.
BUNDLED_REACT = (
    "__SECRET_INTERNALS_DO_NOT_USE_OR_YOU_WILL_BE_FIRED",
    "react-jsx-runtime.production",
    "react-jsx-runtime.development",
)


# ---------------------------------------------------------------------------------------------
# A checkout of the monorepo in a temporary folder


def writable_copy(source: Path, target: Path) -> Path:
    """Copy a folder of the (read-only) sample, leaving the copy writable."""
    if not source.exists():
        raise AssertionError(
            f"{source} is missing: the NaaP sample lives in ../shared/naap-upstream/ beside the "
            "repository (or set NAAP_UPSTREAM to its folder)"
        )
    shutil.copytree(source, target)
    for path in [target, *target.rglob("*")]:
        path.chmod(path.stat().st_mode | stat.S_IWUSR)
    return target


def checkout(target: Path, *plugins: str, root_files: tuple[str, ...] = ROOT_FILES) -> Path:
    """The monorepo's root files, packages/* and the named plugins, under `target`."""
    target.mkdir(parents=True, exist_ok=True)
    for name in root_files:
        shutil.copyfile(UPSTREAM / name, target / name)
    writable_copy(UPSTREAM / "packages", target / "packages")
    for plugin in plugins:
        relative = SAMPLE_PLUGINS[plugin]
        writable_copy(UPSTREAM / relative, target / relative)
    return target


def run_bundle(bundle: Path, global_name: str, context: str = "{}") -> dict:
    """Run a bundle as a classic script after the shell's React 18 UMD files (in Node's vm,
    as a browser page would); returns what its global offers and what mount() did."""
    script = """
const fs = require("fs"), vm = require("vm");
const [bundle, globalName, vendor, contextJson] = process.argv.slice(1);
const page = { console, setTimeout, clearTimeout, TextEncoder, TextDecoder,
               navigator: { userAgent: "node" }, location: { href: "http://127.0.0.1/" } };
page.window = page; page.self = page;
vm.createContext(page);
for (const file of ["react.production.min.js", "react-dom.production.min.js"]) {
  vm.runInContext(fs.readFileSync(vendor + "/" + file, "utf8"), page);
}
vm.runInContext(fs.readFileSync(bundle, "utf8"), page);
const plugin = page[globalName];
const answer = { type: typeof plugin, mount: plugin ? typeof plugin.mount : null };
const context = JSON.parse(contextJson);
if (context.mount) {
  const element = { textContent: "" };
  plugin.mount(element, context);
  answer.text = element.textContent;
}
console.log(JSON.stringify(answer));
"""
    completed = subprocess.run(
        ["node", "-e", script, str(bundle), global_name, str(REACT_UMD), context],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


# ---------------------------------------------------------------------------------------------
# The four sample plugins, built once for the tests below


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> dict[str, tuple[Path, subprocess.CompletedProcess]]:
    """Each sample plugin built by the CLI in one checkout: name -> (folder, CLI run)."""
    root = checkout(tmp_path_factory.mktemp("naap-checkout"), *SAMPLE_PLUGINS)
    return {
        name: (root / relative, run_cli("build", str(root / relative)))
        for name, relative in SAMPLE_PLUGINS.items()
    }


def bundle_of(plugin: Path) -> Path:
    return plugin / "dist" / built(plugin)["bundleUrl"]


def styles_of(plugin: Path) -> str:
    return (plugin / "dist" / built(plugin)["stylesUrl"]).read_text()


@pytest.mark.parametrize("name", SAMPLE_PLUGINS)
def test_each_sample_plugin_builds_unedited_into_a_umd_bundle_defining_its_global(name, sample):
    plugin, result = sample[name]
    assert result.returncode == 0, result.stderr
    assert "building frontend/src/mount.tsx (the default entry of a NaaP plugin)" in result.stderr
    manifest = assert_dist_is_consistent(plugin, name)
    global_name = manifest["globalName"]
    bundle = bundle_of(plugin).read_text()
    # Upstream's UMD shape: the shell's globals are the factory's arguments, as
    # @naap/plugin-build maps them (react and react/jsx-runtime -> React, react-dom -> ReactDOM).
    assert f"factory(root.{global_name}={{}},root.React," in bundle
    for copy_of_react in BUNDLED_REACT:
        assert copy_of_react not in bundle
    assert run_bundle(bundle_of(plugin), global_name) == {"type": "object", "mount": "function"}


@pytest.mark.parametrize("name", ["my-dashboard", "my-wallet"])
def test_plugins_using_tailwind_get_a_stylesheet_with_their_utility_classes(name, sample):
    plugin, _ = sample[name]
    styles = styles_of(plugin)
    # Classes from the plugin's source, in its own theme colours and in Tailwind's scale.
    assert ".bg-bg-primary{background-color:var(--bg-primary)}" in styles
    assert ".rounded-xl{border-radius:.75rem}" in styles
    assert "@tailwind" not in styles
    assert check_styles(styles.encode()).ok


@pytest.mark.parametrize("name", ["lightning-client", "dashboard-data-provider"])
def test_plugins_that_import_no_css_get_no_stylesheet(name, sample):
    plugin, _ = sample[name]
    assert built(plugin)["stylesUrl"] is None


def test_the_remote_font_import_is_removed_with_a_warning_naming_it(sample):
    plugin, result = sample["my-wallet"]
    assert (
        f"warning: removed the remote @import of {GOOGLE_FONTS} (line 1) from the stylesheet: "
        "the shell's Content-Security-Policy"
    ) in result.stderr
    styles = styles_of(plugin)
    assert "@import" not in styles and "fonts.googleapis.com" not in styles
    assert "--bg-primary:" in styles  # the rest of globals.css stays


def test_my_wallet_keeps_its_bigint_literals(sample):
    plugin, _ = sample["my-wallet"]
    # es2020: BigInt literals (0n) cannot be lowered to an older syntax; they stay as written.
    assert re.search(r"[=:,(>|]0n[,;)&?]", bundle_of(plugin).read_text())


def test_the_sdk_comes_from_the_monorepos_packages_and_the_rest_from_the_cache(sample):
    plugin, _ = sample["lightning-client"]
    # createPlugin's checks are the SDK's own source, read from packages/plugin-sdk/src
    # (its package.json points at a dist/ nobody built).
    assert "App must be a React component (function)" in bundle_of(plugin).read_text()
    for name, (folder, _) in sample.items():
        # Nothing was installed into the checkout, and the sample is untouched.
        assert not (folder / "frontend" / "node_modules").exists(), name
        assert not (UPSTREAM / SAMPLE_PLUGINS[name] / "dist").exists()
        assert not (UPSTREAM / SAMPLE_PLUGINS[name] / "frontend" / "node_modules").exists()
        assert not (folder.parents[1] / "node_modules").exists()
    # lucide-react (the plugin's icons) was installed into the CLI's cache.
    installs = (cache_directory() / "modules").iterdir()
    assert any((install / "node_modules" / "lucide-react").is_dir() for install in installs)


def test_a_second_build_reuses_the_cache_and_gives_the_same_bytes(sample):
    plugin, _ = sample["my-dashboard"]
    before = built(plugin)
    result = run_cli("build", str(plugin))
    assert result.returncode == 0, result.stderr
    assert "installing" not in result.stderr
    after = built(plugin)
    assert (after["bundleHash"], after["stylesUrl"]) == (before["bundleHash"], before["stylesUrl"])


def test_publish_json_stays_machine_readable(sample):
    plugin, _ = sample["lightning-client"]
    result = run_cli("publish", str(plugin), "--dry-run", "--json")
    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    assert plan["name"] == "lightning-client" and plan["files"]["bundle"]["size"] > 0
    assert f"bundling frontend/src/mount.tsx with esbuild {ESBUILD_VERSION}" in result.stderr


# ---------------------------------------------------------------------------------------------
# Resolution of the monorepo's packages


def test_the_sdk_resolves_without_any_tsconfig_paths(tmp_path):
    root = checkout(tmp_path / "checkout", "lightning-client", root_files=("package.json",))
    plugin = root / SAMPLE_PLUGINS["lightning-client"]
    result = run_cli("build", str(plugin))
    assert result.returncode == 0, result.stderr
    manifest = built(plugin)
    assert run_bundle(bundle_of(plugin), manifest["globalName"])["mount"] == "function"


def test_outside_the_monorepo_its_packages_are_refused_without_asking_the_registry(tmp_path):
    plugin = writable_copy(UPSTREAM / SAMPLE_PLUGINS["lightning-client"], tmp_path / "alone")
    result = run_cli("build", str(plugin))
    assert result.returncode == 1
    assert error_lines(result.stderr) == [
        "error: these packages belong to the NaaP monorepo, not to the npm registry, and the "
        "plugin is not inside a checkout of it (no package.json listing workspaces above it): "
        "build the plugin in its place in the monorepo:"
    ]
    assert "\n  @naap/plugin-sdk (imported by src/App.tsx)\n" in result.stderr
    assert "installing" not in result.stderr.replace("installing esbuild", "")


def write_files(root: Path, files: dict[str, str]) -> None:
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def test_the_vite_configs_entry_and_package_json_exports_decide_what_is_bundled(tmp_path):
    write_files(
        tmp_path,
        {
            "package.json": json.dumps({"private": True, "workspaces": ["packages/*", "p/*/web"]}),
            # "." points at a dist/ nobody built: its sources are read instead, as upstream's
            # vite aliases do; "./extra" points at a source file, which is used as named.
            "packages/kit/package.json": json.dumps(
                {
                    "name": "@naap/kit",
                    "exports": {
                        ".": {"types": "./dist/index.d.ts", "import": "./dist/index.js"},
                        "./extra": "./lib/extra-source.ts",
                    },
                }
            ),
            "packages/kit/src/index.ts": "export const greet = (n: string) => `hello ${n}`;\n",
            "packages/kit/lib/extra-source.ts": "export const extra = 'and more';\n",
            "p/kit-demo/plugin.json": json.dumps(
                {
                    "name": "kit-demo",
                    "displayName": "Kit Demo",
                    "version": "1.0.0",
                    "frontend": {
                        "entry": "./web/dist/production/kit-demo.js",
                        "routes": ["/plugins/kit-demo"],
                    },
                }
            ),
            "p/kit-demo/web/package.json": json.dumps(
                {"name": "@naap/kit-demo-web", "dependencies": {"@naap/kit": "*"}}
            ),
            "p/kit-demo/web/vite.config.ts": (
                "import { createPluginConfig } from '@naap/plugin-build/vite';\n"
                "// entry: './src/not-this.ts'\n"
                "export default createPluginConfig({ name: 'kit-demo', "
                "entry: './src/plugin-entry.ts' });\n"
            ),
            "p/kit-demo/web/src/mount.tsx": "throw new Error('the vite config names another');\n",
            "p/kit-demo/web/src/plugin-entry.ts": (
                "import { greet } from '@naap/kit';\n"
                "import { extra } from '@naap/kit/extra';\n"
                "export function mount(element: any, context: any) {\n"
                "  element.textContent = `${greet(context.user.name)} ${extra}`;\n"
                "  return () => {};\n"
                "}\n"
            ),
        },
    )
    plugin = tmp_path / "p" / "kit-demo"
    result = run_cli("build", str(plugin))
    assert result.returncode == 0, result.stderr
    assert "building web/src/plugin-entry.ts (the entry vite.config.ts names)" in result.stderr
    bundle = bundle_of(plugin)
    # No React: the wrapper asks the shell for nothing.
    assert "factory(root.NaapPluginKitDemo={}))" in bundle.read_text()
    answer = run_bundle(
        bundle, "NaapPluginKitDemo", json.dumps({"mount": 1, "user": {"name": "Ada"}})
    )
    assert answer["text"] == "hello Ada and more"


@pytest.mark.parametrize(
    ("config", "entry"),
    [
        ("export default createPluginConfig({ name: 'x', globalName: 'NaapPluginX' });", None),
        ("createPluginConfig({ name: 'x', entry: './src/plugin.tsx' })", "./src/plugin.tsx"),
        ("build: { lib: { entry: path.resolve(__dirname, 'src', 'mount.tsx') } }", "src/mount.tsx"),
        ('build: { lib: { entry: resolve(__dirname, "src/main.ts"), name: "X" } }', "src/main.ts"),
        ("/* entry: 'no.ts' */ lib: { entry: `src/a.ts` }", "src/a.ts"),
    ],
)
def test_the_entry_a_vite_config_names(config, entry):
    assert vite_config_entry(config) == entry


def test_the_pinned_esbuild_is_used_not_one_installed_nearby(tmp_path):
    # A project whose node_modules has another esbuild (a binary that fails, a package that
    # throws when loaded): the build never reaches for either.
    plugin = copy_example("react-counter", tmp_path / "project")
    fake = tmp_path / "project" / "node_modules"
    (fake / ".bin").mkdir(parents=True)
    (fake / ".bin" / "esbuild").write_text("#!/bin/sh\necho 'not the pinned esbuild' >&2\nexit 1\n")
    (fake / ".bin" / "esbuild").chmod(0o755)
    write_files(
        fake / "esbuild",
        {
            "package.json": json.dumps({"name": "esbuild", "version": "0.1.0", "main": "x.js"}),
            "x.js": "throw new Error('not the pinned esbuild');\n",
        },
    )
    result = run_cli("build", str(plugin))
    assert result.returncode == 0, result.stderr
    assert f"with esbuild {ESBUILD_VERSION}" in result.stderr
    assert "not the pinned esbuild" not in result.stderr


# ---------------------------------------------------------------------------------------------
# Which npm packages are installed, at which versions


def test_versions_come_from_the_lock_then_the_frontend_the_importer_and_the_root(tmp_path, capsys):
    write_files(
        tmp_path,
        {
            "package.json": json.dumps(
                {"workspaces": ["packages/*"], "dependencies": {"mitt": "^3.0.1"}}
            ),
            "packages/sdk/package.json": json.dumps(
                {"name": "@naap/sdk", "dependencies": {"graphql": "^16.13.0", "mitt": "^2"}}
            ),
            "web/package.json": json.dumps({"dependencies": {"d3": "^7.9.0", "ethers": "^6.11.0"}}),
            # In step with package.json for d3, not for ethers (made from another range).
            "web/package-lock.json": json.dumps(
                {
                    "lockfileVersion": 3,
                    "packages": {
                        "": {"dependencies": {"d3": "^7.9.0", "ethers": "^6.0.0"}},
                        "node_modules/d3": {"version": "7.9.0"},
                        "node_modules/ethers": {"version": "6.16.0"},
                    },
                }
            ),
        },
    )

    def scanned(package: str, importer: str) -> ScannedImport:
        return ScannedImport(specifier=package, package=package, importer=importer, resolves=False)

    workspace = Workspace(root=tmp_path, packages={"@naap/sdk": tmp_path / "packages" / "sdk"})
    specs = dependency_specs(
        [
            scanned("d3", "src/chart.ts"),
            scanned("ethers", "src/wallet.ts"),
            scanned("graphql", "../packages/sdk/src/contracts.ts"),
            scanned("mitt", "src/events.ts"),
            scanned("left-pad", "src/util.ts"),
        ],
        frontend_directory=tmp_path / "web",
        workspace=workspace,
        ui=Ui(),
    )
    assert specs == {
        "d3": "7.9.0",
        "ethers": "^6.11.0",
        "graphql": "^16.13.0",
        "left-pad": "latest",
        "mitt": "^3.0.1",
    }
    assert "src/util.ts imports left-pad, which no package.json declares" in capsys.readouterr().err
    with pytest.raises(CliError) as refused:
        dependency_specs(
            [scanned("@naap/missing", "src/a.ts")],
            frontend_directory=tmp_path / "web",
            workspace=workspace,
            ui=Ui(),
        )
    assert refused.value.details[0].startswith("@naap/missing (imported by src/a.ts)")


def test_an_install_is_addressed_by_what_it_contains():
    assert install_key({"a": "1.0.0", "b": "^2"}) == install_key({"b": "^2", "a": "1.0.0"})
    assert install_key({"a": "1.0.0"}) != install_key({"a": "1.0.1"})


def test_progress_is_drawn_on_a_terminal(tmp_path):
    plugin = copy_example("react-counter", tmp_path)
    controller, terminal = pty.openpty()
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY), "TERM": "xterm-256color"}
    for variable in ("NO_COLOR", "FORCE_COLOR", "TTY_COMPATIBLE", "CI"):
        environment.pop(variable, None)
    process = subprocess.Popen(
        [sys.executable, "-m", "publishing.cli", "build", str(plugin)],
        stdin=subprocess.DEVNULL,
        stdout=terminal,
        stderr=terminal,
        env=environment,
        cwd=REPOSITORY,
    )
    os.close(terminal)
    screen = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the command is done
            break
        if not chunk:
            break
        screen += chunk
    os.close(controller)
    assert process.wait(timeout=120) == 0, screen.decode(errors="replace")
    text = screen.decode(errors="replace")
    # rich's live status line (a spinner, then the step), not the plain "... " line of a log.
    assert f"bundling index.jsx with esbuild {ESBUILD_VERSION}" in text
    assert f"bundling index.jsx with esbuild {ESBUILD_VERSION} ..." not in text
    assert "\x1b[" in text
    assert "built react-counter@1.0.0" in text
