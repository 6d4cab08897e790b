"""Helpers for tests against moto's standalone S3 server, spoken to over real HTTP."""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import boto3
from botocore.config import Config

REGION = "us-east-1"
ACCESS_KEY = "testing"
SECRET_KEY = "testing"
CACHE_CONTROL = "public, max-age=31536000, immutable"


def moto_server_executable() -> Path:
    """moto's server script, installed next to the interpreter running the tests."""
    return Path(sys.executable).with_name("moto_server")


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_answering(url: str, *, timeout: float = 30.0) -> None:
    """Poll url until an HTTP server answers (any status), or raise after timeout seconds."""
    # No proxy: a developer's HTTP_PROXY must not swallow requests to 127.0.0.1.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    deadline = time.monotonic() + timeout
    while True:
        try:
            opener.open(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # an error status is still an answer
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing answered at {url} within {timeout}s") from None
            time.sleep(0.1)


def stop_process(process: subprocess.Popen, *, timeout: float = 10) -> None:
    """Terminate a process we started, killing it if it has not exited after timeout seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextmanager
def running_moto_server() -> Iterator[str]:
    """Start moto_server on a free local port, yield its URL, stop it (by PID) afterwards."""
    executable = moto_server_executable()
    if not executable.exists():
        raise RuntimeError(f"{executable} is missing: install moto[server] in this environment")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [str(executable), "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            try:
                wait_until_answering(url)
            except TimeoutError:
                log.seek(0)
                raise RuntimeError(
                    f"moto_server did not start:\n{log.read().decode(errors='replace')}"
                ) from None
            yield url
        finally:
            stop_process(process)


def s3_client(endpoint_url: str):
    """A boto3 S3 client for the moto server at endpoint_url."""
    return boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name=REGION,
        config=Config(proxies={}),
    )


def unique_bucket_name() -> str:
    """A bucket name no other test uses."""
    return f"naap-test-{uuid.uuid4().hex[:20]}"


def plugin_storage_settings(endpoint_url: str, bucket_name: str) -> dict:
    """STORAGES["plugins"] for S3Storage on the moto bucket, as production configures it."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket_name,
            "endpoint_url": endpoint_url,
            "access_key": ACCESS_KEY,
            "secret_key": SECRET_KEY,
            "region_name": REGION,
            "object_parameters": {"CacheControl": CACHE_CONTROL},
            "file_overwrite": True,
            "querystring_auth": False,
            "default_acl": None,
        },
    }


def empty_and_delete_bucket(client, bucket_name: str) -> None:
    """Remove every object of the bucket, then the bucket."""
    paginator = client.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket_name):
        objects = [{"Key": entry["Key"]} for entry in page.get("Contents", ())]
        if objects:
            client.delete_objects(Bucket=bucket_name, Delete={"Objects": objects})
    client.delete_bucket(Bucket=bucket_name)
