"""Wall time of `naap-plugin publish` for a 1 MiB bundle against a local gunicorn.

Starts gunicorn (DEBUG off, PostgreSQL, local-disk assets) on a free 127.0.0.1 port, creates a
verified publisher and a token through the services, publishes five versions of a plugin
whose bundle is 1 MiB with the real CLI in a subprocess, prints each time and the median,
then stops what it started. Usage: .venv/bin/python bench/publish_time.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# Its own database: naap_bench holds the catalog that bench/run.sh reuses.
DATABASE = os.environ.get("BENCH_DATABASE", "naap_bench_publish")
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn_command(port: int, *, workers: int, threads: int = 1) -> list[str]:
    """The command that serves the app with gunicorn on 127.0.0.1:port (sync workers, or
    gthread ones with more than one thread)."""
    options = f"--bind 127.0.0.1:{port} --workers {workers} --log-level warning"
    if threads > 1:
        options += f" --threads {threads}"
    return [PYTHON, "-m", "gunicorn", "naap.wsgi", *options.split()]


def server_env(*, data_dir: Path, database: str) -> dict[str, str]:
    """The environment of a production-like server (DEBUG off, plain http on 127.0.0.1) on
    its own PostgreSQL database and data directory; callers add rate limits and a cache."""
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "NAAP_DATA_DIR": str(data_dir),
        "DATABASE_URL": f"{PG}/{database}",
    }


def wait_for(url: str, *, seconds: float = 10) -> None:
    """Return once url answers (a server starting up); SystemExit after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"no answer from {url} after {seconds:g} s")


def publish_command(plugin_dir: Path, registry: str) -> list[str]:
    """The CLI's publish of plugin_dir to the registry, answering JSON."""
    cli = [PYTHON, "-m", "publishing.cli", "publish"]
    return [*cli, str(plugin_dir), "--json", "--registry", registry]


def psql(command: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-qc", command],
        check=True,
        capture_output=True,
    )


def make_plugin(directory: Path, version: str) -> None:
    """A plugin whose prebuilt bundle is exactly 1 MiB of plain JavaScript."""
    directory.mkdir(parents=True, exist_ok=True)
    head = (
        "var NaapPluginBenchPlugin = (() => {\n"
        "  function mount(container) { container.textContent = 'bench'; }\n"
        f"  var payload = '{version}';\n"
    )
    tail = "  return { mount: mount };\n})();\n"
    filler_line = "  payload += 'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz';\n"
    size = 1024 * 1024 - len(head) - len(tail)
    body = (filler_line * (size // len(filler_line) + 1))[:size]
    body = body[: body.rfind("\n") + 1]
    body += " " * (size - len(body) - 1) + "\n"
    (directory / "index.js").write_text(head + body + tail)
    manifest = {
        "name": "bench-plugin",
        "displayName": "Bench Plugin",
        "version": version,
        "description": "A 1 MiB bundle for timing publishes.",
        "category": "developer-tools",
        "frontend": {"entry": "index.js", "routes": ["/plugins/bench-plugin"]},
    }
    (directory / "plugin.json").write_text(json.dumps(manifest))


def migrate_with_publisher(env: dict[str, str], *, root: Path = ROOT) -> str:
    """Migrate the database `env` names and make a verified publisher with a publish token
    through the services; returns the token's secret."""
    subprocess.run([PYTHON, "manage.py", "migrate", "-v0"], cwd=root, env=env, check=True)
    result = subprocess.run(
        [PYTHON, "manage.py", "shell", "-c", SETUP],
        cwd=root,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout.strip().splitlines()[-1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="naap-bench-"))
    psql(f"DROP DATABASE IF EXISTS {DATABASE}")
    psql(f"CREATE DATABASE {DATABASE}")
    env = {
        **server_env(data_dir=data_dir, database=DATABASE),
        "NAAP_THROTTLE_PUBLISH": "10000/min",
        "NAAP_THROTTLE_USER_WRITE": "10000/min",
    }
    secret = migrate_with_publisher(env)

    port = free_port()
    server = subprocess.Popen(
        gunicorn_command(port, workers=args.workers),
        cwd=ROOT,
        env=env,
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        times = []
        for run in range(args.runs):
            plugin_dir = data_dir / f"plugin-{run}"
            make_plugin(plugin_dir, f"1.0.{run}")
            started = time.perf_counter()
            result = subprocess.run(
                publish_command(plugin_dir, f"http://127.0.0.1:{port}"),
                cwd=ROOT,
                env={**env, "NAAP_REGISTRY_TOKEN": secret},
                capture_output=True,
                text=True,
            )
            elapsed = time.perf_counter() - started
            if result.returncode != 0:
                raise SystemExit(f"publish failed: {result.stderr.strip()}")
            times.append(elapsed)
            print(f"run {run + 1}: {elapsed * 1000:.0f} ms")
        print(f"median of {args.runs}: {statistics.median(times) * 1000:.0f} ms (1 MiB bundle)")
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)
        psql(f"DROP DATABASE IF EXISTS {DATABASE}")


SETUP = """
from django.contrib.auth import get_user_model
from registry.models import Publisher, PublisherMembership
from publishing.services import create_api_token
user = get_user_model().objects.create_user("bench", "bench@example.test", "bench")
publisher = Publisher.objects.create(name="bench", display_name="Bench", verified=True)
PublisherMembership.objects.create(publisher=publisher, user=user, role="owner")
token, secret = create_api_token(actor=user, publisher=publisher, name="bench", scopes=["publish"])
print(secret)
"""

if __name__ == "__main__":
    main()
