"""Real servers for the fault tests: gunicorn serving naap.wsgi, a Redis server of our own we
can stop, hang and bring back, a TCP proxy that can hang, and killing PostgreSQL connections.

Every process is started on a free 127.0.0.1 port and stopped by its PID.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import requests
from django.db import connection

from tests.s3 import free_port, stop_process, wait_until_answering

ROOT = Path(__file__).resolve().parent.parent


def http() -> requests.Session:
    """A requests session that ignores a developer's proxy settings."""
    session = requests.Session()
    session.trust_env = False
    return session


def database_url() -> str:
    """DATABASE_URL of the database this test runs against (its test database)."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    credentials = settings["USER"] + (f":{settings['PASSWORD']}" if settings["PASSWORD"] else "")
    return (
        f"postgres://{credentials}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}"
        f"/{settings['NAME']}"
    )


class RedisServer:
    """A redis-server of this test's own, which it may stop, start and pause. A persistent one
    saves its data when stopped and loads it when started again, as a production Redis with
    RDB snapshots does across a restart; otherwise it starts empty."""

    def __init__(self, *, persistent: bool = False) -> None:
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.directory = tempfile.mkdtemp(prefix="naap-redis-") if persistent else None

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        persistence = ("--dir", self.directory, "--save", "3600 1") if self.directory else ()
        self.process = subprocess.Popen(
            [
                "redis-server",
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"),
                *(persistence or ("--save", "")),
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"redis-server did not start on port {self.port}")
            time.sleep(0.05)

    def stop(self) -> None:
        """Down: the port refuses connections."""
        if self.process is not None:
            self.resume()
            stop_process(self.process)
            self.process = None

    def pause(self) -> None:
        """Hung: connections are accepted (by the kernel) and never answered."""
        self.process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)


@contextmanager
def running_redis(*, persistent: bool = False) -> Iterator[RedisServer]:
    server = RedisServer(persistent=persistent)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        if server.directory:
            shutil.rmtree(server.directory, ignore_errors=True)


class Gunicorn:
    def __init__(self, url: str, log: Path) -> None:
        self.url = url
        self.log_path = log

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def running_gunicorn(data_dir: Path, *, workers: int = 1, **environment: str) -> Iterator[Gunicorn]:
    """gunicorn serving naap.wsgi (the hot paths in front of Django) on a free port, against
    this test's database, with production settings and `environment` on top. Stopped by PID."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.live_settings",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url(),
        "NAAP_DATA_DIR": str(data_dir),
        "ALLOWED_HOSTS": "127.0.0.1",
        "DEBUG": "0",
        "SECURE_SSL_REDIRECT": "0",
        **environment,
    }
    if "REDIS_URL" not in environment:
        env.pop("REDIS_URL", None)  # the local-memory cache
    options = f"--bind 127.0.0.1:{port} --workers {workers} --timeout 60 --log-level warning"
    with tempfile.NamedTemporaryFile(suffix=".log", delete=False) as log:
        log_path = Path(log.name)
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "naap.wsgi", *options.split()],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        try:
            wait_until_answering(f"http://127.0.0.1:{port}/healthz")
        except TimeoutError:
            raise RuntimeError(f"gunicorn did not start:\n{log_path.read_text()}") from None
        yield Gunicorn(f"http://127.0.0.1:{port}", log_path)
    finally:
        stop_process(process, timeout=20)
        log_path.unlink(missing_ok=True)


@contextmanager
def running_rollout_loop(*, interval: float = 0.2) -> Iterator[None]:
    """`manage.py run_rollouts` (the health gates' loop) against this test's database, a pass
    every `interval` seconds. Stopped by PID."""
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.live_settings",
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": database_url(),
        "DEBUG": "0",
    }
    env.pop("REDIS_URL", None)  # the local-memory cache: no field report counters in flight
    process = subprocess.Popen(
        [sys.executable, "manage.py", "run_rollouts", "--interval", str(interval)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        stop_process(process, timeout=20)


class HangingProxy:
    """A TCP proxy to `target`; while `hanging`, it accepts connections, reads what is sent
    and never forwards or answers: a hung server (or a network partition) that, unlike a
    paused process, never acts on what it was sent."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.hanging = False
        self.requests_while_hanging = 0  # connections that sent something to the hung store
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self._open: list[socket.socket] = []
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            self._open.append(client)
            if self.hanging:
                threading.Thread(target=self._swallow, args=(client,), daemon=True).start()
                continue
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port))
            except OSError:  # the target is down: so is the proxy, for this connection
                client.close()
                continue
            self._open.append(upstream)
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(source, sink), daemon=True).start()

    def _swallow(self, client: socket.socket, *, counted: bool = False) -> None:
        with suppress(OSError):
            while client.recv(65536):
                if not counted:
                    self.requests_while_hanging += 1
                    counted = True

    def _pipe(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                if self.hanging:  # a connection opened before the hang hangs too
                    self.requests_while_hanging += 1
                    self._swallow(source, counted=True)
                    return
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, sink):
                with suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self._closed = True
        self._listener.close()
        for open_socket in self._open:
            open_socket.close()


def kill_other_database_connections() -> int:
    """Terminate every other PostgreSQL backend of this database (a restart or failover, as
    the app servers see it); how many there were."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def wait_for(condition, *, timeout: float = 10.0, interval: float = 0.1):
    """condition()'s first truthy value within timeout seconds, else AssertionError."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not true within {timeout}s: {condition}")
        time.sleep(interval)
