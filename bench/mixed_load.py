"""Mixed load against gunicorn for a while, then a check that no acknowledged write was lost.

Sets up its own PostgreSQL database (dropped and made anew), a flushed Redis database
(REDIS_URL, DB 8 by default), local-disk assets in a temporary directory and, through the
real services (`manage.py shell`): people with sessions, verified publishers with API tokens,
published plugins installed by those people. Rate limits are raised out of the way: the run
measures correctness, not limits. Then gunicorn (DEBUG off, 4 sync workers by default) on a
free 127.0.0.1 port is driven by `--connections` client threads for `--seconds` with a mix
of manifest reads, shell bootstraps, registry searches, lists and details, pages, plugin
storage writes, installs and uninstalls, and publishes of new versions by token (MIX).

Every response is checked against the statuses its kind may answer (EXPECTED_STATUSES): any
5xx, connection error or other status is an error. After the run the database is read back
(`manage.py shell` again) and every acknowledged write is looked for: the last acknowledged
value of each stored key, the final state of each installation, each published version's row
and files. Each key, installation and version has one writer (one client thread), so "last
acknowledged" is well defined. A bootstrap that does not show what its client last
installed or uninstalled is counted as a stale read. Install counters and deployments are
checked against the rows they summarise. Exits 1 unless all of that is zero.

Usage: .venv/bin/python bench/mixed_load.py [--seconds 60] [--connections 64] [--workers 4]
       [--threads 1] [--people N] [--plugins 20] [--json] [--keep]
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.make_data import (  # noqa: E402
    CATEGORIES,
    manifest_for,
    package_names,
    session_cookie,
    small_bundle,
)
from bench.publish_time import (  # noqa: E402
    PYTHON,
    free_port,
    gunicorn_command,
    psql,
    server_env,
    wait_for,
)
from publishing.cli.client import FilePart, encode_multipart  # noqa: E402

DATABASE = "naap_bench_mixed"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/8"
API = "/api/v1"
SEARCH_QUERIES = [
    query for query in (ROOT / "bench" / "search_queries.txt").read_text().splitlines() if query
]
PUBLISHERS = 4
# Each client writes a few keys of a few plugins, so most writes overwrite a value.
STORAGE_PLUGINS = 3
STORAGE_KEYS_PER_CLIENT = 3
REQUEST_TIMEOUT_SECONDS = 30
CSRF_TOKEN = "mixedloadcsrftoken0123456789abcd"  # any 32 characters: cookie and header agree
# The `manage.py shell` steps (set_up_data, read_state) read their parameters from, and write
# their answer to, files named by these variables.
SPEC_VARIABLE = "MIXED_LOAD_SPEC"
OUT_VARIABLE = "MIXED_LOAD_OUT"

# --- what the clients send --------------------------------------------------------------------

MANIFEST = "manifest"
BOOTSTRAP = "bootstrap"
SEARCH = "search"
LIST = "list"
DETAIL = "detail"
BROWSE_PAGE = "browse page"
PLUGIN_PAGE = "plugin page"
STORAGE = "storage write"
INSTALL = "install"
UNINSTALL = "uninstall"
PUBLISH = "publish"
CHURN = "install/uninstall"  # one draw of the mix: an install or an uninstall, by state

# Percentages of the requests: 70 reads, 20 storage writes, 5 installs/uninstalls, 5 publishes.
MIX = {
    MANIFEST: 28,
    BOOTSTRAP: 14,
    SEARCH: 6,
    LIST: 4,
    DETAIL: 6,
    BROWSE_PAGE: 5,
    PLUGIN_PAGE: 7,
    STORAGE: 20,
    CHURN: 5,
    PUBLISH: 5,
}
KINDS = [kind for kind in MIX if kind != CHURN] + [INSTALL, UNINSTALL]

# What each kind may answer. Rate limits are raised, so 429 is an error everywhere; each
# publish is a new version, so 200 (an identical retry) and 409 are errors too.
EXPECTED_STATUSES: dict[str, frozenset[int]] = {
    MANIFEST: frozenset({200}),
    BOOTSTRAP: frozenset({200, 304}),  # 304: the client sends the ETag it last saw
    SEARCH: frozenset({200}),
    LIST: frozenset({200}),
    DETAIL: frozenset({200}),
    BROWSE_PAGE: frozenset({200}),
    PLUGIN_PAGE: frozenset({200}),
    STORAGE: frozenset({200, 201}),
    INSTALL: frozenset({201}),
    UNINSTALL: frozenset({200}),
    PUBLISH: frozenset({201}),
}
# After an install or uninstall whose outcome the client never learnt (a connection error or
# a 5xx), the next one may find it done: "already installed" or "not installed".
EXPECTED_AFTER_UNKNOWN: dict[str, frozenset[int]] = {
    INSTALL: frozenset({200, 201}),
    UNINSTALL: frozenset({200, 404}),
}
# Answers of a write that tell its effect is in place: uninstall's 404 says "not installed".
ACKNOWLEDGING: dict[str, frozenset[int]] = {
    STORAGE: frozenset({200, 201}),
    INSTALL: frozenset({200, 201}),
    UNINSTALL: frozenset({200, 404}),
    PUBLISH: frozenset({200, 201}),
}

ACKED = "acknowledged"
REFUSED = "refused"  # a 4xx: nothing may have been written
UNKNOWN = "unknown"  # a connection error or a 5xx: written or not


class Absent:
    """The value of a key, installation or version that does not exist."""

    def __repr__(self) -> str:
        return "absent"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Absent)

    def __hash__(self) -> int:
        return 0


ABSENT = Absent()
INSTALLED = "installed"
PUBLISHED = "published"


def expected_statuses(kind: str, *, state_known: bool = True) -> frozenset[int]:
    """The statuses a request of this kind may answer."""
    if not state_known and kind in EXPECTED_AFTER_UNKNOWN:
        return EXPECTED_AFTER_UNKNOWN[kind]
    return EXPECTED_STATUSES[kind]


def is_error(kind: str, status: int | None, *, state_known: bool = True) -> bool:
    """A connection error (None), any 5xx or a status the kind may not answer."""
    return (
        status is None
        or status >= 500
        or status not in expected_statuses(kind, state_known=state_known)
    )


def write_outcome(kind: str, status: int | None) -> str:
    """Whether a write's answer acknowledges it, refuses it or leaves it unknown."""
    if status is None or status >= 500:
        return UNKNOWN
    return ACKED if status in ACKNOWLEDGING[kind] else REFUSED


# --- the lost-write check -------------------------------------------------------------------


@dataclass(frozen=True)
class Attempt:
    """One write of a value to a target (a stored key, an installation, a version)."""

    target: tuple
    value: Any
    outcome: str


@dataclass(frozen=True)
class LostWrite:
    """A target whose value in the database is none of those the writes allow."""

    target: tuple
    allowed: list
    found: Any

    def __str__(self) -> str:
        found, allowed = repr(self.found)[:150], repr(self.allowed)[:300]
        return f"{'/'.join(map(str, self.target))}: found {found}, expected {allowed}"


def check_writes(
    initial: dict[tuple, Any], attempts: Iterable[Attempt], final: dict[tuple, Any]
) -> list[LostWrite]:
    """Targets whose final value is not what their writes leave.

    Each target has one writer, so its attempts are in the order they were made. The value
    must be the last acknowledged one (the initial value before any); a later attempt whose
    outcome is unknown may have replaced it, a refused one may not. A target nobody wrote
    keeps its initial value (absent when it had none).
    """
    allowed: dict[tuple, list] = {target: [value] for target, value in initial.items()}
    for attempt in attempts:
        values = allowed.setdefault(attempt.target, [initial.get(attempt.target, ABSENT)])
        if attempt.outcome == ACKED:
            values[:] = [attempt.value]
        elif attempt.outcome == UNKNOWN and attempt.value not in values:
            values.append(attempt.value)
    lost = []
    for target in sorted(set(allowed) | set(final), key=repr):
        values = allowed.get(target, [ABSENT])
        found = final.get(target, ABSENT)
        if found not in values:
            lost.append(LostWrite(target, values, found))
    return lost


def inconsistencies(state: dict) -> list[str]:
    """Summaries that disagree with the rows they summarise: install counters and deployments
    (every publish asks for a deploy, so the newest release must be the deployed one)."""
    problems = []
    for name, install_count, active_installs, rows in state["counters"]:
        if not install_count == active_installs == rows:
            problems.append(
                f"{name}: {rows} installations but install_count {install_count}, "
                f"active_installs {active_installs}"
            )
    for name, deployed, newest in state["deployments"]:
        if deployed != newest:
            problems.append(f"{name}: deployed {deployed}, newest release {newest}")
    return problems


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of values (0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = min(len(ordered), max(1, math.ceil(fraction * len(ordered))))
    return ordered[rank - 1]


def stale_plugins(installed: dict[str, bool | None], shown: set[str]) -> list[str]:
    """The plugins a bootstrap shows wrongly: installed ones missing, uninstalled ones shown
    (None: the client never learnt the outcome of its last change, so either is right)."""
    return sorted(
        name for name, state in installed.items() if state is not None and state != (name in shown)
    )


def churn_owner(person: int, plugin: int, *, connections: int, people: int) -> int | None:
    """The client that installs and uninstalls a person's plugin: clients act for person
    `client % people`, and a person's clients take turns over the plugins. None when no
    client acts for the person."""
    clients = list(range(person, connections, people))
    return clients[plugin % len(clients)] if clients else None


# --- the clients ----------------------------------------------------------------------------


@dataclass
class KindStats:
    """What the clients saw of one kind of request."""

    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    connection_errors: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    examples: list[str] = field(default_factory=list)

    def merge(self, other: KindStats) -> None:
        self.requests += other.requests
        self.statuses.update(other.statuses)
        self.connection_errors += other.connection_errors
        self.errors += other.errors
        self.latencies += other.latencies
        self.examples += other.examples[: max(0, 5 - len(self.examples))]

    def summary(self) -> dict:
        return {
            "requests": self.requests,
            "statuses": {str(status): count for status, count in sorted(self.statuses.items())},
            "connectionErrors": self.connection_errors,
            "errors": self.errors,
            "p50Ms": round(percentile(self.latencies, 0.50) * 1000, 1),
            "p99Ms": round(percentile(self.latencies, 0.99) * 1000, 1),
        }


@dataclass
class Response:
    status: int | None
    body: bytes = b""
    etag: str = ""


class LoadClient:
    """One connection's worth of traffic: a person's session, their own storage keys, the
    installations it alone changes and the versions it alone publishes."""

    def __init__(self, index: int, *, port: int, data: dict, connections: int, seed: int):
        self.index = index
        self.port = port
        self.data = data
        self.rng = random.Random(seed * 1000 + index)
        people = data["people"]
        self.person = people[index % len(people)]
        self.cookie = f"{self.person['cookie']}; csrftoken={CSRF_TOKEN}"
        self.stable = data["stable"]
        self.plugins = data["stable"] + data["churn"]
        person_index = index % len(people)
        # Plugin name -> installed (True/False), or None while an answer was never had.
        self.installed: dict[str, bool | None] = {
            name: name in self.person["installed"]
            for position, name in enumerate(data["churn"])
            if churn_owner(person_index, position, connections=connections, people=len(people))
            == index
        }
        self.stats = {kind: KindStats() for kind in KINDS}
        self.attempts: dict[str, list[Attempt]] = {STORAGE: [], INSTALL: [], PUBLISH: []}
        self.stale_reads = 0
        self.stale_examples: list[str] = []
        self.client_failures: list[str] = []
        self.writes = 0
        self.publishes = 0
        self.etag = ""
        self.etag_names: set[str] = set()
        self.connection = http.client.HTTPConnection(
            "127.0.0.1", port, timeout=REQUEST_TIMEOUT_SECONDS
        )

    # -- HTTP

    def send(
        self,
        kind: str,
        method: str,
        path: str,
        *,
        headers: dict[str, str] | None = None,
        body: bytes | None = None,
        state_known: bool = True,
    ) -> Response:
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body=body, headers=headers or {})
            raw = self.connection.getresponse()
            response = Response(raw.status, raw.read(), raw.getheader("ETag", ""))
        except (OSError, http.client.HTTPException) as error:
            self.connection.close()
            response = Response(None, repr(error).encode())
        elapsed = time.perf_counter() - started
        stats = self.stats[kind]
        stats.requests += 1
        stats.latencies.append(elapsed)
        if response.status is None:
            stats.connection_errors += 1
        else:
            stats.statuses[response.status] += 1
        if is_error(kind, response.status, state_known=state_known):
            text = response.body[:300].decode("utf-8", "replace")
            self.failed(kind, f"{method} {path} -> {response.status}: {text}")
        return response

    def failed(self, kind: str, example: str) -> None:
        stats = self.stats[kind]
        stats.errors += 1
        if len(stats.examples) < 5:
            stats.examples.append(example)

    def session_headers(self, *, write: bool = False) -> dict[str, str]:
        headers = {"Accept": "application/json", "Cookie": self.cookie}
        if write:
            headers.update({"Content-Type": "application/json", "X-CSRFToken": CSRF_TOKEN})
        return headers

    # -- the kinds of request

    def manifest(self) -> None:
        name = self.rng.choice(self.plugins)
        self.send(MANIFEST, "GET", f"{API}/plugins/registry/{name}/latest/manifest")

    def bootstrap(self) -> None:
        headers = self.session_headers()
        if self.etag:
            headers["If-None-Match"] = self.etag
        response = self.send(BOOTSTRAP, "GET", f"{API}/plugins/installed", headers=headers)
        if response.status == 200:
            try:
                names = {plugin["name"] for plugin in json.loads(response.body)["data"]["plugins"]}
            except (ValueError, KeyError, TypeError) as error:
                self.failed(BOOTSTRAP, f"a 200 bootstrap without its plugins: {error!r}")
                return
            self.etag, self.etag_names = response.etag, names
        elif response.status != 304:
            return
        wrong = stale_plugins(self.installed, self.etag_names)
        if wrong:
            self.stale_reads += 1
            if len(self.stale_examples) < 5:
                self.stale_examples.append(
                    f"{self.person['username']}: bootstrap ({response.status}) wrong about "
                    f"{', '.join(wrong)}"
                )

    def search(self) -> None:
        query = quote(self.rng.choice(SEARCH_QUERIES))
        self.send(SEARCH, "GET", f"{API}/plugins/registry?search={query}")

    def registry_list(self) -> None:
        if self.rng.random() < 0.5:
            path = f"{API}/plugins/registry?category={self.rng.choice(CATEGORIES)}"
        else:
            path = f"{API}/plugins/registry?sort=newest"
        self.send(LIST, "GET", path)

    def detail(self) -> None:
        self.send(DETAIL, "GET", f"{API}/plugins/registry/{self.rng.choice(self.plugins)}")

    def browse_page(self) -> None:
        query = quote(self.rng.choice(SEARCH_QUERIES))
        path = "/" if self.rng.random() < 0.5 else f"/?search={query}"
        self.send(BROWSE_PAGE, "GET", path)

    def plugin_page(self) -> None:
        headers = self.session_headers() if self.rng.random() < 0.5 else {}
        self.send(PLUGIN_PAGE, "GET", f"/plugins/{self.rng.choice(self.plugins)}/", headers=headers)

    def storage_write(self) -> None:
        name = self.rng.choice(self.stable[:STORAGE_PLUGINS])
        key = f"c{self.index}-k{self.rng.randrange(STORAGE_KEYS_PER_CLIENT)}"
        self.writes += 1
        value = {"client": self.index, "write": self.writes, "note": "x" * self.rng.randrange(200)}
        response = self.send(
            STORAGE,
            "PUT",
            f"{API}/plugins/{name}/storage/{key}",
            headers=self.session_headers(write=True),
            body=json.dumps({"value": value}).encode(),
        )
        target = (self.person["username"], name, key)
        self.attempts[STORAGE].append(
            Attempt(target, value, write_outcome(STORAGE, response.status))
        )

    def churn(self) -> None:
        if not self.installed:
            return self.storage_write()  # this client changes no installation
        name = self.rng.choice(sorted(self.installed))
        state = self.installed[name]
        if state:
            kind, method, path = UNINSTALL, "DELETE", f"{API}/plugins/{name}/uninstall"
        else:
            kind, method, path = INSTALL, "POST", f"{API}/plugins/{name}/install"
        response = self.send(
            kind,
            method,
            path,
            headers=self.session_headers(write=True),
            body=b"{}",
            state_known=state is not None,
        )
        outcome = write_outcome(kind, response.status)
        value = INSTALLED if kind == INSTALL else ABSENT
        target = (self.person["username"], name)
        self.attempts[INSTALL].append(Attempt(target, value, outcome))
        if outcome == ACKED:
            self.installed[name] = kind == INSTALL
        elif outcome == UNKNOWN:
            self.installed[name] = None

    def publish(self) -> None:
        name = self.rng.choice(self.plugins)
        self.publishes += 1
        # Unique per client and count: every publish is a new version.
        version = f"2.{self.publishes}.{self.index}"
        manifest = manifest_for(name, version, self.rng)
        bundle = small_bundle(name, version)
        segments, content_type = encode_multipart(
            [("manifest", json.dumps(manifest))],
            [FilePart("bundle", "index.js", "application/javascript", bundle)],
        )
        headers = {
            "Accept": "application/json",
            "Authorization": f"Bearer {self.data['tokens'][name]}",
            "Content-Type": content_type,
        }
        response = self.send(
            PUBLISH, "POST", f"{API}/plugins/publish", headers=headers, body=b"".join(segments)
        )
        outcome = write_outcome(PUBLISH, response.status)
        self.attempts[PUBLISH].append(Attempt((name, version), PUBLISHED, outcome))

    def run(self, deadline: float) -> None:
        kinds = list(MIX)
        weights = [MIX[kind] for kind in kinds]
        actions = {
            MANIFEST: self.manifest,
            BOOTSTRAP: self.bootstrap,
            SEARCH: self.search,
            LIST: self.registry_list,
            DETAIL: self.detail,
            BROWSE_PAGE: self.browse_page,
            PLUGIN_PAGE: self.plugin_page,
            STORAGE: self.storage_write,
            CHURN: self.churn,
            PUBLISH: self.publish,
        }
        while time.monotonic() < deadline:
            kind = self.rng.choices(kinds, weights)[0]
            try:
                actions[kind]()
            except Exception as error:  # a bug of this script: counted, and the run goes on
                self.client_failures.append(f"{kind}: {error!r}")
        self.connection.close()


# --- set-up and read-back in the server's environment (`manage.py shell`) ------------------


def set_up_data() -> None:
    """Publishers, plugins, people and their installs through the services; run by
    `manage.py shell` with the spec and the answer's path in the environment."""
    from django.contrib.auth import get_user_model

    from installs.services import install_plugin
    from publishing.services import (
        create_api_token,
        create_publisher,
        publish_version,
        verify_publisher,
    )

    spec = json.loads(Path(os.environ[SPEC_VARIABLE]).read_text())
    rng = random.Random(spec["seed"])
    users = get_user_model().objects
    staff = users.create_superuser("mixed-staff", "staff@example.test", None)
    tokens = []
    publishers = []
    for index in range(PUBLISHERS):
        owner = users.create_user(f"mixed-owner-{index}", f"o{index}@example.test", None)
        publisher = create_publisher(
            actor=owner, name=f"mixed-pub-{index}", display_name=f"Mixed Publisher {index}"
        )
        verify_publisher(actor=staff, publisher=publisher)
        _, secret = create_api_token(
            actor=owner, publisher=publisher, name="mixed", scopes=["publish"]
        )
        publishers.append((owner, publisher))
        tokens.append(secret)
    names = package_names(spec["plugins"], rng)
    token_of = {}
    for position, name in enumerate(names):
        owner, publisher = publishers[position % PUBLISHERS]
        manifest = manifest_for(name, "1.0.0", rng)
        publish_version(
            actor=owner, publisher=publisher, manifest=manifest, bundle=small_bundle(name, "1.0.0")
        )
        token_of[name] = tokens[position % PUBLISHERS]
    stable, churn = names[: len(names) // 2], names[len(names) // 2 :]
    people = []
    for index in range(spec["people"]):
        person = users.create_user(f"mixed-person-{index}", f"p{index}@example.test", None)
        installed = stable + [
            name for position, name in enumerate(churn) if (index + position) % 2 == 0
        ]
        for name in installed:
            install_plugin(actor=person, name=name)
        people.append(
            {"username": person.username, "cookie": session_cookie(person), "installed": installed}
        )
    answer = {"stable": stable, "churn": churn, "tokens": token_of, "people": people}
    Path(os.environ[OUT_VARIABLE]).write_text(json.dumps(answer))


def read_state() -> None:
    """What the database holds of the run's people and plugins, with each version's files
    checked in the asset store; run by `manage.py shell` like set_up_data."""
    from django.db.models import Count

    from installs.models import PluginStorageEntry, TenantPluginInstall
    from publishing.storage import asset_backend, sha256_hex
    from registry import semver
    from registry.models import PluginPackage, PluginVersion

    spec = json.loads(Path(os.environ[SPEC_VARIABLE]).read_text())
    people, names = spec["usernames"], spec["plugins"]
    storage = [
        [username, name, key, value]
        for username, name, key, value in PluginStorageEntry.objects.filter(
            user__username__in=people, package__name__in=names
        ).values_list("user__username", "package__name", "key", "value")
    ]
    installs = [
        list(row)
        for row in TenantPluginInstall.objects.filter(
            user__username__in=people, package__name__in=names
        ).values_list("user__username", "package__name")
    ]
    backend = asset_backend()
    versions = []
    releases: dict[str, list[str]] = {name: [] for name in names}
    for version in PluginVersion.objects.filter(package__name__in=names).select_related("package"):
        problems = []
        bundle = backend.read(version.bundle_key)
        if bundle is None:
            problems.append(f"bundle {version.bundle_key} missing")
        elif sha256_hex(bundle) != version.bundle_sha256:
            problems.append(f"bundle {version.bundle_key} has other bytes")
        if not version.manifest_key or backend.read(version.manifest_key) is None:
            problems.append(f"manifest.json {version.manifest_key or '(no key)'} missing")
        versions.append([version.package.name, version.version, "; ".join(problems)])
        if version.status == PluginVersion.Status.PUBLISHED and not version.is_prerelease:
            releases[version.package.name].append(version.version)
    packages = PluginPackage.objects.filter(name__in=names).select_related("deployment__version")
    counted = dict(
        TenantPluginInstall.objects.filter(package__name__in=names)
        .values_list("package__name")
        .annotate(rows=Count("pk"))
    )
    counters, deployments = [], []
    for package in packages:
        deployment = package.deployment
        counters.append(
            [
                package.name,
                package.install_count,
                deployment.active_installs,
                counted.get(package.name, 0),
            ]
        )
        newest = max(releases[package.name], key=lambda text: semver.parse(text).sort_key())
        deployed = deployment.version.version if deployment.version else None
        deployments.append([package.name, deployed, newest])
    state = {
        "storage": storage,
        "installs": installs,
        "versions": versions,
        "counters": counters,
        "deployments": deployments,
    }
    Path(os.environ[OUT_VARIABLE]).write_text(json.dumps(state))


def in_server_env(env: dict[str, str], function: str, spec: dict, work: Path) -> Any:
    """Run one of this module's functions under `manage.py shell` and return its answer."""
    spec_path, out_path = work / f"{function}.spec.json", work / f"{function}.out.json"
    spec_path.write_text(json.dumps(spec))
    subprocess.run(
        [
            PYTHON,
            "manage.py",
            "shell",
            "-c",
            f"from bench.mixed_load import {function}; {function}()",
        ],
        cwd=ROOT,
        env={**env, SPEC_VARIABLE: str(spec_path), OUT_VARIABLE: str(out_path)},
        check=True,
        stdout=sys.stderr,
    )
    return json.loads(out_path.read_text())


# --- the run --------------------------------------------------------------------------------


def process_cpu_seconds(pid: int) -> float:
    """User and system CPU time of a process and its children's live processes (gunicorn's
    master and workers), from /proc."""
    pids = [pid]
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        children = []
    pids += [int(child) for child in children]
    total = 0.0
    for one in pids:
        try:
            fields = Path(f"/proc/{one}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def drive(
    port: int, data: dict, *, seconds: float, connections: int, seed: int
) -> tuple[list[LoadClient], float]:
    """Run the clients until the deadline; the clients and the wall time they took."""
    clients = [
        LoadClient(index, port=port, data=data, connections=connections, seed=seed)
        for index in range(connections)
    ]
    started = time.monotonic()
    threads = [
        threading.Thread(
            target=client.run, args=(started + seconds,), name=f"client-{client.index}"
        )
        for client in clients
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return clients, time.monotonic() - started


def lost_writes(data: dict, clients: list[LoadClient], state: dict) -> dict[str, list[LostWrite]]:
    """The lost writes of each kind: storage values, installations and published versions."""
    storage_final = {tuple(row[:3]): row[3] for row in state["storage"]}
    install_initial = {
        (person["username"], name): INSTALLED
        for person in data["people"]
        for name in person["installed"]
    }
    install_final = {tuple(row): INSTALLED for row in state["installs"]}
    version_initial = {(name, "1.0.0"): PUBLISHED for name in data["stable"] + data["churn"]}
    version_final = {
        (name, version): problem or PUBLISHED for name, version, problem in state["versions"]
    }

    def attempts(kind: str) -> list[Attempt]:
        return [attempt for client in clients for attempt in client.attempts[kind]]

    return {
        STORAGE: check_writes({}, attempts(STORAGE), storage_final),
        INSTALL: check_writes(install_initial, attempts(INSTALL), install_final),
        PUBLISH: check_writes(version_initial, attempts(PUBLISH), version_final),
    }


def summarise(
    args: argparse.Namespace,
    clients: list[LoadClient],
    wall: float,
    lost: dict[str, list[LostWrite]],
    problems: list[str],
    cpu: dict[str, float],
    log: Path,
) -> dict:
    kinds = {kind: KindStats() for kind in KINDS}
    for client in clients:
        for kind, stats in client.stats.items():
            kinds[kind].merge(stats)
    total = sum(stats.requests for stats in kinds.values())
    errors = sum(stats.errors for stats in kinds.values())
    stale = sum(client.stale_reads for client in clients)
    client_failures = [failure for client in clients for failure in client.client_failures]
    lost_count = sum(len(items) for items in lost.values())
    acknowledged = {
        kind: sum(
            1 for client in clients for attempt in client.attempts[kind] if attempt.outcome == ACKED
        )
        for kind in (STORAGE, INSTALL, PUBLISH)
    }
    log_text = log.read_text(errors="replace") if log.exists() else ""
    return {
        "seconds": round(wall, 1),
        "connections": args.connections,
        "workers": args.workers,
        "threads": args.threads,
        "people": args.people,
        "plugins": args.plugins,
        "requests": total,
        "requestsPerSecond": round(total / wall, 1) if wall else 0.0,
        "errors": errors,
        "lostWrites": lost_count,
        "staleReads": stale,
        "clientFailures": len(client_failures),
        "inconsistencies": len(problems),
        "acknowledgedWrites": {
            "storage": acknowledged[STORAGE],
            "installsAndUninstalls": acknowledged[INSTALL],
            "publishes": acknowledged[PUBLISH],
        },
        "kinds": {kind: stats.summary() for kind, stats in kinds.items()},
        # CPU cores busy on average: the client is one Python process (one core at most).
        "clientCores": round(cpu["client"] / wall, 2) if wall else 0.0,
        "serverCores": round(cpu["server"] / wall, 2) if wall else 0.0,
        "serverTracebacks": log_text.count("Traceback"),
        "gunicornLog": str(log),
        "examples": {
            "errors": [example for stats in kinds.values() for example in stats.examples][:20],
            "lostWrites": [str(item) for items in lost.values() for item in items][:20],
            "staleReads": [example for client in clients for example in client.stale_examples][:20],
            "inconsistencies": problems[:20],
            "clientFailures": client_failures[:20],
        },
        "ok": not (errors or lost_count or stale or problems or client_failures),
    }


def print_report(summary: dict) -> None:
    print(
        f"{summary['requests']:,} requests in {summary['seconds']} s at {summary['connections']} "
        f"connections ({summary['workers']} workers x {summary['threads']} threads): "
        f"{summary['requestsPerSecond']:,} req/s; client {summary['clientCores']} cores, "
        f"server {summary['serverCores']} cores"
    )
    print(f"{'kind':<18}{'requests':>9}{'errors':>8}{'p50 ms':>9}{'p99 ms':>9}  statuses")
    for kind, stats in summary["kinds"].items():
        statuses = ", ".join(f"{status}: {count}" for status, count in stats["statuses"].items())
        if stats["connectionErrors"]:
            statuses += f", connection errors: {stats['connectionErrors']}"
        print(
            f"{kind:<18}{stats['requests']:>9,}{stats['errors']:>8}{stats['p50Ms']:>9}"
            f"{stats['p99Ms']:>9}  {statuses}"
        )
    acknowledged = summary["acknowledgedWrites"]
    print(
        f"acknowledged writes: {acknowledged['storage']:,} storage, "
        f"{acknowledged['installsAndUninstalls']:,} installs/uninstalls, "
        f"{acknowledged['publishes']:,} publishes"
    )
    print(
        f"errors {summary['errors']}, lost writes {summary['lostWrites']}, stale reads "
        f"{summary['staleReads']}, inconsistencies {summary['inconsistencies']}, client "
        f"failures {summary['clientFailures']}, server tracebacks "
        f"{summary['serverTracebacks']} ({summary['gunicornLog']})"
    )
    for title, examples in summary["examples"].items():
        for example in examples:
            print(f"  {title}: {example}")
    print("OK" if summary["ok"] else "FAILED")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=1, help="per worker (gthread when > 1)")
    parser.add_argument("--people", type=int, help="default: half the connections")
    parser.add_argument("--plugins", type=int, default=20)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database", default=DATABASE)
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL", DEFAULT_REDIS_URL))
    parser.add_argument(
        "--log", type=Path, default=ROOT / "var" / "bench" / "mixed_load.gunicorn.log"
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument("--keep", action="store_true", help="keep the database and data directory")
    args = parser.parse_args()
    args.people = args.people or max(1, args.connections // 2)
    if not args.database.startswith("naap_bench"):
        raise SystemExit("mixed_load.py only writes to databases named naap_bench*")

    import redis

    def say(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    data_dir = Path(tempfile.mkdtemp(prefix="naap-bench-mixed-"))
    env = {
        **server_env(data_dir=data_dir, database=args.database),
        "REDIS_URL": args.redis_url,
        "NAAP_THROTTLE_ANON_READ": "100000000/min",
        "NAAP_THROTTLE_USER_WRITE": "100000000/min",
        "NAAP_THROTTLE_PUBLISH": "100000000/min",
        "LOG_LEVEL": "WARNING",
    }
    server = None
    psql(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
    psql(f"CREATE DATABASE {args.database}")
    try:
        redis.Redis.from_url(args.redis_url).flushdb()
        say(f"setting up {args.database}, {args.redis_url} and {data_dir}")
        for command in (["migrate", "-v0"], ["collectstatic", "--no-input", "-v0"]):
            subprocess.run(
                [PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True, stdout=sys.stderr
            )
        spec = {"seed": args.seed, "plugins": args.plugins, "people": args.people}
        data = in_server_env(env, "set_up_data", spec, data_dir)

        port = free_port()
        args.log.parent.mkdir(parents=True, exist_ok=True)
        with args.log.open("w") as log:
            server = subprocess.Popen(
                gunicorn_command(port, workers=args.workers, threads=args.threads),
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=log,
            )
        wait_for(f"http://127.0.0.1:{port}/healthz", seconds=60)  # 4 workers on a busy machine
        say(f"driving 127.0.0.1:{port} for {args.seconds:g} s at {args.connections} connections")
        cpu_before = {"client": own_cpu_seconds(), "server": process_cpu_seconds(server.pid)}
        clients, wall = drive(
            port, data, seconds=args.seconds, connections=args.connections, seed=args.seed
        )
        cpu = {
            "client": own_cpu_seconds() - cpu_before["client"],
            "server": process_cpu_seconds(server.pid) - cpu_before["server"],
        }
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
        server = None

        say("reading the database back")
        usernames = [person["username"] for person in data["people"]]
        state = in_server_env(
            env,
            "read_state",
            {"usernames": usernames, "plugins": data["stable"] + data["churn"]},
            data_dir,
        )
        lost = lost_writes(data, clients, state)
        summary = summarise(args, clients, wall, lost, inconsistencies(state), cpu, args.log)
    finally:
        if server is not None:
            server.send_signal(signal.SIGTERM)
            server.wait(timeout=30)
        if args.keep:
            say(f"kept database {args.database} and {data_dir}")
        else:
            psql(f"DROP DATABASE IF EXISTS {args.database} WITH (FORCE)")
            shutil.rmtree(data_dir, ignore_errors=True)
    if args.json:
        print(json.dumps(summary, indent=1))
    else:
        print_report(summary)
    sys.exit(0 if summary["ok"] else 1)


if __name__ == "__main__":
    main()
