"""Request lists for bench/requests.lua, made from the catalog's data.json.

One tab-separated file per run (METHOD, path, cookie, body) under the output folder. Plain
Python, no Django: it only reads data.json and bench/search_queries.txt.
Usage: python bench/request_files.py var/bench/data.json var/bench/requests
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from urllib.parse import quote, urlsplit

import make_data

HERE = Path(__file__).resolve().parent
# The catalog's categories, as bench/make_data.py assigns them.
CATEGORIES = make_data.CATEGORIES
API = "/api/v1"
SORTS = ["downloads", "newest", "name"]


def line(path: str, method: str = "GET", cookie: str = "", body: str = "") -> str:
    return f"{method}\t{path}\t{cookie}\t{body}"


def main() -> None:
    data = json.loads(Path(sys.argv[1]).read_text())
    out = Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    rng = random.Random(11)
    plugin, version = data["plugin"], data["pluginVersion"]
    names = data["names"]
    queries = [q for q in (HERE / "search_queries.txt").read_text().splitlines() if q.strip()]
    manifest = f"{API}/plugins/registry/{{}}/{{}}/manifest"
    # Browse pages: every sort of the front page and its third page, the categories, searches.
    browse = (
        ["/"]
        + [f"/?sort={sort}&page={page}" for sort in SORTS for page in (1, 3)]
        + [f"/?category={name}" for name in CATEGORIES]
        + [f"/?search={quote(query)}" for query in queries[:10]]
    )
    files = {
        "manifest_latest": [line(manifest.format(plugin, "latest"))],
        "manifest_exact": [line(manifest.format(plugin, version))],
        "bootstrap_5": [line(f"{API}/plugins/installed", cookie=data["five"])],
        "bootstrap_30": [line(f"{API}/plugins/installed", cookie=data["thirty"])],
        "personalized_5": [line(f"{API}/base/plugins/personalized", cookie=data["five"])],
        "personalized_30": [line(f"{API}/base/plugins/personalized", cookie=data["thirty"])],
        "search": [line(f"{API}/plugins/registry?search={quote(query)}") for query in queries],
        "category": [line(f"{API}/plugins/registry?category={name}") for name in CATEGORIES],
        "browse_page": [line(path) for path in browse],
        # The same pages for a person with 30 installed plugins: header and install badges.
        "browse_page_signed_in": [line(path, cookie=data["thirty"]) for path in browse],
        "detail_page": [line(f"/plugins/{name}/") for name in names],
        "cdn_bundle": [line(urlsplit(data["bundleUrl"]).path)],
        "static_manifest": [line("/manifest.json")],
        "static_bundle": [line("/bundle.js")],
    }
    # The mixed run: 90 % reads (manifests of many packages, bootstraps of 50 people, search,
    # detail pages), 10 % writes (installs by those people, preference changes of one of them).
    mixed = []
    for _ in range(1000):
        draw = rng.random()
        cookie = rng.choice(data["mixed"])
        if draw < 0.40:
            mixed.append(line(manifest.format(rng.choice(names), "latest")))
        elif draw < 0.70:
            mixed.append(line(f"{API}/plugins/installed", cookie=cookie))
        elif draw < 0.85:
            mixed.append(line(f"{API}/plugins/registry?search={quote(rng.choice(queries))}"))
        elif draw < 0.90:
            mixed.append(line(f"/plugins/{rng.choice(names)}/"))
        elif draw < 0.95:
            target = rng.choice(data["mixedInstallable"])
            mixed.append(line(f"{API}/plugins/{target}/install", "POST", cookie, "{}"))
        else:
            target = rng.choice(names[1:31])
            body = json.dumps({"order": rng.randint(-50, 50), "pinned": rng.random() < 0.2})
            mixed.append(line(f"{API}/plugins/{target}/preferences", "PUT", data["thirty"], body))
    files["mixed"] = mixed
    for name, lines in files.items():
        (out / f"{name}.tsv").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
