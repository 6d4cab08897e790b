"""SQL queries per request on the benchmark catalog, small result against large result.

Runs the endpoints in-process (Django's test client, the bench database and cache from the
environment) and prints, for each pair, the query counts: a count that grows with the result
size is an N+1. Usage: python bench/query_counts.py var/bench/data.json
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "naap.settings")


def main() -> None:
    import django

    django.setup()
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from registry.models import PluginPackage

    data = json.loads(Path(sys.argv[1]).read_text())
    few = PluginPackage.objects.filter(versions__isnull=False).order_by("pk").first()
    counts = PluginPackage.objects.values_list("name", flat=True)
    many_versions = max(
        counts[:200], key=lambda name: PluginPackage.objects.get(name=name).versions.count()
    )

    def count(path: str, cookie: str = "") -> tuple[int, int]:
        client = Client(headers={"host": "127.0.0.1"})
        if cookie:
            name, value = cookie.split("=", 1)
            client.cookies[name] = value
        cache.clear()
        with CaptureQueriesContext(connection) as context:
            response = client.get(path)
        return response.status_code, len(context.captured_queries)

    pairs = [
        (
            "bootstrap: 5 vs 30 plugins",
            ("/api/v1/plugins/installed", data["five"]),
            ("/api/v1/plugins/installed", data["thirty"]),
        ),
        (
            "search: 1 word vs 2 words",
            ("/api/v1/plugins/registry?search=faucet-kit", ""),
            ("/api/v1/plugins/registry?search=wallet", ""),
        ),
        (
            "API list: limit 5 vs 100",
            ("/api/v1/plugins/registry?limit=5", ""),
            ("/api/v1/plugins/registry?limit=100", ""),
        ),
        (
            "browse page: a search with few vs many matches",
            ("/?search=faucet-kit", ""),
            ("/?search=wallet", ""),
        ),
        ("browse page: first page vs page 20", ("/", ""), ("/?page=20", "")),
        (
            "detail page: few vs many versions",
            (f"/plugins/{few.name}/", ""),
            (f"/plugins/{many_versions}/", ""),
        ),
        (
            "manifest (cold cache): latest vs exact",
            (f"/api/v1/plugins/registry/{data['plugin']}/latest/manifest", ""),
            (f"/api/v1/plugins/registry/{data['plugin']}/1.0.0/manifest", ""),
        ),
    ]
    for label, small, large in pairs:
        small_status, small_count = count(*small)
        large_status, large_count = count(*large)
        print(
            f"{label}: {small_count} and {large_count} queries "
            f"(status {small_status}, {large_status}; BEGIN and COMMIT count as queries)"
        )


if __name__ == "__main__":
    main()
