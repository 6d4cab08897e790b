"""Bundling a plugin's source for `naap-plugin build`: the pinned tools, the steps, the wrapper.

The work happens in Node.js (node/build-plugin.mjs, driving esbuild's JavaScript API); this
module prepares it and reads the result:

1. the pinned esbuild (and, for a plugin with a Tailwind or PostCSS config, the pinned
   Tailwind CSS, PostCSS and Autoprefixer) is installed once into the CLI's cache (npm.py);
   whatever esbuild or Tailwind a plugin's own node_modules holds is never used;
2. a scan lists the npm packages the code imports, reading the NaaP monorepo's own packages
   (`@naap/*`) from their folders; packages the plugin's node_modules lacks are installed
   into the cache (monorepo.py decides the versions);
3. esbuild bundles to CommonJS with the shell's modules left as `require()` calls, running
   Tailwind and Autoprefixer on every stylesheet the code imports, as upstream's vite build
   does;
4. the result is wrapped in a UMD wrapper that hands those modules the shell's globals,
   exactly as `@naap/plugin-build` maps them: `react` and `react/jsx-runtime` -> `React`,
   `react-dom` and `react-dom/client` -> `ReactDOM`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from publishing.cli.monorepo import ScannedImport, Workspace, dependency_specs, find_workspace
from publishing.cli.npm import find_node, installed_packages, run_node_tool, tool_output_lines
from publishing.cli.output import EXIT_UNAVAILABLE, CliError, Ui
from publishing.cli.project import PluginProject, SourceEntry

# Pinned so that a build today and a build next year produce the same bytes. esbuild is the
# version upstream NaaP's own build resolves to (its root package.json overrides esbuild).
ESBUILD_VERSION = "0.28.0"
TAILWIND_VERSION = "3.4.19"
POSTCSS_VERSION = "8.5.6"
AUTOPREFIXER_VERSION = "10.4.21"
BUILD_TIMEOUT_SECONDS = 300
# The syntax the bundle is lowered to: ES2020 keeps BigInt literals (10n), which cannot be
# lowered and which real plugins (my-wallet's token maths) use.
ESBUILD_TARGET = "es2020"
# A version holds one bundle and one stylesheet, so images and fonts travel inside them.
INLINED_ASSET_EXTENSIONS = (
    ".png",
    ".jpg",
    ".jpeg",
    ".gif",
    ".svg",
    ".webp",
    ".avif",
    ".woff",
    ".woff2",
    ".ttf",
    ".otf",
    ".eot",
)
# The modules the shell provides, and the global each one is: @naap/plugin-build's map.
SHELL_GLOBALS = {
    "react": "React",
    "react-dom": "ReactDOM",
    "react-dom/client": "ReactDOM",
    "react/jsx-runtime": "React",
    "react/jsx-dev-runtime": "React",
}
TAILWIND_CONFIG_FILES = (
    "tailwind.config.js",
    "tailwind.config.cjs",
    "tailwind.config.mjs",
    "tailwind.config.ts",
)
POSTCSS_CONFIG_FILES = (
    "postcss.config.js",
    "postcss.config.cjs",
    "postcss.config.mjs",
    "postcss.config.ts",
    ".postcssrc",
    ".postcssrc.json",
)
# What vite replaces in a production build, so code written for it runs the same here.
VITE_DEFINES = {
    "process.env.NODE_ENV": '"production"',
    "import.meta.env.MODE": '"production"',
    "import.meta.env.DEV": "false",
    "import.meta.env.PROD": "true",
    "import.meta.env.SSR": "false",
    "import.meta.env.BASE_URL": '"/"',
}
DRIVER = Path(__file__).with_name("node") / "build-plugin.mjs"


@dataclass(frozen=True)
class StylesConfig:
    """Which of the plugin's stylesheet tools run, from the config files it has."""

    tailwind_config: Path | None
    postcss_config: Path | None

    @property
    def runs_postcss(self) -> bool:
        return self.tailwind_config is not None or self.postcss_config is not None


@dataclass
class BundledSource:
    """What bundling a source entry produced."""

    bundle: bytes
    css: bytes | None
    sourcemap: bytes | None
    # The shell globals the UMD wrapper passes in, in order (e.g. ["React", "ReactDOM"]).
    shell_globals: list[str]


def _first_existing(directory: Path, names: tuple[str, ...]) -> Path | None:
    return next((directory / name for name in names if (directory / name).is_file()), None)


def styles_config(frontend: Path) -> StylesConfig:
    """Tailwind runs when the frontend has a Tailwind config; Autoprefixer when it has that or
    a PostCSS config (as upstream's vite build, whose PostCSS chain is Tailwind then
    Autoprefixer whatever postcss.config says)."""
    return StylesConfig(
        tailwind_config=_first_existing(frontend, TAILWIND_CONFIG_FILES),
        postcss_config=_first_existing(frontend, POSTCSS_CONFIG_FILES),
    )


def build_tools(styles: StylesConfig, ui: Ui) -> Path:
    """The folder holding the pinned tools this build needs (installed on first use)."""
    tools = {"esbuild": ESBUILD_VERSION}
    what = f"esbuild {ESBUILD_VERSION}"
    if styles.runs_postcss:
        tools.update(
            {
                "tailwindcss": TAILWIND_VERSION,
                "postcss": POSTCSS_VERSION,
                "autoprefixer": AUTOPREFIXER_VERSION,
            }
        )
        what += f", Tailwind CSS {TAILWIND_VERSION}, PostCSS and Autoprefixer"
    # The tools' own install scripts run: they are the versions pinned here.
    return installed_packages(tools, kind="tools", what=what, ui=ui, run_scripts=True).parent


def _display_path(path: Path, base: Path) -> str:
    return str(path.relative_to(base)) if path.is_relative_to(base) else str(path)


def run_driver(request: dict[str, Any], *, cwd: Path, work_dir: Path) -> dict[str, Any]:
    """Run node/build-plugin.mjs on one request; returns its JSON answer."""
    tools = find_node()
    request_file = work_dir / f"request-{request['mode']}.json"
    request_file.write_text(json.dumps(request), encoding="utf-8")
    completed = run_node_tool(
        [tools.node, str(DRIVER), str(request_file)],
        cwd=cwd,
        timeout=BUILD_TIMEOUT_SECONDS,
        what="the build",
    )
    last_line = completed.stdout.strip().splitlines()[-1:] or [""]
    try:
        answer = json.loads(last_line[0])
    except ValueError:
        raise CliError(
            "the build's Node.js step failed:",
            details=tool_output_lines(completed.stderr + completed.stdout),
            exit_code=EXIT_UNAVAILABLE,
        ) from None
    # Tools such as Tailwind print their own warnings on stderr (no utility classes found…).
    answer["stderr"] = tool_output_lines(completed.stderr)
    return answer


def _message_lines(messages: list[str]) -> list[str]:
    return [line.rstrip() for message in messages for line in message.splitlines() if line.strip()]


def _base_request(
    source: SourceEntry,
    workspace: Workspace,
    tools_dir: Path,
    outfile: Path,
) -> dict[str, Any]:
    return {
        "toolsDir": str(tools_dir),
        "workingDir": str(source.frontend_directory),
        "entry": str(source.path),
        "outfile": str(outfile),
        "localPackages": {name: str(path) for name, path in workspace.packages.items()},
        "shellModules": list(SHELL_GLOBALS),
        "target": ESBUILD_TARGET,
    }


def _node_paths_for_missing_packages(
    project: PluginProject,
    source: SourceEntry,
    workspace: Workspace,
    base: dict[str, Any],
    work_dir: Path,
    ui: Ui,
) -> list[str]:
    """Scan the code's imports and install what its node_modules lacks into the cache;
    returns the cached node_modules folder for esbuild to read from, if one was needed."""
    relative_entry = _display_path(source.path, project.directory)
    with ui.spinner(f"reading the imports of {relative_entry}"):
        answer = run_driver(
            {**base, "mode": "scan"}, cwd=source.frontend_directory, work_dir=work_dir
        )
    if not answer.get("ok"):
        raise CliError(
            f"esbuild could not bundle {relative_entry}:",
            details=_message_lines(answer.get("errors") or []),
        )
    imports = [
        ScannedImport(
            specifier=item["specifier"],
            package=item["package"],
            # Shown to people and looked up from the frontend folder: relative to it.
            importer=Path(os.path.relpath(item["importer"], source.frontend_directory)).as_posix(),
            resolves=bool(item["resolves"]),
        )
        for item in answer.get("imports") or []
    ]
    if all(item.resolves for item in imports):
        return []
    specs = dependency_specs(
        imports, frontend_directory=source.frontend_directory, workspace=workspace, ui=ui
    )
    count = f"{len(specs)} npm package{'s' if len(specs) != 1 else ''}"
    what = f"{count} the code imports ({', '.join(sorted(specs))})"
    modules = installed_packages(specs, kind="modules", what=what, ui=ui)
    return [str(modules)]


def bundle_source(
    project: PluginProject, source: SourceEntry, work_dir: Path, ui: Ui, *, sourcemap: bool
) -> BundledSource:
    """Bundle the plugin's source entry into a UMD bundle (and its stylesheet)."""
    relative_entry = _display_path(source.path, project.directory)
    ui.note(f"building {relative_entry} ({source.reason})")
    workspace = find_workspace(project.directory, source.frontend_directory)
    styles = styles_config(source.frontend_directory)
    tools_dir = build_tools(styles, ui)
    outfile = work_dir / "out" / "bundle.js"
    base = _base_request(source, workspace, tools_dir, outfile)
    node_paths = _node_paths_for_missing_packages(project, source, workspace, base, work_dir, ui)
    request = {
        **base,
        "mode": "build",
        "nodePaths": node_paths,
        "define": VITE_DEFINES,
        "inlineExtensions": list(INLINED_ASSET_EXTENSIONS),
        "sourcemap": sourcemap,
        "css": {
            "tailwindConfig": str(styles.tailwind_config) if styles.tailwind_config else None,
            "autoprefixer": styles.runs_postcss,
        },
    }
    steps = f"esbuild {ESBUILD_VERSION}"
    if styles.tailwind_config:
        steps += f" and Tailwind CSS {TAILWIND_VERSION}"
    with ui.spinner(f"bundling {relative_entry} with {steps}"):
        answer = run_driver(request, cwd=source.frontend_directory, work_dir=work_dir)
    for line in _message_lines(answer.get("warnings") or []) + answer["stderr"]:
        ui.note(line)
    if not answer.get("ok"):
        raise CliError(
            f"esbuild could not bundle {relative_entry}:",
            details=_message_lines(answer.get("errors") or []),
        )
    if not outfile.is_file():
        raise CliError("esbuild reported success but wrote no bundle", exit_code=EXIT_UNAVAILABLE)
    modules = [module for module in SHELL_GLOBALS if module in answer.get("shellModules", [])]
    header, footer = umd_wrapper(project.global_name, modules)
    code = outfile.read_bytes()
    css_file = outfile.with_suffix(".css")
    map_file = outfile.with_name(outfile.name + ".map")
    map_data = None
    if sourcemap and map_file.is_file():
        map_data = shift_sourcemap(map_file.read_bytes(), lines=header.count("\n"))
    return BundledSource(
        bundle=header.encode() + code + footer.encode(),
        css=css_file.read_bytes() if css_file.is_file() else None,
        sourcemap=map_data,
        shell_globals=list(dict.fromkeys(SHELL_GLOBALS[module] for module in modules)),
    )


def umd_wrapper(global_name: str, modules: list[str]) -> tuple[str, str]:
    """The text before and after esbuild's CommonJS output that makes it a UMD bundle.

    As a classic script it assigns `globalThis[global_name]` and passes the factory the
    shell's globals for the modules the code uses; under CommonJS or AMD it asks for the
    modules by name. Inside, `require` hands out those modules. When the shell's React has no
    JSX runtime of its own (`React.jsx`), one is made from `React.createElement`.
    """
    parameters = [f"shell{index}" for index in range(len(modules))]
    requires = "".join(f',require("{module}")' for module in modules)
    amd = json.dumps(["exports", *modules], separators=(",", ":"))
    globals_ = "".join(f",root.{SHELL_GLOBALS[module]}" for module in modules)
    provided = ",".join(
        f'"{module}":{"naapJsxRuntime(" + parameter + ")" if "jsx" in module else parameter}'
        for module, parameter in zip(modules, parameters, strict=True)
    )
    # The message names window.<Global> so people (and the registry) can see what is needed.
    needed = ",".join(
        f'"{module}":"This NaaP plugin needs the shell\'s window.{SHELL_GLOBALS[module]} '
        f'({module})"'
        for module in modules
    )
    jsx_runtime = (
        "function naapJsxRuntime(R){if(!R||R.jsx)return R;"
        "var jsx=function(type,props,key){return R.createElement(type,"
        "key===undefined?props:Object.assign({},props,{key:key}))};"
        "return{jsx:jsx,jsxs:jsx,jsxDEV:jsx,Fragment:R.Fragment}}"
        if any("jsx" in module for module in modules)
        else ""
    )
    header = (
        f"/** NaaP plugin {global_name}: built by naap-plugin */\n"
        "(function(root,factory){"
        f'typeof exports=="object"&&typeof module<"u"?factory(exports{requires})'
        f':typeof define=="function"&&define.amd?define({amd},factory)'
        ':(root=typeof globalThis<"u"?globalThis:root||self,'
        f"factory(root.{global_name}={{}}{globals_}))"
        f"}})(this,function(exports{''.join(',' + p for p in parameters)}){{"
        f"{jsx_runtime}"
        f"var naapShell={{{provided}}},naapNeeded={{{needed}}};"
        "function require(id){var m=naapShell[id];"
        'if(m==null)throw new Error(naapNeeded[id]||"This NaaP plugin cannot load "+id);'
        "return m}"
        "var module={exports:{}};\n"
    )
    footer = "\nfor(var naapKey in module.exports)exports[naapKey]=module.exports[naapKey]});\n"
    return header, footer


def shift_sourcemap(data: bytes, *, lines: int) -> bytes:
    """A source map for the same code moved down by `lines` lines (the wrapper's header)."""
    sourcemap = json.loads(data)
    sourcemap["mappings"] = ";" * lines + sourcemap.get("mappings", "")
    return json.dumps(sourcemap, separators=(",", ":")).encode("utf-8")


def relocate_sourcemap(
    data: bytes, *, map_dir: Path, project: PluginProject, bundle_name: str
) -> bytes:
    """Point a source map's sources at the plugin directory instead of the temporary one."""
    sourcemap = json.loads(data)
    sources = []
    for source in sourcemap.get("sources", []):
        absolute = Path(os.path.normpath(map_dir / source))
        sources.append(Path(os.path.relpath(absolute, project.directory)).as_posix())
    sourcemap["sources"] = sources
    sourcemap["file"] = bundle_name
    return json.dumps(sourcemap, separators=(",", ":")).encode("utf-8")
