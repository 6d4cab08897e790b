"""The API answers what its OpenAPI schema says: schemathesis against a live gunicorn.

The app runs as in production (gunicorn, naap.wsgi with the hot paths, DEBUG off, Redis as
the cache) on the test database, seeded through the real services: a person with a team,
a verified publisher, published plugins, installs, a stored value and an API token.
Schemathesis reads /api/v1/schema/ from the server and sends every operation its examples,
its coverage cases (boundaries and wrong types) and fuzzed cases, once with no credentials,
once with the publisher's token and once with the person's session, and checks each answer:
no server error, a documented status code, the documented content type, and a body that
matches the documented schema. Bounded (MAX_EXAMPLES per operation) and deterministic
(schemathesis's deterministic generation: the same cases on every run).
"""

from __future__ import annotations

import json
import os
import re
import secrets
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client

from installs.services import install_plugin
from installs.storage_services import set_storage_value
from publishing.services import create_api_token
from tests.factories import (
    make_publisher,
    make_team,
    make_user,
    plugin_bundle,
    plugin_manifest,
    publish,
)
from tests.live import ROOT, Gunicorn, running_gunicorn

CHECKS = [
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
]
# Fuzzed cases per operation: ~3,900 cases in all, about 1.5 minutes on a 2-core machine.
# NAAP_CONTRACT_EXAMPLES runs a deeper search by hand.
MAX_EXAMPLES = int(os.environ.get("NAAP_CONTRACT_EXAMPLES", "30"))
ALPHA_VERSIONS = ["1.0.0", "1.1.0", "1.2.0", "1.3.0", "1.4.0"]
GAMMA_VERSIONS = ["1.0.0", "1.1.0"]
# High enough that the run is never throttled: 429 is documented, but a run of 429s tests
# nothing else. tests/naap/test_throttles.py covers the limits.
UNTHROTTLED = {
    "NAAP_THROTTLE_ANON_READ": "1000000/min",
    "NAAP_THROTTLE_USER_WRITE": "1000000/min",
    "NAAP_THROTTLE_PUBLISH": "1000000/hour",
}

OPEN_READS = {
    "GET /api/v1/plugins/registry",
    "GET /api/v1/plugins/registry/{name}",
    "GET /api/v1/plugins/registry/{name}/{version}/manifest",
    "GET /api/v1/plugins/{name}/deployment",
    "GET /api/v1/registry/packages",
}
TOKEN_WRITES = {
    "POST /api/v1/plugins/publish",
    "POST /api/v1/plugins/{name}/versions/{version}/deprecate",
    "POST /api/v1/plugins/{name}/versions/{version}/yank",
    "POST /api/v1/plugins/{name}/rollback",
}
PERSON_ROUTES = {
    "POST /api/v1/publishers",
    "GET /api/v1/tokens",
    "POST /api/v1/tokens",
    "DELETE /api/v1/tokens/{token_id}",
    "GET /api/v1/plugins/installed",
    "GET /api/v1/base/plugins/personalized",
    "GET /api/v1/plugins/{name}/config",
    "POST /api/v1/plugins/{name}/install",
    "DELETE /api/v1/plugins/{name}/uninstall",
    "PUT /api/v1/plugins/{name}/config",
    "PUT /api/v1/plugins/{name}/preferences",
    "GET /api/v1/plugins/{name}/storage",
    "GET /api/v1/plugins/{name}/storage/{key}",
    "PUT /api/v1/plugins/{name}/storage/{key}",
    "DELETE /api/v1/plugins/{name}/storage/{key}",
}
# Reads of the publisher's own numbers: its token (read scope) or a member's session.
PUBLISHER_READS = {"GET /api/v1/plugins/{name}/analytics"}
# The operations each run must see succeed at least once (a person's session publishes
# nothing: publishing takes a token, or staff).
SUCCEEDS = {
    "anonymous": OPEN_READS,
    "token": OPEN_READS | TOKEN_WRITES | PUBLISHER_READS,
    "session": OPEN_READS
    | (TOKEN_WRITES - {"POST /api/v1/plugins/publish"})
    | PERSON_ROUTES
    | PUBLISHER_READS,
}


@dataclass
class ContractApi:
    url: str
    known: dict
    token: str
    session_id: str
    csrf_token: str
    server: Gunicorn


def seed() -> tuple[dict, str]:
    """Rows for the run to find, through the real services; the known values and the token."""
    person = make_user("contract-person")
    publisher = make_publisher("contract-pub", owner=person)
    # Five versions, so some are left to roll back to after the run yanked others.
    for version in ALPHA_VERSIONS:
        publish("contract-alpha", version, actor=person, publisher=publisher)
    publish(
        "contract-beta",
        "1.0.0",
        actor=person,
        publisher=publisher,
        config={"schema": {"greeting": {"type": "string", "default": "hi"}}},
    )
    team = make_team("contract-team", admin=person)
    install_plugin(actor=person, name="contract-alpha", team_id=None, config=None)
    install_plugin(actor=person, name="contract-beta", team_id=team.pk, config=None)
    set_storage_value(actor=person, name="contract-alpha", key="greeting", value={"hi": 1})
    token, secret = create_api_token(
        actor=person, publisher=publisher, name="contract", scopes=["read", "publish", "admin"]
    )
    known = {
        "path": {
            "name": ["contract-alpha", "contract-beta"],
            "version": [*ALPHA_VERSIONS, "latest"],
            "key": ["greeting"],
            "token_id": [token.pk],
        },
        "query": {"teamId": [team.pk]},
        "body": {
            "teamId": [team.pk],
            "version": ALPHA_VERSIONS,
            "publisher": ["contract-pub"],
            "scopes": [["read"], ["publish", "admin"]],
            "packages": [["contract-alpha"]],
            # A publish the token may make: a new plugin, then a new version, then retries.
            "manifest": [json.dumps(plugin_manifest("contract-gamma", v)) for v in GAMMA_VERSIONS],
            "bundle": [plugin_bundle("contract-gamma").decode()],
        },
    }
    return known, secret


def sign_in() -> tuple[str, str]:
    """A session of the seeded person (as the login page makes it) and a CSRF secret; the
    cookies are Secure with DEBUG off, so the run sends them as plain headers."""
    client = Client()
    client.force_login(User.objects.get(username="contract-person"))
    return client.cookies[settings.SESSION_COOKIE_NAME].value, secrets.token_hex(16)


@pytest.fixture
def contract_api(transactional_db, tmp_path):
    known, secret = seed()
    session_id, csrf_token = sign_in()
    redis_url = os.environ.get("NAAP_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    redis.Redis.from_url(redis_url).flushdb()
    (tmp_path / "static").mkdir()  # STATIC_ROOT: the API serves no static file
    try:
        # Its data directory's cdn/ is the seeded plugins' asset store.
        with running_gunicorn(tmp_path, workers=2, REDIS_URL=redis_url, **UNTHROTTLED) as server:
            yield ContractApi(server.url, known, secret, session_id, csrf_token, server)
    finally:
        redis.Redis.from_url(redis_url).flushdb()


def run_schemathesis(api: ContractApi, headers: dict[str, str], tmp_path: Path):
    """One bounded, deterministic schemathesis run over every operation; its exit code and
    output (its events go to tmp_path/events.ndjson)."""
    command = [sys.executable, "-m", "schemathesis.cli", "run", f"{api.url}/api/v1/schema/"]
    command += ["--checks", ",".join(CHECKS), "--max-examples", str(MAX_EXAMPLES)]
    command += ["--generation-deterministic"]
    command += ["--phases", "examples,coverage,fuzzing", "--workers", "1"]
    # Credentials are the ones given here, not made up from the security schemes.
    command += ["--generation-with-security-parameters", "false", "--no-color"]
    command += ["--report", "ndjson", "--report-ndjson-path", str(tmp_path / "events.ndjson")]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    return subprocess.run(
        command,
        cwd=tmp_path,
        env={
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "SCHEMATHESIS_HOOKS": "tests.contract_hooks",
            "NAAP_CONTRACT_KNOWN": json.dumps(api.known),
        },
        capture_output=True,
        text=True,
    )


def summary(output: str) -> dict[str, int]:
    """Operations selected and tested, and cases generated, from the run's summary."""
    selected = re.search(r"Selected: (\d+)/(\d+)", output)
    tested = re.search(r"Tested: (\d+)", output)
    cases = re.search(r"(\d+) generated", output)
    assert selected and tested and cases, output[-3000:]
    return {
        "operations": int(selected.group(2)),
        "selected": int(selected.group(1)),
        "tested": int(tested.group(1)),
        "cases": int(cases.group(1)),
    }


def statuses_answered(events: Path) -> dict[str, Counter]:
    """The statuses each operation answered to its own method, from the run's event report
    (the coverage phase also tries other methods on each path)."""
    answered: dict[str, Counter] = defaultdict(Counter)
    for line in events.read_text().splitlines():
        finished = json.loads(line).get("ScenarioFinished")
        if not finished:
            continue
        label = finished["recorder"]["label"]
        for interaction in finished["recorder"].get("interactions", {}).values():
            response = interaction["response"]
            if response and interaction["request"]["method"] == label.split()[0]:
                answered[label][response["status_code"]] += 1
    return answered


def server_errors(server: Gunicorn) -> str:
    """The server's logged errors with their tracebacks (not its 4xx warnings)."""
    lines = [line for line in server.log().splitlines() if " WARNING " not in line]
    return "--- server errors ---\n" + "\n".join(lines)[-8000:]


def credentials(api: ContractApi, auth: str) -> dict[str, str]:
    if auth == "token":
        return {"Authorization": f"Bearer {api.token}"}
    if auth == "session":
        return {
            "Cookie": f"sessionid={api.session_id}; csrftoken={api.csrf_token}",
            "X-CSRFToken": api.csrf_token,
        }
    return {}


@pytest.mark.parametrize("auth", ["anonymous", "token", "session"])
def test_every_operation_answers_as_the_schema_says(contract_api, tmp_path, auth):
    result = run_schemathesis(contract_api, credentials(contract_api, auth), tmp_path)
    output = result.stdout + result.stderr
    counts = summary(output)
    print(f"schemathesis ({auth}): {counts}")
    assert result.returncode == 0, f"{output[-20000:]}\n{server_errors(contract_api.server)}"
    assert counts["selected"] == counts["tested"] == counts["operations"] >= 20, counts
    assert counts["cases"] >= counts["operations"] * 5, counts
    # The seeded rows were reached: each operation these credentials may use succeeded.
    answered = statuses_answered(tmp_path / "events.ndjson")
    print("\n".join(f"  {label}: {dict(sorted(answered[label].items()))}" for label in answered))
    succeeded = {label for label, seen in answered.items() if any(200 <= s < 300 for s in seen)}
    assert SUCCEEDS[auth] <= succeeded, SUCCEEDS[auth] - succeeded
