"""Time from mountPlugin() to mounted in Chromium, for cold, warm and hot caches.

Starts gunicorn (DEBUG off, SQLite and local-disk assets in a temporary directory, static
files collected as in production) on a free 127.0.0.1 port, publishes our examples with
`manage.py seed_demo` and the NaaP sample's plugins built from their sources by our CLI
(bench/sample_plugins.py: the real build and publish path; the monorepo builds need npm, and
keep what they install under var/naap-plugin), then opens each version's preview frame
(/sandbox/preview/<name>/<version>/) in Debian's Chromium and reads the shell runtime's own
Performance API measure (`naap:mount name@version`: the mountPlugin call to mounted, bundle,
styles, React for React plugins, and React's first render and effects included):

- cold: a new browser context (empty HTTP cache, nothing loaded);
- warm: the page reloaded in that context (files from the HTTP cache, loader cache empty);
- hot: unmounted and mounted again in the same page (the loader's name@version cache).

"page" is the time from navigation start to mounted on the cold visit. A plugin whose host
ends in the error state is reported with its message instead. Stops what it started.
Usage: .venv/bin/python bench/shell_load_time.py [--runs 5] [--no-sample]
Needs `make vendor` (React), /usr/bin/chromium (`make browser`) and, for the sample, npm.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import urllib.parse
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright
from publish_time import free_port, gunicorn_command, wait_for

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
EXAMPLES = {"hello-world": "1.0.0", "theme-notes": "1.0.0", "react-counter": "1.0.0"}
SAMPLE_TIMEOUT_S = 1800
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
HOST = "#naap-preview-host"
SETTLED = f'{HOST}:is([data-naap-state="mounted"], [data-naap-state="error"])'
MEASURE = "(key) => performance.getEntriesByName('naap:mount ' + key).at(-1)"


class MountFailed(Exception):
    """The plugin's host ended in the error state (its message)."""


def mounted(page, key: str) -> dict:
    """Wait until the preview host settles; the mount's measure, or MountFailed."""
    page.wait_for_selector(SETTLED, state="attached", timeout=60_000)
    if page.get_attribute(HOST, "data-naap-state") == "error":
        raise MountFailed(page.inner_text(f"{HOST} .naap-host__error-message"))
    return page.evaluate(MEASURE, key)


def measure_plugin(browser, base: str, name: str, version: str) -> dict[str, float]:
    """One cold, warm and hot mount in a version's preview frame, in milliseconds."""
    key = f"{name}@{version}"
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(f"{base}/sandbox/preview/{name}/{version}/")
        cold = mounted(page, key)
        page.reload()
        warm = mounted(page, key)
        page.click("#naap-preview-unmount")
        page.click("#naap-preview-mount")
        hot = mounted(page, key)
    finally:
        context.close()
    return {
        "cold": cold["duration"],
        "warm": warm["duration"],
        "hot": hot["duration"],
        "page": cold["startTime"] + cold["duration"],
    }


def publish_sample(env: dict[str, str]) -> dict[str, str]:
    """The sample's plugins built by our CLI and published: name -> version."""
    done = subprocess.run(
        [PYTHON, "bench/sample_plugins.py"],
        cwd=ROOT,
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=SAMPLE_TIMEOUT_S,
    )
    if done.returncode != 0:
        raise SystemExit(f"building the sample's plugins failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def bundle_kib(base: str, name: str, version: str) -> float:
    """The size of a version's bundle as served (uncompressed), in KiB."""
    url = f"{base}/api/v1/plugins/registry/{name}/{version}/manifest"
    with urllib.request.urlopen(url, timeout=10) as answer:
        bundle_url = json.load(answer)["bundleUrl"]
    with urllib.request.urlopen(urllib.parse.urljoin(base, bundle_url), timeout=10) as answer:
        return len(answer.read()) / 1024


def report(browser, base: str, label: str, name: str, version: str, runs: int) -> None:
    """Print the medians of `runs` visits (after one warm-up) of one version."""
    size = f"{bundle_kib(base, name, version):7.1f} KiB"
    try:
        measure_plugin(browser, base, name, version)  # warms the workers
        results = [measure_plugin(browser, base, name, version) for _ in range(runs)]
    except MountFailed as failure:
        print(f"{name:<24} {label:<7} {size}   error: {failure}")
        return
    medians = {
        kind: statistics.median(result[kind] for result in results)
        for kind in ("cold", "warm", "hot", "page")
    }
    print(
        f"{name:<24} {label:<7} {size}   cold {medians['cold']:6.1f} ms"
        f"   warm {medians['warm']:6.1f} ms"
        f"   hot {medians['hot']:5.1f} ms   page {medians['page']:6.1f} ms   (median of {runs})"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-sample", action="store_true", help="our examples only")
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="naap-bench-shell-"))
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "AWS_STORAGE_BUCKET_NAME", "PLUGIN_CDN_URL"}
    }
    env.update(
        DEBUG="0",
        SECRET_KEY="bench-only-secret-key-" + "x" * 40,
        SECURE_SSL_REDIRECT="0",
        ALLOWED_HOSTS="127.0.0.1",
        NAAP_DATA_DIR=str(data_dir),
    )
    for command in (["migrate", "-v0"], ["collectstatic", "--no-input", "-v0"], ["seed_demo"]):
        subprocess.run(
            [PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True, capture_output=True
        )
    sample = {} if args.no_sample else publish_sample(env)
    port = free_port()
    server = subprocess.Popen(
        gunicorn_command(port, workers=2),
        cwd=ROOT,
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/healthz")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS, headless=True
            )
            for name, version in EXAMPLES.items():
                report(browser, base, "example", name, version, args.runs)
            for name, version in sample.items():
                report(browser, base, "sample", name, version, args.runs)
            browser.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
