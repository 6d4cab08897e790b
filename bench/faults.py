"""What clients see when a dependency fails: Redis down, Redis hung, PostgreSQL connections
killed, S3 hung (docs/RELIABILITY.md, "Faults").

A production-like deployment on this host: gunicorn (DEBUG off, 2 workers, naap.wsgi with
the hot paths), PostgreSQL (a database of its own), a redis-server of its own (with RDB
snapshots, so a restart brings its data back), and moto's S3 server behind a proxy that can
hang. Settings are the defaults but the anonymous rate, raised so the load is not limited.

For each scenario, readers (threads asking for a manifest, a signed-in bootstrap, the
registry list and a plugin page, in a loop) run before, during and after the fault; during
it one version is published. It prints, per phase, the statuses and latencies readers saw,
the publish's status and time, and what was left behind: manifests older than the deployed
version served after the fault, version rows and stored objects of publishes that failed.

Usage: PYTHONPATH=. .venv/bin/python bench/faults.py [--readers 4] [--fault-seconds 12]
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
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from publish_time import PG, PYTHON, ROOT, free_port, gunicorn_command, psql, server_env

sys.path.insert(0, str(ROOT))

from tests.live import HangingProxy, RedisServer, http, wait_for
from tests.s3 import (
    ACCESS_KEY,
    REGION,
    SECRET_KEY,
    running_moto_server,
    s3_client,
    wait_until_answering,
)

DATABASE = os.environ.get("BENCH_DATABASE", "naap_bench_faults")
BUCKET = "naap-bench-faults"
MANIFEST = "/api/v1/plugins/registry/bench-wallet/latest/manifest"


@dataclass
class Reading:
    at: float
    kind: str
    status: int
    seconds: float
    version: str | None = None


@dataclass
class Readers:
    """Threads that read in a loop until stopped, keeping every answer."""

    url: str
    cookie: str
    count: int
    readings: list[Reading] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        self._threads = [threading.Thread(target=self._run, daemon=True) for _ in range(self.count)]
        for thread in self._threads:
            thread.start()

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join()

    def _run(self) -> None:
        session = http()
        targets = [
            ("manifest", MANIFEST, {}),
            ("bootstrap", "/api/v1/plugins/installed", {"Cookie": self.cookie}),
            ("registry", "/api/v1/plugins/registry", {}),
            ("page", "/plugins/bench-wallet/", {}),
        ]
        while not self._stop.is_set():
            for kind, path, headers in targets:
                started = time.monotonic()
                try:
                    response = session.get(self.url + path, headers=headers, timeout=60)
                    status = response.status_code
                    version = response.json().get("version") if kind == "manifest" else None
                except Exception:  # a reset connection or garbage: the client saw no answer
                    status, version = 0, None
                self.readings.append(
                    Reading(started, kind, status, time.monotonic() - started, version)
                )

    def between(self, start: float, end: float) -> list[Reading]:
        return [reading for reading in self.readings if start <= reading.at < end]


def summary(readings: list[Reading]) -> str:
    if not readings:
        return "no requests"
    statuses = Counter(reading.status for reading in readings)
    times = sorted(reading.seconds * 1000 for reading in readings)
    p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
    shown = ", ".join(f"{status}: {count}" for status, count in sorted(statuses.items()))
    return (
        f"{len(readings)} requests ({shown}); median {statistics.median(times):.0f} ms, "
        f"p99 {p99:.0f} ms, max {times[-1]:.0f} ms"
    )


class Deployment:
    """The servers, the catalog and a publishing token."""

    def __init__(self, data_dir: Path, redis: RedisServer, store: HangingProxy, workers: int):
        self.data_dir, self.redis, self.store = data_dir, redis, store
        self.env = {
            **server_env(data_dir=data_dir, database=DATABASE),
            "REDIS_URL": redis.url(),
            "AWS_STORAGE_BUCKET_NAME": BUCKET,
            "AWS_S3_ENDPOINT_URL": store.url,
            "AWS_ACCESS_KEY_ID": ACCESS_KEY,
            "AWS_SECRET_ACCESS_KEY": SECRET_KEY,
            "AWS_S3_REGION_NAME": REGION,
            "NAAP_THROTTLE_ANON_READ": "1000000/min",
            "PYTHONPATH": str(ROOT),
        }
        for command in (["migrate", "-v0"], ["collectstatic", "--noinput", "-v0"]):
            subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=self.env, check=True)
        setup = subprocess.run(
            [PYTHON, "manage.py", "shell", "-c", SETUP],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
        )
        facts = json.loads(setup.stdout.strip().splitlines()[-1])
        self.token, self.cookie = facts["token"], f"sessionid={facts['session']}"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = subprocess.Popen(
            gunicorn_command(self.port, workers=workers), cwd=ROOT, env=self.env
        )
        wait_until_answering(self.url + "/healthz")
        self.versions = 0
        assert self.publish()[0] == 201
        install = "from installs.services import install_plugin\n" + (
            "from django.contrib.auth import get_user_model\n"
            "person = get_user_model().objects.get(username='reader')\n"
            "install_plugin(actor=person, name='bench-wallet')\n"
        )
        subprocess.run(
            [PYTHON, "manage.py", "shell", "-c", install], cwd=ROOT, env=self.env, check=True
        )

    def publish(self) -> tuple[int, float, str]:
        """Publish the next version over HTTP: (status, seconds, version)."""
        self.versions += 1
        version = f"1.{self.versions}.0"
        manifest = {
            "name": "bench-wallet",
            "displayName": "Bench Wallet",
            "version": version,
            "frontend": {"routes": ["/plugins/bench-wallet"]},
        }
        bundle = (
            "var NaapPluginBenchWallet = { mount: function (el) { el.textContent = '"
            + version
            + "'; } };\n"
        )
        started = time.monotonic()
        try:
            response = http().post(
                f"{self.url}/api/v1/plugins/publish",
                headers={"Authorization": f"Bearer {self.token}"},
                data={"manifest": json.dumps(manifest)},
                files={"bundle": ("bundle.js", bundle.encode(), "text/javascript")},
                timeout=120,
            )
            status = response.status_code
        except Exception:
            status = 0
        return status, time.monotonic() - started, version

    def deployed_version(self) -> str:
        return self.sql(
            "SELECT v.version FROM registry_plugindeployment d "
            "JOIN registry_pluginversion v ON v.id = d.version_id"
        )

    def sql(self, query: str) -> str:
        result = subprocess.run(
            ["psql", f"{PG}/{DATABASE}", "-Atc", query], check=True, capture_output=True, text=True
        )
        return result.stdout.strip()

    def stop(self) -> None:
        self.server.send_signal(signal.SIGTERM)
        self.server.wait(timeout=30)


@dataclass
class Scenario:
    name: str
    fault: Callable[[], None]
    repair: Callable[[], None]
    during: Callable[[], None] | None = None  # repeated every second while the fault lasts


def run(deployment: Deployment, scenario: Scenario, *, readers: int, fault_seconds: float):
    print(f"\n### {scenario.name}\n")
    load = Readers(deployment.url, deployment.cookie, readers)
    load.start()
    time.sleep(3)
    fault_at = time.monotonic()
    scenario.fault()
    time.sleep(1)
    publish_status, publish_seconds, version = deployment.publish()
    while time.monotonic() - fault_at < fault_seconds:
        if scenario.during:
            scenario.during()
        time.sleep(1)
    repaired_at = time.monotonic()
    scenario.repair()
    time.sleep(8)
    load.stop()
    end = time.monotonic()

    deployed = deployment.deployed_version()
    stale = [
        reading
        for reading in load.between(repaired_at, end)
        if reading.kind == "manifest" and reading.status == 200 and reading.version != deployed
    ]
    print(f"- before: {summary(load.between(0, fault_at))}")
    print(f"- during ({fault_seconds:.0f} s): {summary(load.between(fault_at, repaired_at))}")
    for kind in ("manifest", "bootstrap", "registry", "page"):
        during = [r for r in load.between(fault_at, repaired_at) if r.kind == kind]
        print(f"  - {kind}: {summary(during)}")
    print(f"- after: {summary(load.between(repaired_at, end))}")
    print(f"- publish of {version} during the fault: {publish_status} in {publish_seconds:.1f} s")
    rows = deployment.sql(
        "SELECT count(*) FROM registry_pluginversion v JOIN registry_pluginpackage p "
        f"ON p.id = v.package_id WHERE p.name = 'bench-wallet' AND v.version = '{version}'"
    )
    objects = [
        entry["Key"]
        for entry in deployment.bucket.list_objects_v2(
            Bucket=BUCKET, Prefix=f"plugins/bench-wallet/{version}/"
        ).get("Contents", ())
    ]
    print(f"- left behind: {rows} version rows and {len(objects)} stored objects of {version}")
    print(
        f"- deployed after: {deployed}; manifests older than it served after the repair: "
        f"{len(stale)}" + (f" (last {stale[-1].at - repaired_at:.1f} s after)" if stale else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--readers", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--fault-seconds", type=float, default=12)
    args = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="naap-bench-faults-"))
    psql(f"DROP DATABASE IF EXISTS {DATABASE}")
    psql(f"CREATE DATABASE {DATABASE}")
    redis = RedisServer(persistent=True)
    redis.start()
    try:
        with running_moto_server() as moto_url:
            bucket = s3_client(moto_url)
            bucket.create_bucket(Bucket=BUCKET)
            store = HangingProxy(int(moto_url.rsplit(":", 1)[1]))
            deployment = Deployment(data_dir, redis, store, args.workers)
            deployment.bucket = bucket
            try:
                print(f"gunicorn {args.workers} workers, {args.readers} readers, defaults")
                scenarios = [
                    Scenario(
                        "Redis down (stopped, then restarted from its snapshot)",
                        redis.stop,
                        redis.start,
                    ),
                    Scenario("Redis hung (SIGSTOP, then SIGCONT)", redis.pause, redis.resume),
                    Scenario(
                        "PostgreSQL connections killed (every second)",
                        kill_connections,
                        lambda: None,
                        during=kill_connections,
                    ),
                    Scenario(
                        "S3 hung (accepts connections, never answers)",
                        lambda: setattr(store, "hanging", True),
                        lambda: setattr(store, "hanging", False),
                    ),
                ]
                for scenario in scenarios:
                    run(
                        deployment,
                        scenario,
                        readers=args.readers,
                        fault_seconds=args.fault_seconds,
                    )
                    wait_for(lambda: http().get(deployment.url + "/readyz").status_code == 200)
            finally:
                deployment.stop()
                store.close()
    finally:
        redis.stop()
        shutil.rmtree(redis.directory, ignore_errors=True)
        shutil.rmtree(data_dir, ignore_errors=True)
        psql(f"DROP DATABASE IF EXISTS {DATABASE}")


def kill_connections() -> None:
    psql(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
        f"WHERE datname = '{DATABASE}' AND pid <> pg_backend_pid()"
    )


SETUP = """
import json
from django.contrib.auth import get_user_model
from django.test import Client
from publishing.services import create_api_token
from registry.models import Publisher, PublisherMembership
users = get_user_model().objects
owner = users.create_user("bench", "bench@example.test", "bench")
publisher = Publisher.objects.create(name="bench", display_name="Bench", verified=True)
PublisherMembership.objects.create(publisher=publisher, user=owner, role="owner")
token, secret = create_api_token(actor=owner, publisher=publisher, name="b", scopes=["publish"])
person = users.create_user("reader", "reader@example.test", "reader")
client = Client()
client.force_login(person)
print(json.dumps({"token": secret, "session": client.cookies["sessionid"].value}))
"""

if __name__ == "__main__":
    main()
