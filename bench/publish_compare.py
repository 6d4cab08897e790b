"""Publish of a 1 MiB bundle: `naap-plugin publish` to our registry and `npm publish` to Verdaccio.

Both servers are already running (bench/run.sh starts them). Runs alternate between the two,
each a new version of a package whose bundle is exactly 1 MiB; prints each wall time, the
medians and the ratio.
Usage: python bench/publish_compare.py --registry URL --token SECRET --verdaccio URL
       --npmrc FILE [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from publish_time import ROOT, make_plugin, publish_command


def timed(command: list[str], env: dict, cwd: Path) -> float:
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{command[0]} failed: {result.stdout[-500:]} {result.stderr[-500:]}")
    return elapsed


def publish_runs(args: argparse.Namespace, work: Path) -> tuple[list[float], list[float]]:
    """Alternate runs of both publishes, in `work`; their wall times in seconds."""
    stamp = int(time.time())
    ours, npm = [], []
    for run in range(args.runs):
        version = f"3.{stamp}.{run}"
        plugin_dir = work / f"ours-{run}"
        make_plugin(plugin_dir, version)
        ours.append(
            timed(
                publish_command(plugin_dir, args.registry),
                {**os.environ, "NAAP_REGISTRY_TOKEN": args.token},
                ROOT,
            )
        )
        # The same 1 MiB of JavaScript as an npm package.
        package_dir = work / f"npm-{run}"
        package_dir.mkdir()
        (package_dir / "index.js").write_bytes((plugin_dir / "index.js").read_bytes())
        (package_dir / "package.json").write_text(
            json.dumps({"name": "bench-plugin", "version": version, "main": "index.js"})
        )
        npm.append(
            timed(
                [
                    "npm",
                    "publish",
                    "--registry",
                    args.verdaccio,
                    "--userconfig",
                    args.npmrc,
                    "--no-audit",
                    "--no-fund",
                    "--loglevel",
                    "error",
                ],
                {**os.environ},
                package_dir,
            )
        )
        print(f"run {run + 1}: ours {ours[-1] * 1000:.0f} ms, npm {npm[-1] * 1000:.0f} ms")
    return ours, npm


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--registry", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--verdaccio", required=True)
    parser.add_argument("--npmrc", required=True)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="naap-publish-") as tmp:
        ours, npm = publish_runs(args, Path(tmp))
    ours_median, npm_median = statistics.median(ours), statistics.median(npm)
    print(
        f"median of {args.runs}: naap-plugin publish {ours_median * 1000:.0f} ms, "
        f"npm publish to Verdaccio {npm_median * 1000:.0f} ms, "
        f"ratio {ours_median / npm_median:.2f}"
    )


if __name__ == "__main__":
    main()
