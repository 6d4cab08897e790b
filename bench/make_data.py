"""The benchmark catalog, made through the real services in a fresh PostgreSQL database.

10,000 packages with about 3 versions each (published with `publish_version`, which also fills
the search vectors), 2,000 users, 200 teams, 100,000 installs (`install_plugin`, personal and
team), 90 days of DownloadStat (bulk rows: no service writes history) and the totals they add
up to. Publishes and installs run in worker processes (one per core by default).

Re-runnable: the database is dropped and made anew. Settings come from the environment
(DATABASE_URL, REDIS_URL, NAAP_DATA_DIR, ...), as for the server that is measured after.
Writes a JSON file with what the load scripts need: package names, session cookies of a user
with 5 and one with 30 installed plugins, cookies for the mixed run, the 300 KB bundle's URL.

Usage: .venv/bin/python bench/make_data.py --out var/bench/data.json [--packages 10000] ...
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import secrets
import statistics
import subprocess
import sys
import time
import zlib
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "naap.settings")

from registry.names import global_name_for  # noqa: E402  (plain Python, no Django set-up)

WORDS = [
    "wallet",
    "gateway",
    "metrics",
    "chat",
    "notes",
    "ledger",
    "staking",
    "node",
    "relay",
    "storage",
    "video",
    "stream",
    "monitor",
    "alert",
    "invoice",
    "billing",
    "oracle",
    "bridge",
    "faucet",
    "explorer",
    "swap",
    "vault",
    "orchestrator",
    "transcoder",
    "pricing",
    "usage",
    "dashboard",
    "kanban",
    "calendar",
    "inbox",
    "search",
    "export",
    "backup",
    "audit",
    "status",
    "uptime",
    "latency",
    "payout",
    "reward",
    "ticket",
]
QUALIFIERS = ["lite", "pro", "plus", "kit", "hub", "view", "board", "tools", "center", "x"]
CATEGORIES = [
    "finance",
    "monitoring",
    "developer-tools",
    "analytics",
    "communication",
    "productivity",
    "security",
    "social",
    "ai",
    "other",
]
PHRASES = [
    "Keeps an eye on {a} and {b} for NaaP operators.",
    "A {a} panel with {b} charts, filters and CSV export.",
    "Track {a} across your nodes and get {b} alerts when something drifts.",
    "Manage {a} from the shell: search, bulk edits and a {b} timeline.",
    "Real-time {a} with {b} summaries, built for orchestrators and gateways.",
]
BUNDLE_KIB = 300


def django_setup() -> None:
    import django

    django.setup()


def small_bundle(name: str, version: str) -> bytes:
    return (
        f"var {global_name_for(name)} = (() => {{ function mount(c) {{ c.textContent = "
        f"'{name} {version}'; }} return {{ mount }}; }})();\n"
    ).encode()


def big_bundle(name: str) -> bytes:
    """A plain-JavaScript bundle of exactly BUNDLE_KIB KiB."""
    head = f"var {global_name_for(name)} = (() => {{\n  var payload = '';\n"
    tail = "  return { mount: function (c) { c.textContent = payload.length; } };\n})();\n"
    line = "  payload += 'abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz';\n"
    size = BUNDLE_KIB * 1024 - len(head) - len(tail)
    body = (line * (size // len(line) + 1))[:size]
    body = body[: body.rfind("\n") + 1]
    body += " " * (size - len(body) - 1) + "\n"
    return (head + body + tail).encode()


def package_names(count: int, rng: random.Random) -> list[str]:
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < count:
        parts = rng.sample(WORDS, rng.choice([1, 2, 2, 2, 3]))
        if rng.random() < 0.4:
            parts.append(rng.choice(QUALIFIERS))
        name = "-".join(parts)
        if name in seen or len(parts) == 1:
            name = f"{name}-{rng.randint(2, 999)}"
        if name in seen:
            continue
        seen.add(name)
        names.append(name)
    return names


def manifest_for(name: str, version: str, rng: random.Random) -> dict:
    words = [part for part in name.split("-") if part in WORDS] or ["plugin"]
    a = words[0]
    b = words[-1] if len(words) > 1 else rng.choice(WORDS)
    description = rng.choice(PHRASES).format(a=a, b=b)
    return {
        "name": name,
        "displayName": " ".join(part.title() for part in name.split("-")),
        "version": version,
        "description": description,
        "category": CATEGORIES[zlib.crc32(a.encode()) % len(CATEGORIES)],
        "keywords": sorted({a, b, rng.choice(WORDS)}),
        "frontend": {"routes": [f"/plugins/{name}", f"/plugins/{name}/*"]},
        "shell": {"minVersion": "1.0.0"},
    }


# --- worker processes ------------------------------------------------------------------------


def worker_init() -> None:
    django_setup()


def publish_packages(job: tuple[list[tuple[str, int]], int, int]) -> list[float]:
    """Publish every version of the given packages; returns per-call times in seconds."""
    from django.contrib.auth import get_user_model

    from publishing.services import publish_version
    from registry.models import Publisher

    packages, owner_id, seed = job
    rng = random.Random(seed)
    owner = get_user_model().objects.get(pk=owner_id)
    publishers = list(Publisher.objects.filter(memberships__user=owner).order_by("pk"))
    times = []
    for name, versions in packages:
        publisher = publishers[zlib.crc32(name.encode()) % len(publishers)]
        for minor in range(versions):
            version = f"1.{minor}.0"
            bundle = big_bundle(name) if name == "bench-bundle" else small_bundle(name, version)
            started = time.perf_counter()
            publish_version(
                actor=owner,
                publisher=publisher,
                manifest=manifest_for(name, version, rng),
                bundle=bundle,
            )
            times.append(time.perf_counter() - started)
    return times


def install_packages(job: list[tuple[int, int | None, list[str]]]) -> list[float]:
    """Run install_plugin for each (actor, team, names); returns per-call times in seconds."""
    from django.contrib.auth import get_user_model

    from installs.services import install_plugin

    users = get_user_model().objects
    times = []
    for actor_id, team_id, names in job:
        actor = users.get(pk=actor_id)
        for name in names:
            started = time.perf_counter()
            install_plugin(actor=actor, name=name, team_id=team_id)
            times.append(time.perf_counter() - started)
    return times


# --- the main process ------------------------------------------------------------------------


def psql(database: str, command: str) -> None:
    subprocess.run(
        ["psql", "-h", "127.0.0.1", "-U", "postgres", "-d", database, "-qc", command],
        check=True,
        capture_output=True,
    )


def session_cookie(user) -> str:
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    session = SessionStore()
    session["_auth_user_id"] = str(user.pk)
    session["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    session["_auth_user_hash"] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


def pick_distinct(rng: random.Random, names: list[str], weights: list[float], k: int) -> list[str]:
    """k distinct names, popular ones more often (a long-tailed catalog)."""
    chosen: dict[str, None] = {}
    while len(chosen) < k:
        for name in rng.choices(names, cum_weights=weights, k=k - len(chosen)):
            chosen[name] = None
    return list(chosen)[:k]


def split(items: list, parts: int) -> list[list]:
    return [items[index::parts] for index in range(parts)]


def run_parallel(function, jobs: list, workers: int) -> list[float]:
    from django.db import connections

    connections.close_all()
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, initializer=worker_init) as pool:
        results = pool.map(function, jobs)
    return [value for result in results for value in result]


def describe(label: str, times: list[float], wall: float) -> str:
    mean = statistics.fmean(times) * 1000
    median = statistics.median(times) * 1000
    return (
        f"{label}: {len(times):,} calls in {wall:.0f} s wall; per call mean {mean:.1f} ms, "
        f"median {median:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", default=str(ROOT / "var" / "bench" / "data.json"))
    parser.add_argument("--packages", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--teams", type=int, default=200)
    parser.add_argument("--installs", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=90)
    # One more process than cores: each spends part of every call waiting on PostgreSQL.
    parser.add_argument("--workers", type=int, default=(os.cpu_count() or 2) + 1)
    parser.add_argument("--publishers", type=int, default=40)
    args = parser.parse_args()
    started = time.perf_counter()
    database_url = os.environ["DATABASE_URL"]
    database = urlsplit(database_url).path.lstrip("/")
    if not database.startswith("naap_bench"):
        raise SystemExit("make_data.py only writes to databases named naap_bench*")

    psql("postgres", f"DROP DATABASE IF EXISTS {database} WITH (FORCE)")
    psql("postgres", f"CREATE DATABASE {database}")
    # Loading only: commits need not wait for the WAL flush. Reset before anything is measured.
    psql("postgres", f"ALTER DATABASE {database} SET synchronous_commit = off")
    python = sys.executable
    subprocess.run([python, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True)
    django_setup()
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from django.db.models import Sum

    from installs.models import Team, TeamMembership
    from publishing.services import create_api_token, create_publisher, verify_publisher
    from registry.models import (
        DownloadStat,
        PluginDeployment,
        PluginPackage,
        PluginVersion,
        Publisher,
    )

    cache.clear()
    rng = random.Random(7)
    users = get_user_model().objects
    # A superuser: verifying publishers needs the registry.verify_publisher permission.
    staff = users.create_superuser("bench-staff", "staff@example.test", None)
    owner = users.create_user("bench-owner", "owner@example.test", None)
    for index in range(args.publishers):
        publisher = create_publisher(
            actor=owner, name=f"bench-pub-{index}", display_name=f"Bench Publisher {index}"
        )
        verify_publisher(actor=staff, publisher=publisher)

    # Publishes: names and version counts drawn here, so every run makes the same catalog.
    names = ["bench-bundle", *package_names(args.packages - 1, rng)]
    versions = [rng.choice([2, 3, 3, 4]) for _ in names]
    jobs = [
        (part, owner.pk, seed)
        for seed, part in enumerate(split(list(zip(names, versions, strict=True)), args.workers))
    ]
    phase = time.perf_counter()
    publish_times = run_parallel(publish_packages, jobs, args.workers)
    report = [describe("publish_version", publish_times, time.perf_counter() - phase)]
    print(report[-1], file=sys.stderr)

    # People and teams: users have no password (no hashing cost); teams have no service.
    people = [
        users.create_user(f"bench-user-{index}", f"u{index}@example.test", None)
        for index in range(args.users)
    ]
    five, thirty = people[0], people[1]
    teams = []
    for index in range(args.teams):
        team = Team.objects.create(name=f"bench-team-{index}", display_name=f"Team {index}")
        members = rng.sample(people[2:], 10)
        TeamMembership.objects.bulk_create(
            TeamMembership(team=team, user=user, role="admin" if position == 0 else "member")
            for position, user in enumerate(members)
        )
        teams.append((team, members[0]))

    # Installs: popularity follows 1/rank, so a few packages are everywhere and most are rare.
    popular = names[:]
    rng.shuffle(popular)
    cumulative, total = [], 0.0
    for rank in range(len(popular)):
        total += 1 / (rank + 10)
        cumulative.append(total)
    per_team = 50
    team_installs = per_team * len(teams)
    personal = args.installs - team_installs - 35
    others = people[2:]
    base, extra = divmod(personal, len(others))
    work: list[tuple[int, int | None, list[str]]] = [
        (five.pk, None, names[1:6]),
        (thirty.pk, None, names[1:31]),
    ]
    for position, user in enumerate(others):
        count = base + (1 if position < extra else 0)
        work.append((user.pk, None, pick_distinct(rng, popular, cumulative, count)))
    for team, admin in teams:
        work.append((admin.pk, team.pk, pick_distinct(rng, popular, cumulative, per_team)))
    phase = time.perf_counter()
    install_times = run_parallel(install_packages, split(work, args.workers), args.workers)
    report.append(describe("install_plugin", install_times, time.perf_counter() - phase))
    print(report[-1], file=sys.stderr)

    # 90 days of history for each package's deployed version, heavier for popular packages.
    phase = time.perf_counter()
    deployed = dict(PluginDeployment.objects.values_list("package__name", "version_id"))
    package_ids = dict(PluginPackage.objects.values_list("name", "pk"))
    today = date.today()
    rows = []
    for rank, name in enumerate(popular):
        daily = max(1, int(5000 / (rank + 10)))
        chance = min(1.0, 0.15 + 30 / (rank + 30))
        for offset in range(1, args.days + 1):
            if rng.random() < chance:
                rows.append(
                    DownloadStat(
                        package_id=package_ids[name],
                        version_id=deployed[name],
                        day=today - timedelta(days=offset),
                        count=rng.randint(daily // 2 + 1, daily * 2),
                    )
                )
    DownloadStat.objects.bulk_create(rows, batch_size=5000)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE registry_pluginversion v SET downloads = s.total FROM "
            "(SELECT version_id, SUM(count) AS total FROM registry_downloadstat "
            "GROUP BY version_id) s WHERE s.version_id = v.id"
        )
        cursor.execute(
            "UPDATE registry_pluginpackage p SET downloads = s.total FROM "
            "(SELECT package_id, SUM(count) AS total FROM registry_downloadstat "
            "GROUP BY package_id) s WHERE s.package_id = p.id"
        )
    report.append(f"DownloadStat: {len(rows):,} rows in {time.perf_counter() - phase:.0f} s")
    print(report[-1], file=sys.stderr)

    mixed = [session_cookie(user) for user in others[:50]]
    token_owner = Publisher.objects.get(name="bench-pub-0")
    _, publish_token = create_api_token(
        actor=owner, publisher=token_owner, name="bench", scopes=["publish"]
    )
    bundle = PluginVersion.objects.get(package__name="bench-bundle", version="1.0.0")
    data = {
        "packages": PluginPackage.objects.count(),
        "versions": PluginVersion.objects.count(),
        "installs": PluginPackage.objects.aggregate(total=Sum("install_count"))["total"],
        "downloadStats": len(rows),
        "plugin": names[1],
        "pluginVersion": "1.0.0",
        "bundleUrl": bundle.bundle_url,
        "bundleKey": bundle.bundle_key,
        "five": session_cookie(five),
        "thirty": session_cookie(thirty),
        "mixed": mixed,
        "mixedInstallable": popular[-2000:],
        "names": names[:200],
        "csrf": secrets.token_hex(16),
        "publishToken": publish_token,
        "report": report,
        "seconds": round(time.perf_counter() - started),
    }
    connection.close()
    psql(database, "VACUUM ANALYZE")
    psql("postgres", f"ALTER DATABASE {database} RESET synchronous_commit")
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(data, indent=1))
    summary = (
        f"catalog ready in {data['seconds']} s: {data['packages']:,} packages, "
        f"{data['versions']:,} versions, {data['installs']:,} installs"
    )
    print(summary, file=sys.stderr)


if __name__ == "__main__":
    main()
