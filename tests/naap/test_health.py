import os

import pytest

pytestmark = pytest.mark.django_db


def test_healthz_answers_while_the_process_is_up(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_checks_database_storage_and_cache(client, plugin_storage_in_tmp):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"] == {"database": "ok", "storage": "ok", "cache": "ok"}
    # The probe cleans up the object it wrote.
    leftovers = list(plugin_storage_in_tmp.rglob("*.txt")) if plugin_storage_in_tmp.exists() else []
    assert leftovers == []


def test_readyz_is_503_naming_an_unreachable_cache(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            # Nothing listens on port 1.
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.5},
        }
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["checks"] == {"database": "ok", "storage": "ok", "cache": "error"}
    assert "Connection" in body["errors"]["cache"]


def test_readyz_is_503_naming_a_broken_storage(client, settings, tmp_path):
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("a file where the asset directory should be")
    settings.STORAGES = {
        **settings.STORAGES,
        "plugins": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": not_a_directory, "base_url": "/cdn/"},
        },
    }
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["storage"] == "error"
    assert response.json()["checks"]["database"] == "ok"


def test_readyz_passes_with_the_real_redis_cache(client, settings):
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("NAAP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"),
        }
    }
    response = client.get("/readyz")
    assert response.status_code == 200, response.json()
    assert response.json()["checks"]["cache"] == "ok"
