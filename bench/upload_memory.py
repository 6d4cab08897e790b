"""What a huge publish upload costs a gunicorn worker: memory, time, and the answer.

Starts gunicorn (one sync worker, DEBUG off, SQLite and local-disk assets in a temporary data
directory) on a free 127.0.0.1 port, creates a verified publisher and a publish token, then
streams a 300 MiB multipart publish at it: once with the token, once without any. For each it
prints the answer, how long it took, how many bytes the client got to send, and the worker's
resident memory (VmRSS) and peak (VmHWM) before and after. Then it stops what it started.

Usage: .venv/bin/python bench/upload_memory.py [--mib 300] [--root DIR]
(--root: the checkout to serve, e.g. another worktree, to compare before and after a change.)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from publish_time import free_port, gunicorn_command, migrate_with_publisher, wait_for

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CHUNK = 1024 * 1024


def memory_of(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process, in MiB."""
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            fields[name] = int(value.split()[0]) // 1024
    return fields


def worker_of(master: int) -> int:
    """The pid of the master's one worker."""
    for _ in range(100):
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                    return int(entry.name)
        time.sleep(0.1)
    raise SystemExit("no gunicorn worker found")


def upload(port: int, size: int, token: str | None) -> tuple[str, float, int]:
    """Stream a publish of `size` bytes; (status line, seconds, bytes the client sent)."""
    boundary = "naapbench"
    manifest = json.dumps(
        {
            "name": "bench-plugin",
            "displayName": "Bench Plugin",
            "version": "1.0.0",
            "frontend": {"routes": ["/plugins/bench-plugin"]},
        }
    )
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="manifest"\r\n\r\n{manifest}\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="bundle"; '
        f'filename="bundle.js"\r\nContent-Type: text/javascript\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    length = len(head) + size + len(tail)
    lines = [
        "POST /api/v1/plugins/publish HTTP/1.1",
        f"Host: 127.0.0.1:{port}",
        f"Content-Type: multipart/form-data; boundary={boundary}",
        f"Content-Length: {length}",
        "Connection: close",
    ]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    sent = 0
    started = time.perf_counter()
    with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + head)
        chunk = b"/" * CHUNK
        try:
            while sent < size:
                # An answer already waiting means the server stopped reading: stop sending.
                sock.settimeout(0)
                try:
                    if sock.recv(1, socket.MSG_PEEK):
                        break
                except BlockingIOError:
                    pass
                sock.settimeout(120)
                sock.sendall(chunk[: min(CHUNK, size - sent)])
                sent += min(CHUNK, size - sent)
            else:
                sock.sendall(tail)
        except (BrokenPipeError, ConnectionResetError):
            pass
        sock.settimeout(120)
        answer = b""
        try:
            while b"\r\n" not in answer:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        except ConnectionResetError:
            pass
    status = answer.split(b"\r\n", 1)[0].decode("latin-1") or "(connection reset, no answer)"
    return status, time.perf_counter() - started, sent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mib", type=int, default=300)
    parser.add_argument("--root", type=Path, default=ROOT)
    args = parser.parse_args()
    root = args.root.resolve()

    data_dir = Path(tempfile.mkdtemp(prefix="naap-upload-"))
    env = {
        **os.environ,
        "PYTHONPATH": str(root),
        "DEBUG": "0",
        "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "NAAP_DATA_DIR": str(data_dir),
        "NAAP_THROTTLE_PUBLISH": "10000/min",
    }
    env.pop("DATABASE_URL", None)
    env.pop("REDIS_URL", None)
    secret = migrate_with_publisher(env, root=root)

    port = free_port()
    server = subprocess.Popen(
        [*gunicorn_command(port, workers=1), "--timeout", "120"], cwd=root, env=env
    )
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", seconds=30)
        worker = worker_of(server.pid)
        print(f"serving {root}; a {args.mib} MiB publish upload, one sync worker (pid {worker})")
        for label, token in (("with a publish token", secret), ("without a token", None)):
            before = memory_of(worker)
            status, seconds, sent = upload(port, args.mib * CHUNK, token)
            after = memory_of(worker)
            print(
                f"{label}: {status} in {seconds:.2f} s after sending {sent // CHUNK} MiB; "
                f"worker RSS {before['VmRSS']} -> {after['VmRSS']} MiB, "
                f"peak {before['VmHWM']} -> {after['VmHWM']} MiB"
            )
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    main()
