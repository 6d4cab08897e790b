"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache


def pytest_configure(config) -> None:
    # `naap-plugin build` keeps the npm packages it installs in the project's var/, so later
    # runs (and later tests) reuse them (publishing/cli/npm.py).
    os.environ.setdefault(
        "NAAP_PLUGIN_CACHE_DIR", str(Path(__file__).resolve().parents[1] / "var" / "naap-plugin")
    )
    # Users are made in most tests; the production password hasher would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # WhiteNoise serves STATIC_ROOT when DEBUG is off and warns if the folder is missing.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    # A live server (LiveServerThread) serves MEDIA_URL straight from MEDIA_ROOT, in front of
    # every view: keep it off /cdn/, so plugin files go through publishing.cdn_views there too
    # (its headers, and its refusal of files in review without a signature).
    settings.MEDIA_URL = "/test-media-not-served/"
    # Static files are served from source in tests; the hashed manifest is a deployment concern.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    allow_any_origin_on_live_server_static_files()


def allow_any_origin_on_live_server_static_files() -> None:
    """pytest-django's live server answers /static/ with Django's StaticFilesHandler, in front
    of WhiteNoise; give its answers the header WhiteNoise sends on every static file
    (Access-Control-Allow-Origin: *, tested in tests/shell/test_pages.py), which the sandboxed
    shell frame needs to import shell.js."""
    from django.contrib.staticfiles.handlers import StaticFilesHandler

    if getattr(StaticFilesHandler.serve, "allows_any_origin", False):
        return
    original = StaticFilesHandler.serve

    def serve(self, request):
        response = original(self, request)
        response["Access-Control-Allow-Origin"] = "*"
        return response

    serve.allows_any_origin = True
    StaticFilesHandler.serve = serve


@pytest.fixture(autouse=True)
def plugin_storage_in_tmp(tmp_path, settings):
    """Every test gets its own empty local asset store, served under /cdn/."""
    settings.MEDIA_ROOT = tmp_path / "cdn"
    settings.STORAGES = {
        **settings.STORAGES,
        "plugins": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "cdn", "base_url": "/cdn/"},
        },
    }
    return tmp_path / "cdn"


@pytest.fixture(autouse=True)
def empty_cache():
    """Cached manifests and throttle counters never leak from one test into another."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def fresh_statement_templates(monkeypatch):
    """The listing's kept statements (registry.ranked_statements) start empty in every test, so
    a test's query count does not depend on which tests ran before it."""
    from registry import ranked_statements

    monkeypatch.setattr(ranked_statements, "_templates", {})
    monkeypatch.setattr(ranked_statements, "_row_templates", {})


@pytest.fixture(params=["locmem", "redis"])
def cache_backend(request, settings):
    """The test once with the local-memory cache and once with the real Redis server
    (NAAP_TEST_REDIS_URL, as CI sets it), through our Redis backend."""
    if request.param == "redis":
        settings.CACHES = {
            "default": {
                "BACKEND": "naap.redis_cache.NaapRedisCache",
                "LOCATION": os.environ.get("NAAP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
                "KEY_PREFIX": f"test-{os.getpid()}",
            }
        }
    cache.clear()
    yield request.param
    cache.clear()


@pytest.fixture
def django_app():
    """Django's WSGI handler behind the hot paths, counting the requests it answers."""
    from tests.wsgi import CountingDjango

    return CountingDjango()
