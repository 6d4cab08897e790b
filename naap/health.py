"""Liveness and readiness probes for load balancers and orchestrators."""

from __future__ import annotations

import uuid

from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET


def check_database() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_cache() -> None:
    probe = getattr(cache, "probe", None)
    if probe is not None:
        # Redis itself, even while this process skips it after a failure (naap.redis_cache).
        probe()
        return
    key = f"readyz:{uuid.uuid4().hex}"
    cache.set(key, "ok", timeout=10)
    if cache.get(key) != "ok":
        raise RuntimeError("the cache did not return what was just written")
    cache.delete(key)


def check_storage() -> None:
    # Writes and deletes a tiny object so a read-only or unreachable bucket is caught.
    storage = storages["plugins"]
    name = storage.save(f"readyz/{uuid.uuid4().hex}.txt", ContentFile(b"ok"))
    try:
        if not storage.exists(name):
            raise RuntimeError("an object just written could not be found")
    finally:
        storage.delete(name)


READINESS_CHECKS = {"database": check_database, "storage": check_storage, "cache": check_cache}


@require_GET
@never_cache
def healthz(request) -> JsonResponse:
    """The process is up and answering."""
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request) -> JsonResponse:
    """Database, storage and cache are reachable; 503 naming each one that is not."""
    checks: dict[str, str] = {}
    failed: dict[str, str] = {}
    for name, check in READINESS_CHECKS.items():
        try:
            check()
        except Exception as error:  # any failure means not ready; say which and why
            checks[name] = "error"
            failed[name] = f"{type(error).__name__}: {error}"
        else:
            checks[name] = "ok"
    if failed:
        return JsonResponse(
            {
                "status": "unavailable",
                "checks": checks,
                "errors": failed,
            },
            status=503,
        )
    return JsonResponse({"status": "ok", "checks": checks})
