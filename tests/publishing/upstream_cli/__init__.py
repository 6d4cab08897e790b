"""NaaP's own CLI (the NaaP sample's packages/plugin-sdk/cli/commands/deploy.ts, status.ts and
rollback.ts, unchanged) run with Node against a live server of ours.

`make upstream-cli` installs what those files import (commander, chalk, ora, fs-extra) and
esbuild into var/npm-cli/; `bundle` makes one CommonJS file of naap-plugin.ts and the three
commands (the sample has no node_modules and is never written to). The CLI reads its registry
from NAAP_REGISTRY_URL and its token from NAAP_REGISTRY_TOKEN, as in a CI job, and the plugin
from plugin.json in the folder it runs in.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from tests.upstream import upstream_path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
NODE_MODULES = ROOT / "var" / "npm-cli" / "node_modules"
COMMANDS = "packages/plugin-sdk/cli/commands"


def bundle(target: Path) -> Path:
    """naap-plugin.ts and the sample's three command files as one script for Node: target."""
    esbuild = NODE_MODULES / ".bin" / "esbuild"
    if not esbuild.exists() or not shutil.which("node"):
        raise AssertionError(
            f"{esbuild} or node is missing: `make upstream-cli` installs what NaaP's CLI needs "
            "(Node 18 or newer on PATH)"
        )
    commands = upstream_path(COMMANDS)
    built = subprocess.run(
        [
            str(esbuild),
            str(HERE / "naap-plugin.ts"),
            *("--bundle", "--platform=node", "--format=cjs", "--target=node18"),
            f"--alias:naap-upstream-cli={commands}",
            f"--outfile={target}",
            "--log-level=error",
        ],
        env={**os.environ, "NODE_PATH": str(NODE_MODULES)},  # where the sample's imports resolve
        capture_output=True,
        text=True,
        timeout=120,
    )
    if built.returncode:
        raise AssertionError(f"esbuild could not bundle NaaP's CLI:\n{built.stderr}")
    return target


def plugin_folder(folder: Path, name: str, version: str, display_name: str) -> Path:
    """A plugin's folder as the CLI expects to run in: its plugin.json."""
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"name": name, "displayName": display_name, "version": version}
    (folder / "plugin.json").write_text(json.dumps(manifest))
    return folder


@dataclass
class Run:
    code: int
    output: str  # stdout and stderr, interleaved as printed


class UpstreamCli:
    def __init__(self, script: Path, registry: str, home: Path) -> None:
        self.script = script
        self.registry = registry
        self.home = home
        self.started: list[subprocess.Popen] = []

    def stop_all(self) -> None:
        """Kill (by PID) what was started and still runs: a test that failed half-way."""
        for process in self.started:
            if process.poll() is None:
                process.kill()
                process.wait()

    def environment(self, token: str | None) -> dict[str, str]:
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.home),
            "NAAP_REGISTRY_URL": self.registry,
            "NO_COLOR": "1",
            "TERM": "dumb",
        }
        if token is not None:
            env["NAAP_REGISTRY_TOKEN"] = token
        return env

    def start(
        self,
        folder: Path,
        *args: str,
        token: str | None = None,
        log: Path | None = None,
        typed: bool = False,
    ) -> subprocess.Popen:
        """`naap-plugin ARGS` running in folder; its output is read when it ends, or, with
        `log`, written to that file as it comes (for a command that runs until stopped);
        `typed`: its standard input is ours to write (an answer to a question)."""
        if log is None:
            stdout = subprocess.PIPE
        else:
            with log.open("wb") as stdout:
                pass
            stdout = log.open("ab")
        process = subprocess.Popen(
            ["node", str(self.script), *args],
            cwd=folder,
            env=self.environment(token),
            stdin=subprocess.PIPE if typed else subprocess.DEVNULL,
            stdout=stdout,
            stderr=subprocess.STDOUT,
            text=log is None,
        )
        if log is not None:
            stdout.close()  # the child has its own copy
        self.started.append(process)
        return process

    def run(
        self, folder: Path, *args: str, token: str | None = None, typing: str | None = None
    ) -> Run:
        """`naap-plugin ARGS` in folder to its end; `typing`: what a person types at it."""
        process = self.start(folder, *args, token=token, typed=typing is not None)
        return finish(process, timeout=60, typing=typing)


def finish(process: subprocess.Popen, *, timeout: float, typing: str | None = None) -> Run:
    """The exit code and output of a started command; killed (by its PID) if it overruns."""
    try:
        output, _ = process.communicate(typing, timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        raise AssertionError(f"naap-plugin still ran after {timeout}s:\n{output}") from None
    return Run(process.returncode, output)
