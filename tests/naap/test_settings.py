"""The settings module under different environments, each in a fresh interpreter."""

import os
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def run(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(
            (
                "DEBUG",
                "SECRET_KEY",
                "DATABASE_URL",
                "REDIS_URL",
                "AWS_",
                "PLUGIN_",
                "ALLOWED_HOSTS",
                "SECURE_",
                "NAAP_DATA_DIR",
                "NAAP_TRUSTED_PROXIES",
                "DJANGO_ALLOW_ASYNC_UNSAFE",
            )
        )
    }
    clean.update(env, DJANGO_SETTINGS_MODULE="naap.settings")
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )


READ = (
    "import django; django.setup(); from django.conf import settings as s; "
    "from django.core.files.storage import storages; "
    "print(s.DATABASES['default']['ENGINE'], s.CACHES['default']['BACKEND'], "
    "type(storages['plugins']).__name__, s.DEBUG)"
)


def test_with_no_environment_it_refuses_to_start_without_a_secret_key(tmp_path):
    result = run(READ, NAAP_DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_development_defaults_need_nothing_running(tmp_path):
    result = run(READ, DEBUG="1", NAAP_DATA_DIR=str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.sqlite3",
        "django.core.cache.backends.locmem.LocMemCache",
        "FileSystemStorage",
        "True",
    ]


def test_environment_switches_to_postgres_redis_and_s3(tmp_path):
    result = run(
        READ,
        SECRET_KEY="x" * 60,
        NAAP_DATA_DIR=str(tmp_path),
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/naap",
        REDIS_URL="redis://127.0.0.1:6379/0",
        AWS_STORAGE_BUCKET_NAME="plugins",
        PLUGIN_CDN_URL="https://cdn.example.test",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.db.backends.postgresql",
        "naap.redis_cache.NaapRedisCache",
        "S3Storage",
        "False",
    ]


def test_a_bad_debug_value_is_refused_with_the_variable_named(tmp_path):
    result = run(READ, DEBUG="maybe", NAAP_DATA_DIR=str(tmp_path))
    assert result.returncode != 0
    assert "DEBUG must be 1 or 0" in result.stderr


def test_trusted_proxies_are_read_as_networks(tmp_path):
    code = "import django; django.setup(); from django.conf import settings as s; "
    code += "print(s.NAAP_TRUSTED_PROXIES)"
    result = run(
        code, DEBUG="1", NAAP_DATA_DIR=str(tmp_path), NAAP_TRUSTED_PROXIES="10.0.0.0/8, ::1"
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['10.0.0.0/8', '::1']"


def test_a_trusted_proxy_that_is_no_address_is_refused_with_the_variable_named(tmp_path):
    result = run(READ, DEBUG="1", NAAP_DATA_DIR=str(tmp_path), NAAP_TRUSTED_PROXIES="lb.internal")
    assert result.returncode != 0
    assert "NAAP_TRUSTED_PROXIES must list IP addresses or networks" in result.stderr


def test_check_deploy_is_clean_with_production_environment(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            # The browser tests allow sync ORM calls beside Playwright's loop; production does not.
            **{
                k: v
                for k, v in os.environ.items()
                if k not in {"DEBUG", "SECURE_SSL_REDIRECT", "DJANGO_ALLOW_ASYNC_UNSAFE"}
            },
            "SECRET_KEY": "a-long-random-production-secret-" + "q8Zr2vLx" * 6,
            "ALLOWED_HOSTS": "plugins.example.test",
            "NAAP_DATA_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_a_hung_s3_store_fails_a_write_in_seconds(tmp_path):
    # A store that accepts connections and never answers.
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(16)
    try:
        code = (
            "import time, django; django.setup()\n"
            "from publishing.storage import store_asset\n"
            "started = time.monotonic()\n"
            "try:\n"
            "    store_asset(package_name='my-wallet', version='1.0.0', kind='bundle', "
            "content=b'x')\n"
            "except Exception as error:\n"
            "    print(type(error).__name__, type(error.__cause__).__name__,\n"
            "          round(time.monotonic() - started, 1))\n"
        )
        result = run(
            code,
            DEBUG="1",
            NAAP_DATA_DIR=str(tmp_path),
            AWS_STORAGE_BUCKET_NAME="plugins",
            AWS_S3_ENDPOINT_URL=f"http://127.0.0.1:{hung.getsockname()[1]}",
            AWS_ACCESS_KEY_ID="test",
            AWS_SECRET_ACCESS_KEY="test",
            AWS_S3_REGION_NAME="us-east-1",
            NAAP_S3_READ_TIMEOUT="1",
            NAAP_S3_ATTEMPTS="2",
        )
    finally:
        hung.close()
    assert result.returncode == 0, result.stderr
    error, cause, seconds = result.stdout.split()
    assert (error, cause) == ("StorageUnavailable", "ReadTimeoutError")
    assert float(seconds) < 2.8  # two tries of one second: NAAP_S3_ATTEMPTS counts them all
