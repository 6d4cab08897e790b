"""Time from mountPlugin() to mounted in Chromium, for cold, warm and hot caches.

Starts gunicorn (DEBUG off, SQLite and local-disk assets in a temporary directory, static
files collected as in production) on a free 127.0.0.1 port, publishes the examples with
`manage.py seed_demo` (the real build and publish path), then opens each example's preview
page in Debian's Chromium and reads the shell runtime's own Performance API measure
(`naap:mount name@version`: the mountPlugin call to the plugin's mount having returned,
bundle, styles and, for React plugins, React included):

- cold: a new browser context (empty HTTP cache, nothing loaded);
- warm: the page reloaded in that context (files from the HTTP cache, loader cache empty);
- hot: unmounted and mounted again in the same page (the loader's name@version cache).

"page" is the time from navigation start to mounted on the cold visit. Stops what it started.
Usage: .venv/bin/python bench/shell_load_time.py [--runs 5]
Needs `make vendor` (React) and /usr/bin/chromium (`make browser`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright
from publish_time import free_port, gunicorn_command, wait_for

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
EXAMPLES = {"hello-world": "1.0.0", "theme-notes": "1.0.0", "react-counter": "1.0.0"}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
]
MOUNTED = '#naap-preview-host[data-naap-state="mounted"]'
MEASURE = "(key) => performance.getEntriesByName('naap:mount ' + key).at(-1)"


def measure_example(browser, base: str, name: str, version: str) -> dict[str, float]:
    """One cold, warm and hot mount of an example's preview page, in milliseconds."""
    key = f"{name}@{version}"
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/plugins/{name}/{version}/preview/")
    page.wait_for_selector(MOUNTED)
    cold = page.evaluate(MEASURE, key)
    page.reload()
    page.wait_for_selector(MOUNTED)
    warm = page.evaluate(MEASURE, key)
    page.click("#naap-preview-unmount")
    page.click("#naap-preview-mount")
    page.wait_for_selector(MOUNTED)
    hot = page.evaluate(MEASURE, key)
    context.close()
    return {
        "cold": cold["duration"],
        "warm": warm["duration"],
        "hot": hot["duration"],
        "page": cold["startTime"] + cold["duration"],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
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
                measure_example(browser, base, name, version)  # warms the workers
                runs = [measure_example(browser, base, name, version) for _ in range(args.runs)]
                medians = {
                    kind: statistics.median(run[kind] for run in runs)
                    for kind in ("cold", "warm", "hot", "page")
                }
                print(
                    f"{name:<14} cold {medians['cold']:6.1f} ms   warm {medians['warm']:6.1f} ms"
                    f"   hot {medians['hot']:5.1f} ms   page {medians['page']:6.1f} ms"
                    f"   (median of {args.runs})"
                )
            browser.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
