"""Node.js, npm and the CLI's cache of installed npm packages.

Two kinds of installs live in the cache, each in a folder named by the hash of exactly what
was installed (so a folder never changes once complete, and equal requests share it):

- `tools/<hash>/`: the build tools the CLI pins (esbuild; Tailwind CSS, PostCSS and
  Autoprefixer for plugins that use them);
- `modules/<hash>/`: the npm packages a plugin's code imports, when its own `node_modules`
  does not have them. The plugin's folder is never written to.

The cache is `$NAAP_PLUGIN_CACHE_DIR`, else `$XDG_CACHE_HOME/naap-plugin`, else
`~/.cache/naap-plugin`; deleting it only costs the next build a fresh install.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from publishing.cli.output import EXIT_REFUSED, EXIT_UNAVAILABLE, CliError, Ui

CACHE_ENVIRONMENT_VARIABLE = "NAAP_PLUGIN_CACHE_DIR"
NPM_TIMEOUT_SECONDS = 600
# Bumped when the layout of an install folder changes, so old folders are not reused.
CACHE_FORMAT = 1
COMPLETE_MARKER = ".naap-complete"
# npm errors that say the request itself is wrong (no such package or version, conflicting
# peer ranges), as opposed to the registry or the network failing.
_REFUSED_NPM_CODES = ("E404", "ETARGET", "ERESOLVE", "EINVALIDPACKAGENAME", "EINVALIDTAGNAME")


@dataclass(frozen=True)
class NodeTools:
    """The node and npm executables found on PATH."""

    node: str
    npm: str


def find_node() -> NodeTools:
    """node and npm from PATH, or a one-line error saying what to install."""
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        missing = [name for name, path in (("node", node), ("npm", npm)) if not path]
        verb = "is" if len(missing) == 1 else "are"
        raise CliError(
            f"building a source entry needs Node.js 18+ and npm: {' and '.join(missing)} {verb} "
            "not on PATH (install Node.js, or name an already built bundle as frontend.entry)",
            exit_code=EXIT_UNAVAILABLE,
        )
    return NodeTools(node=node, npm=npm)


def cache_directory() -> Path:
    """Where installs are kept between builds (see the module docstring)."""
    configured = os.environ.get(CACHE_ENVIRONMENT_VARIABLE, "").strip()
    if configured:
        return Path(configured).expanduser().resolve()
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "naap-plugin"


def quiet_npm_environment() -> dict[str, str]:
    """The environment for node and npm: no update notices, funding or audit chatter."""
    environment = dict(os.environ)
    environment.update(
        {
            "npm_config_update_notifier": "false",
            "npm_config_fund": "false",
            "npm_config_audit": "false",
            "npm_config_loglevel": "error",
            # Autoprefixer's browser data ages; the reminder to update it is not the user's.
            "BROWSERSLIST_IGNORE_OLD_DATA": "1",
        }
    )
    return environment


def run_node_tool(
    command: list[str], *, cwd: Path, timeout: int, what: str
) -> subprocess.CompletedProcess:
    """Run node or npm quietly, capturing its output; a timeout is a one-line error."""
    try:
        return subprocess.run(
            command,
            cwd=cwd,
            capture_output=True,
            text=True,
            encoding="utf-8",
            errors="replace",
            timeout=timeout,
            env=quiet_npm_environment(),
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise CliError(
            f"{what} did not finish within {timeout} seconds", exit_code=EXIT_UNAVAILABLE
        ) from None


def tool_output_lines(output: str, limit: int = 40) -> list[str]:
    """A tool's output as detail lines: no blank lines or npm notices, at most `limit`."""
    lines = [
        line.rstrip()
        for line in output.splitlines()
        if line.strip() and not line.lower().startswith(("npm warn", "npm notice"))
    ]
    if len(lines) > limit:
        lines = [*lines[:limit], f"... ({len(lines) - limit} more lines)"]
    return lines


def install_key(dependencies: dict[str, str]) -> str:
    """The content address of an install: the hash of what it was asked to contain."""
    request = json.dumps(
        {"format": CACHE_FORMAT, "dependencies": dependencies}, sort_keys=True
    ).encode()
    return hashlib.sha256(request).hexdigest()[:20]


def _npm_install(
    npm: str, directory: Path, *, run_scripts: bool, legacy_peer_deps: bool
) -> subprocess.CompletedProcess:
    command = [
        npm,
        "install",
        "--no-audit",
        "--no-fund",
        "--no-package-lock",
        "--loglevel=error",
    ]
    if not run_scripts:
        command.append("--ignore-scripts")
    if legacy_peer_deps:
        command.append("--legacy-peer-deps")
    return run_node_tool(command, cwd=directory, timeout=NPM_TIMEOUT_SECONDS, what="npm install")


def installed_packages(
    dependencies: dict[str, str],
    *,
    kind: str,
    what: str,
    ui: Ui,
    run_scripts: bool = False,
) -> Path:
    """A node_modules folder holding exactly `dependencies`, installed once and then reused.

    `kind` is the cache's subfolder ("tools" or "modules"), `what` how progress names it.
    The install happens in a temporary folder beside its final place and is renamed into it
    when complete, so an interrupted or concurrent install never leaves a half-filled folder
    under a final name.
    """
    key = install_key(dependencies)
    parent = cache_directory() / kind
    final = parent / key
    if (final / COMPLETE_MARKER).is_file():
        return final / "node_modules"
    tools = find_node()
    parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=parent))
    try:
        manifest = {"name": "naap-plugin-install", "private": True, "dependencies": dependencies}
        (staging / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
        with ui.spinner(f"installing {what} with npm (once; cached in {final})"):
            completed = _npm_install(
                tools.npm, staging, run_scripts=run_scripts, legacy_peer_deps=False
            )
            if completed.returncode != 0 and "ERESOLVE" in completed.stderr:
                # Conflicting peer ranges: install as npm 6 did, without peers it cannot satisfy.
                ui.note("npm found conflicting peer dependencies; installing without them")
                completed = _npm_install(
                    tools.npm, staging, run_scripts=run_scripts, legacy_peer_deps=True
                )
        if completed.returncode != 0:
            output = completed.stderr + completed.stdout
            refused = any(code in output for code in _REFUSED_NPM_CODES)
            raise CliError(
                f"npm could not install {what}:",
                details=tool_output_lines(output),
                exit_code=EXIT_REFUSED if refused else EXIT_UNAVAILABLE,
            )
        (staging / COMPLETE_MARKER).write_text(json.dumps(dependencies, sort_keys=True) + "\n")
        try:
            staging.rename(final)
        except OSError:
            # Another build finished the same install first; use it.
            if not (final / COMPLETE_MARKER).is_file():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return final / "node_modules"
