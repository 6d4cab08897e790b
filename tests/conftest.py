"""Fixtures shared by the whole suite."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache


def pytest_configure(config) -> None:
    # Users are made in most tests; the production password hasher would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # WhiteNoise serves STATIC_ROOT when DEBUG is off and warns if the folder is missing.
    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)
    # Static files are served from source in tests; the hashed manifest is a deployment concern.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


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
