"""`naap-plugin` publish, deprecate, yank, rollback and status.

Two kinds of tests. The client's HTTP behaviour (retries, backoff, error lines, --json,
--dry-run) is checked against a small scripted HTTP server in a thread, because what is under
test is the client and some answers (a 503, a dropped connection) are awkward to provoke from
the real registry. The end-to-end tests at the bottom run the real CLI in a subprocess against
the real registry (pytest-django's live_server).
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import requests

from publishing.cli import main
from publishing.cli.client import UploadBody, encode_multipart
from publishing.cli.output import Ui
from tests.publishing.test_cli_build import run_cli as run_cli_process

REPOSITORY = Path(__file__).resolve().parents[2]
EXAMPLES = REPOSITORY / "examples"


# ---------------------------------------------------------------------------------------------
# A scripted registry


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict:
        return json.loads(self.body)

    def form(self) -> dict[str, bytes]:
        """The multipart fields and files by name (file parts also keep their filename)."""
        head = f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + self.body)
        parts = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            parts[name] = part.get_payload(decode=True)
            if part.get_filename():
                parts[f"{name}.filename"] = part.get_filename().encode()
        return parts


@dataclass
class Reply:
    status: int
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None


@dataclass
class FakeRegistry:
    url: str
    replies: list[Reply]
    requests: list[RecordedRequest]

    def reply(self, status: int, body: object = None, **headers: str) -> None:
        self.replies.append(
            Reply(status, body, {k.replace("_", "-"): v for k, v in headers.items()})
        )

    def reply_raw(self, status: int, raw: bytes) -> None:
        self.replies.append(Reply(status, raw=raw))


def envelope(data: object) -> dict:
    return {"success": True, "data": data}


def failure(code: str, message: str, fields: dict | None = None) -> dict:
    error = {"code": code, "message": message}
    if fields:
        error["details"] = {"fields": fields}
    return {"success": False, "error": error}


@pytest.fixture
def registry():
    """A registry stand-in answering each request with the next scripted reply."""
    replies: list[Reply] = []
    recorded: list[RecordedRequest] = []

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            recorded.append(RecordedRequest(self.command, self.path, dict(self.headers), body))
            reply = (
                replies.pop(0) if replies else Reply(500, failure("INTERNAL_ERROR", "unscripted"))
            )
            payload = reply.raw if reply.raw is not None else json.dumps(reply.body).encode()
            self.send_response(reply.status)
            self.send_header(
                "Content-Type", "text/html" if reply.raw is not None else "application/json"
            )
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _answer

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield FakeRegistry(f"http://127.0.0.1:{server.server_address[1]}", replies, recorded)
    server.shutdown()
    server.server_close()


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    """Backoff pauses are recorded instead of slept."""
    pauses: list[float] = []
    monkeypatch.setattr("publishing.cli.client.time.sleep", pauses.append)
    return pauses


@pytest.fixture
def hello_world(tmp_path) -> Path:
    """A copy of examples/hello-world (a prebuilt plain-JS plugin: no Node.js needed)."""
    target = tmp_path / "hello-world"
    shutil.copytree(EXAMPLES / "hello-world", target, ignore=shutil.ignore_patterns("dist"))
    return target


@pytest.fixture(autouse=True)
def no_registry_environment(monkeypatch):
    """The developer's own NAAP_REGISTRY_* variables never leak into a test."""
    monkeypatch.delenv("NAAP_REGISTRY_URL", raising=False)
    monkeypatch.delenv("NAAP_REGISTRY_TOKEN", raising=False)


def published(status: str = "published", findings: list | None = None) -> dict:
    """The data of a successful publish answer, as the registry sends it."""
    return {
        "package": {"name": "hello-world", "displayName": "Hello World"},
        "version": {
            "version": "1.0.0",
            "status": status,
            "findings": findings or [],
            "bundleUrl": "http://cdn.example.test/plugins/hello-world/1.0.0/bundle.0b8a9650.js",
        },
        "deployment": {"package": "hello-world", "version": "1.0.0"}
        if status == "published"
        else None,
        "warnings": [],
    }


def publish(directory: Path, registry: FakeRegistry, *extra: str) -> int:
    return main(
        ["publish", str(directory), "--registry", registry.url, "--token", "naap_t", *extra]
    )


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


# ---------------------------------------------------------------------------------------------
# publish against the scripted registry


def test_publish_uploads_the_manifest_text_and_built_files_with_the_bearer_token(
    registry, sleeps, hello_world, capsys
):
    registry.reply(201, envelope(published()))
    code = publish(hello_world, registry, "--release-notes", "First release", "--no-deploy")
    out = capsys.readouterr().out
    assert code == 0
    [request] = registry.requests
    assert request.method == "POST"
    assert request.path == "/api/v1/plugins/publish"
    assert request.headers["Authorization"] == "Bearer naap_t"
    assert request.headers["Content-Type"].startswith("multipart/form-data; boundary=")
    form = request.form()
    assert form["manifest"].decode() == (hello_world / "plugin.json").read_text()
    bundle = (hello_world / "index.js").read_bytes()
    assert form["bundle"] == bundle
    digest = hashlib.sha256(bundle).hexdigest()
    assert form["bundle.filename"] == f"bundle.{digest[:8]}.js".encode()
    assert form["releaseNotes"] == b"First release"
    assert form["deploy"] == b"false"
    assert "styles" not in form and "sourcemap" not in form
    assert "published hello-world@1.0.0" in out
    manifest_url = f"{registry.url}/api/v1/plugins/registry/hello-world/1.0.0/manifest"
    assert f"manifest: {manifest_url}" in out


def test_a_version_published_without_deploying_says_what_is_still_served(
    registry, sleeps, hello_world, capsys
):
    data = published()
    data["deployment"] = {"package": "hello-world", "version": "0.9.0"}
    registry.reply(201, envelope(data))
    assert publish(hello_world, registry, "--no-deploy") == 0
    out = capsys.readouterr().out
    assert "not deployed (a pre-release, or --no-deploy): hello-world still serves 0.9.0" in out
    assert "deployed: hello-world now serves" not in out


def test_publish_sends_the_styles_named_by_frontend_styles(registry, sleeps, tmp_path, capsys):
    directory = tmp_path / "theme-notes"
    shutil.copytree(EXAMPLES / "theme-notes", directory, ignore=shutil.ignore_patterns("dist"))
    registry.reply(201, envelope(published()))
    assert publish(directory, registry) == 0
    form = registry.requests[0].form()
    assert form["styles"] == (directory / "styles.css").read_bytes()
    assert "deploy" not in form


def test_publish_retries_a_503_with_backoff_then_succeeds(registry, sleeps, hello_world, capsys):
    registry.reply(503, failure("INTERNAL_ERROR", "The database is restarting."))
    registry.reply(201, envelope(published()))
    code = publish(hello_world, registry)
    err = capsys.readouterr().err
    assert code == 0
    assert len(registry.requests) == 2
    assert registry.requests[0].body == registry.requests[1].body
    assert sleeps == [1.0]
    assert "HTTP 503; retrying in 1s (attempt 2 of 3)" in err
    assert error_lines(err) == []


def test_publish_gives_up_after_three_failed_attempts_with_doubling_pauses(
    registry, sleeps, hello_world, capsys
):
    for _ in range(3):
        registry.reply(503, failure("INTERNAL_ERROR", "Storage is unavailable."))
    code = publish(hello_world, registry)
    err = capsys.readouterr().err
    assert code == 3
    assert len(registry.requests) == 3
    assert sleeps == [1.0, 2.0]
    assert error_lines(err) == [
        "error: the registry failed (INTERNAL_ERROR, HTTP 503) 3 times: Storage is unavailable."
    ]


def test_publish_honours_retry_after_on_a_5xx(registry, sleeps, hello_world, capsys):
    registry.reply(503, failure("INTERNAL_ERROR", "Busy."), Retry_After="7")
    registry.reply(201, envelope(published()))
    assert publish(hello_world, registry) == 0
    assert sleeps == [7.0]


def test_a_proxy_error_page_without_an_envelope_is_retried(registry, sleeps, hello_world, capsys):
    registry.reply_raw(502, b"<html><body>Bad Gateway</body></html>")
    registry.reply(201, envelope(published()))
    assert publish(hello_world, registry) == 0
    assert len(registry.requests) == 2


def test_publish_of_changed_files_under_an_existing_version_is_not_retried(
    registry, sleeps, hello_world, capsys
):
    registry.reply(409, failure("CONFLICT", "hello-world 1.0.0 exists with other files."))
    code = publish(hello_world, registry)
    err = capsys.readouterr().err
    assert code == 1
    assert len(registry.requests) == 1
    assert sleeps == []
    assert error_lines(err) == [
        "error: hello-world@1.0.0 already exists with different files (CONFLICT) — bump the version"
    ]


def test_a_refused_token_is_one_line_and_not_retried(registry, sleeps, hello_world, capsys):
    registry.reply(401, failure("UNAUTHORIZED", "Invalid or revoked token."))
    code = publish(hello_world, registry)
    err = capsys.readouterr().err
    assert code == 1
    assert len(registry.requests) == 1
    assert error_lines(err) == [
        "error: the registry refused the token (UNAUTHORIZED): Invalid or revoked token."
    ]
    assert err.rstrip().splitlines()[-1].startswith("error:")


def test_a_validation_error_lists_every_field_after_the_summary(
    registry, sleeps, hello_world, capsys
):
    fields = {"frontend.routes[0]": "route '/x' is outside", "bundle": "no mount function"}
    registry.reply(400, failure("VALIDATION_ERROR", "The plugin is invalid.", fields))
    code = publish(hello_world, registry)
    lines = capsys.readouterr().err.rstrip().splitlines()
    assert code == 1
    index = lines.index(
        "error: the registry refused hello-world@1.0.0 (VALIDATION_ERROR): The plugin is invalid."
    )
    assert lines[index + 1 :] == [
        "  frontend.routes[0]: route '/x' is outside",
        "  bundle: no mount function",
    ]


def test_rate_limiting_is_not_retried_and_says_when_to_try_again(
    registry, sleeps, hello_world, capsys
):
    registry.reply(429, failure("RATE_LIMITED", "Too many publishes."), Retry_After="60")
    assert publish(hello_world, registry) == 1
    assert len(registry.requests) == 1
    assert error_lines(capsys.readouterr().err) == [
        "error: the registry is limiting requests (RATE_LIMITED): Too many publishes; "
        "try again in 60s"
    ]


def test_json_prints_only_the_answers_data_on_stdout_and_progress_on_stderr(
    registry, sleeps, hello_world, capsys
):
    data = published()
    registry.reply(201, envelope(data))
    code = publish(hello_world, registry, "--json")
    captured = capsys.readouterr()
    assert code == 0
    assert json.loads(captured.out) == data
    assert "uploading hello-world@1.0.0" in captured.err
    assert "built hello-world@1.0.0" in captured.err


def test_a_pending_review_version_is_reported_with_its_findings(
    registry, sleeps, hello_world, capsys
):
    findings = [
        {"check": "eval", "severity": "warning", "message": "The bundle calls eval() 1 time(s)."},
        {"check": "size", "severity": "info", "message": "The bundle is 1.5 KiB."},
    ]
    registry.reply(201, envelope(published("pending_review", findings)))
    assert publish(hello_world, registry) == 0
    out = capsys.readouterr().out
    assert "hello-world@1.0.0 is pending review" in out
    assert "[warning] eval: The bundle calls eval() 1 time(s)." in out
    assert "[info] size: The bundle is 1.5 KiB." in out


def test_an_identical_republish_answered_200_succeeds(registry, sleeps, hello_world, capsys):
    registry.reply(200, envelope(published()))
    assert publish(hello_world, registry) == 0
    assert "already published with these exact files" in capsys.readouterr().out


def test_dry_run_builds_and_sends_nothing(registry, sleeps, hello_world, capsys):
    code = main(["publish", str(hello_world), "--registry", registry.url, "--dry-run", "--json"])
    captured = capsys.readouterr()
    assert code == 0
    assert registry.requests == []
    plan = json.loads(captured.out)
    assert plan["dryRun"] is True
    assert plan["url"] == f"{registry.url}/api/v1/plugins/publish"
    bundle = (hello_world / "index.js").read_bytes()
    assert plan["files"]["bundle"]["sha256"] == hashlib.sha256(bundle).hexdigest()
    assert (hello_world / "dist" / "manifest.json").is_file()


def test_publish_without_a_token_stops_before_building(registry, hello_world, capsys):
    code = main(["publish", str(hello_world), "--registry", registry.url])
    err = capsys.readouterr().err
    assert code == 2
    assert error_lines(err) == [
        "error: no registry token: set NAAP_REGISTRY_TOKEN or pass --token "
        "(create one on the registry's tokens page)"
    ]
    assert not (hello_world / "dist").exists()
    assert registry.requests == []


def test_the_token_and_registry_come_from_the_environment(
    registry, sleeps, hello_world, monkeypatch, capsys
):
    monkeypatch.setenv("NAAP_REGISTRY_URL", registry.url + "/")
    monkeypatch.setenv("NAAP_REGISTRY_TOKEN", "naap_from_env")
    registry.reply(201, envelope(published()))
    assert main(["publish", str(hello_world)]) == 0
    assert registry.requests[0].headers["Authorization"] == "Bearer naap_from_env"


def test_an_unreachable_registry_is_retried_then_reported_in_one_line(sleeps, hello_world, capsys):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    code = main(
        ["publish", str(hello_world), "--registry", f"http://127.0.0.1:{port}", "--token", "t"]
    )
    err = capsys.readouterr().err
    assert code == 3
    assert sleeps == [1.0, 2.0]
    assert error_lines(err) == [
        f"error: could not reach the registry at http://127.0.0.1:{port}: connection refused "
        "(tried 3 times)"
    ]


def test_a_registry_url_that_is_not_http_is_a_usage_error(hello_world, capsys):
    code = main(["publish", str(hello_world), "--registry", "ftp://x", "--token", "t"])
    assert code == 2
    assert "the registry URL must look like" in capsys.readouterr().err


# ---------------------------------------------------------------------------------------------
# deprecate, yank, rollback, status against the scripted registry


def test_deprecate_posts_the_message(registry, sleeps, capsys):
    registry.reply(200, envelope({"version": "1.0.0", "deprecated": True}))
    code = main(
        [
            "deprecate",
            "hello-world@1.0.0",
            "--message",
            "Use 2.x",
            "--registry",
            registry.url,
            "--token",
            "naap_t",
        ]
    )
    assert code == 0
    [request] = registry.requests
    assert request.path == "/api/v1/plugins/hello-world/versions/1.0.0/deprecate"
    assert request.json() == {"message": "Use 2.x"}
    assert request.headers["Authorization"] == "Bearer naap_t"
    assert "deprecated hello-world@1.0.0: Use 2.x" in capsys.readouterr().out


def test_yank_posts_the_reason_and_prints_json(registry, sleeps, capsys):
    data = {"version": "1.0.0", "status": "yanked", "yankReason": "broken"}
    registry.reply(200, envelope(data))
    code = main(
        [
            "yank",
            "hello-world@1.0.0",
            "--reason",
            "broken",
            "--registry",
            registry.url,
            "--token",
            "naap_t",
            "--json",
        ]
    )
    assert code == 0
    assert registry.requests[0].path == "/api/v1/plugins/hello-world/versions/1.0.0/yank"
    assert registry.requests[0].json() == {"reason": "broken"}
    assert json.loads(capsys.readouterr().out) == data


def test_rollback_posts_the_version_and_reason(registry, sleeps, capsys):
    registry.reply(200, envelope({"package": "hello-world", "version": "1.0.0"}))
    code = main(
        [
            "rollback",
            "hello-world",
            "--to",
            "1.0.0",
            "--reason",
            "1.1.0 crashes",
            "--registry",
            registry.url,
            "--token",
            "naap_t",
        ]
    )
    assert code == 0
    assert registry.requests[0].path == "/api/v1/plugins/hello-world/rollback"
    assert registry.requests[0].json() == {"version": "1.0.0", "reason": "1.1.0 crashes"}
    assert "hello-world now serves 1.0.0" in capsys.readouterr().out


def test_rollback_to_a_missing_version_is_one_line(registry, sleeps, capsys):
    registry.reply(404, failure("NOT_FOUND", "hello-world has no version 9.9.9."))
    code = main(
        ["rollback", "hello-world", "--to", "9.9.9", "--registry", registry.url, "--token", "t"]
    )
    assert code == 1
    assert error_lines(capsys.readouterr().err) == [
        "error: hello-world has no version 9.9.9. (NOT_FOUND)"
    ]


def test_status_shows_the_active_version_canary_events_and_versions(registry, sleeps, capsys):
    registry.reply(
        200,
        envelope(
            {
                "plugin": {"name": "hello-world", "displayName": "Hello World"},
                "versions": [
                    {"version": "1.1.0", "status": "published", "publishedAt": "2026-01-02"},
                    {"version": "1.0.0", "status": "published", "deprecated": True},
                ],
            }
        ),
    )
    registry.reply(
        200,
        envelope(
            {
                "deployment": {"version": "1.0.0", "canaryVersion": "1.1.0", "canaryPercent": 10},
                "events": [
                    {
                        "kind": "rollback",
                        "fromVersion": "1.1.0",
                        "toVersion": "1.0.0",
                        "actor": "ada",
                        "reason": "crash",
                        "createdAt": "2026-01-03T10:00:00Z",
                    }
                ],
            }
        ),
    )
    code = main(["status", "hello-world", "--registry", registry.url])
    out = capsys.readouterr().out
    assert code == 0
    assert [request.path for request in registry.requests] == [
        "/api/v1/plugins/registry/hello-world",
        "/api/v1/plugins/hello-world/deployment",
    ]
    assert "Authorization" not in registry.requests[0].headers
    assert "active version: 1.0.0" in out
    assert "canary: 1.1.0 for 10% of users" in out
    assert "rollback 1.1.0 -> 1.0.0 by ada (crash)" in out
    assert "1.0.0" in out and "published, deprecated, active" in out


def test_status_of_an_unknown_package_is_one_line(registry, sleeps, capsys):
    registry.reply(404, failure("NOT_FOUND", "No plugin named 'nope-plugin'."))
    assert main(["status", "nope-plugin", "--registry", registry.url]) == 1
    assert error_lines(capsys.readouterr().err) == [
        "error: No plugin named 'nope-plugin'. (NOT_FOUND)"
    ]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["deprecate", "hello-world", "-m", "x"], "expected NAME@VERSION"),
        (["yank", "hello-world@v1", "--reason", "x"], "'v1' is not a Semantic Version"),
        (["rollback", "Hello", "--to", "1.0.0"], "'Hello' is not a package name"),
    ],
)
def test_malformed_arguments_are_usage_errors_before_any_request(registry, argv, message, capsys):
    assert main([*argv, "--registry", registry.url, "--token", "t"]) == 2
    assert message in capsys.readouterr().err
    assert registry.requests == []


def test_r_is_the_registry_on_yank_rollback_and_status(registry, sleeps, capsys):
    registry.reply(200, envelope({"version": "1.0.0", "status": "yanked"}))
    registry.reply(200, envelope({"package": "hello-world", "version": "1.0.0"}))
    registry.reply(200, envelope({"plugin": {"name": "hello-world"}, "versions": []}))
    registry.reply(200, envelope({"deployment": {"version": "1.0.0"}, "events": []}))
    token = ["--token", "naap_t"]
    assert main(["yank", "hello-world@1.1.0", "--reason", "x", "-r", registry.url, *token]) == 0
    assert main(["rollback", "hello-world", "--to", "1.0.0", "-r", registry.url, *token]) == 0
    assert main(["status", "hello-world", "-r", registry.url]) == 0
    assert [request.path for request in registry.requests] == [
        "/api/v1/plugins/hello-world/versions/1.1.0/yank",
        "/api/v1/plugins/hello-world/rollback",
        "/api/v1/plugins/registry/hello-world",
        "/api/v1/plugins/hello-world/deployment",
    ]


def test_without_a_name_status_rollback_and_deprecate_read_plugin_json_here(
    registry, sleeps, hello_world, monkeypatch, capsys
):
    monkeypatch.chdir(hello_world)
    registry.reply(200, envelope({"plugin": {"name": "hello-world"}, "versions": []}))
    registry.reply(200, envelope({"deployment": {"version": "1.0.0"}, "events": []}))
    registry.reply(200, envelope({"package": "hello-world", "version": "0.9.0"}))
    registry.reply(200, envelope({"version": "1.0.0", "deprecated": True}))
    token = ["--token", "naap_t"]
    assert main(["status", "-r", registry.url]) == 0
    assert main(["rollback", "--to", "0.9.0", "-r", registry.url, *token]) == 0
    assert main(["deprecate", "-m", "Use 1.1.0", "-r", registry.url, *token]) == 0
    assert [request.path for request in registry.requests] == [
        "/api/v1/plugins/registry/hello-world",
        "/api/v1/plugins/hello-world/deployment",
        "/api/v1/plugins/hello-world/rollback",
        "/api/v1/plugins/hello-world/versions/1.0.0/deprecate",
    ]
    out = capsys.readouterr().out
    assert "active version: 1.0.0" in out
    assert "hello-world now serves 0.9.0" in out
    assert "deprecated hello-world@1.0.0: Use 1.1.0" in out


@pytest.mark.parametrize(
    ("argv", "usage"),
    [
        (["status"], "naap-plugin status NAME"),
        (["rollback", "--to", "1.0.0"], "naap-plugin rollback NAME --to VERSION"),
        (["deprecate", "-m", "x"], "naap-plugin deprecate NAME@VERSION -m TEXT"),
    ],
)
def test_without_a_name_or_a_plugin_json_here_it_is_a_usage_error(
    registry, argv, usage, tmp_path, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    assert main([*argv, "--registry", registry.url, "--token", "t"]) == 2
    assert error_lines(capsys.readouterr().err) == [
        f"error: no package named, and no plugin.json in {tmp_path} to read it from: name it "
        f"({usage}) or run the command in the plugin's directory"
    ]
    assert registry.requests == []


def test_a_plugin_json_without_a_name_is_a_usage_error(registry, tmp_path, monkeypatch, capsys):
    (tmp_path / "plugin.json").write_text('{"version": "1.0.0"}')
    monkeypatch.chdir(tmp_path)
    assert main(["status", "--registry", registry.url]) == 2
    assert "has no name and version to act on" in capsys.readouterr().err
    assert registry.requests == []


# ---------------------------------------------------------------------------------------------
# Pieces


def test_the_upload_body_reports_every_byte_it_sends_in_chunks():
    segments, content_type = encode_multipart([("manifest", "{}")], [])
    progress: list[int] = []
    body = UploadBody([b"a" * 150_000, *segments], progress.append, chunk_size=65_536)
    sent = b"".join(iter(lambda: body.read(100_000), b""))
    assert len(sent) == len(body) == 150_000 + sum(len(s) for s in segments)
    assert max(progress) == 65_536
    assert sum(progress) == len(body)
    assert content_type.startswith("multipart/form-data; boundary=naap-plugin-")


def test_the_cli_imports_no_django():
    script = (
        "import sys, publishing.cli, publishing.cli.build, publishing.cli.client; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    )
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=environment, check=True
    )
    assert completed.stdout.strip() == "[]"


def modules_loaded_by(script: str) -> list[str]:
    """The top-level packages among rich, requests and urllib3 that the script has imported."""
    code = (
        script + "\nimport sys\n"
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'rich', 'requests', 'urllib3'}))"
    )
    environment = {**os.environ, "PYTHONPATH": str(REPOSITORY)}
    for variable in ("FORCE_COLOR", "TTY_COMPATIBLE", "DJANGO_SETTINGS_MODULE"):
        environment.pop(variable, None)
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=True
    )
    return json.loads(completed.stdout.strip().splitlines()[-1].replace("'", '"'))


def test_the_cli_starts_without_importing_rich_or_requests():
    # Together they were half of every command's start-up time.
    script = "import publishing.cli, publishing.cli.commands, publishing.cli.build"
    assert modules_loaded_by(script + ", publishing.cli.client") == []


def test_validating_with_piped_output_never_imports_rich_or_requests():
    script = (
        "from publishing.cli import main\n"
        f"assert main(['validate', {str(EXAMPLES / 'hello-world')!r}]) == 0"
    )
    assert modules_loaded_by(script) == []


def test_requests_is_imported_to_send_the_first_request(registry):
    registry.reply(200, envelope({"plugin": {}, "versions": []}))
    registry.reply(404, failure("NOT_FOUND", "No deployment."))
    script = (
        "from publishing.cli import main\n"
        f"assert main(['status', 'hello-world', '--registry', {registry.url!r}]) == 0"
    )
    assert modules_loaded_by(script) == ["requests", "urllib3"]
    assert len(registry.requests) == 2


MESSAGES = [
    "published my-wallet@1.0.0",
    "a long line " * 20 + "https://cdn.example.test/plugins/my-wallet/1.0.0/bundle.0b8a9650.js",
    "unicode: café 漢字 😀 — [bold]not markup[/bold] :smile:",
    "controls: bell\a back\b vtab\v feed\f return\r escape\x1b[31m nul\x00 del\x7f",
    "two\nlines",
    "a tab\there",
]


def rich_rendering(message: str, *, label: str = "", style: str = "") -> str:
    """What rich itself prints for a line on a stream that is not a terminal."""
    import io

    from rich.console import Console
    from rich.text import Text

    out = io.StringIO()
    text = Text(label, style="red bold") if label else Text(message, style=style)
    if label:
        text.append(message)
    Console(file=out, soft_wrap=True, highlight=False).print(text)
    return out.getvalue()


@pytest.mark.parametrize("message", MESSAGES)
def test_plain_lines_are_exactly_what_rich_prints_off_a_terminal(message, capsys, monkeypatch):
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    ui = Ui()
    ui.say(message, style="green bold")
    ui.error(message, ["detail " + message])
    captured = capsys.readouterr()
    assert captured.out == rich_rendering(message, style="green bold")
    assert captured.err == rich_rendering(message, label="error: ") + rich_rendering(
        "  detail " + message
    )


def test_forced_colour_still_gets_rich_styles_on_a_pipe(capsys, monkeypatch):
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    Ui().error("refused")
    assert "\x1b[" in capsys.readouterr().err


def test_a_request_requests_cannot_send_is_one_line_and_exit_3(capsys):
    code = main(["status", "hello-world", "--registry", "http://127.0.0.1:99999"])
    assert code == 3
    assert error_lines(capsys.readouterr().err) == [
        "error: the request to the registry failed: Failed to parse: "
        "http://127.0.0.1:99999/api/v1/plugins/registry/hello-world"
    ]


# ---------------------------------------------------------------------------------------------
# End to end: the real CLI in a subprocess against the real registry


def run_cli(*args: str, token: str | None = None) -> subprocess.CompletedProcess:
    """The real CLI in a subprocess, with the token (if any) in NAAP_REGISTRY_TOKEN."""
    return run_cli_process(*args, env={"NAAP_REGISTRY_URL": "", "NAAP_REGISTRY_TOKEN": token or ""})


def run_cli_in(directory: Path, *args: str, token: str) -> subprocess.CompletedProcess:
    """The real CLI in a subprocess run in `directory`, as a publisher runs it in a plugin's."""
    environment = {
        **os.environ,
        "PYTHONPATH": str(REPOSITORY),
        "NAAP_REGISTRY_URL": "",
        "NAAP_REGISTRY_TOKEN": token,
    }
    return subprocess.run(
        [sys.executable, "-m", "publishing.cli", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=directory,
        timeout=300,
        check=False,
    )


def make_publisher_token(*, verified: bool) -> str:
    """A publish token of a new publisher, made through the real services."""
    from django.contrib.auth import get_user_model

    from publishing import services
    from publishing.services import create_api_token

    user = get_user_model().objects.create_user("ada", "ada@example.test", "pw")
    publisher = services.create_publisher(actor=user, name="ada-labs", display_name="Ada Labs")
    if verified:
        staff = get_user_model().objects.create_superuser("staff", "staff@example.test", "pw")
        services.verify_publisher(actor=staff, publisher=publisher)
    _, secret = create_api_token(actor=user, publisher=publisher, name="ci", scopes=["publish"])
    return secret


@pytest.fixture
def publisher_token(transactional_db) -> str:
    """A publish token of a verified publisher."""
    return make_publisher_token(verified=True)


def manifest_url_from(stdout: str) -> str:
    [line] = [line for line in stdout.splitlines() if line.startswith("manifest: ")]
    return line.removeprefix("manifest: ")


def test_publishing_hello_world_to_a_live_registry_serves_the_same_bytes(
    live_server, publisher_token, hello_world
):
    first = run_cli(
        "publish", str(hello_world), "--registry", live_server.url, token=publisher_token
    )
    assert first.returncode == 0, first.stderr
    assert "published hello-world@1.0.0" in first.stdout
    assert "deployed: hello-world now serves 1.0.0" in first.stdout
    url = manifest_url_from(first.stdout)
    assert url == f"{live_server.url}/api/v1/plugins/registry/hello-world/1.0.0/manifest"
    manifest = requests.get(url, timeout=30).json()
    assert manifest["globalName"] == "NaapPluginHelloWorld"
    bundle_url = manifest["bundleUrl"]
    if bundle_url.startswith("/"):
        bundle_url = live_server.url + bundle_url
    served = requests.get(bundle_url, timeout=30)
    assert served.status_code == 200
    assert served.content == (hello_world / "index.js").read_bytes()
    built = json.loads((hello_world / "dist" / "manifest.json").read_text())
    assert manifest["bundleHash"] == built["bundleHash"]
    assert manifest["integrity"]["bundle"] == built["integrity"]["bundle"]

    again = run_cli(
        "publish", str(hello_world), "--registry", live_server.url, token=publisher_token
    )
    assert again.returncode == 0, again.stderr
    assert "already published with these exact files" in again.stdout

    entry = hello_world / "index.js"
    entry.write_text(entry.read_text().replace("Say hello back", "Wave back"))
    changed = run_cli(
        "publish", str(hello_world), "--registry", live_server.url, token=publisher_token
    )
    assert changed.returncode == 1
    assert error_lines(changed.stderr) == [
        "error: hello-world@1.0.0 already exists with different files (CONFLICT) — bump the version"
    ]


def test_publishing_with_a_bad_token_to_a_live_registry_is_the_401_line(
    live_server, publisher_token, hello_world
):
    result = run_cli(
        "publish", str(hello_world), "--registry", live_server.url, token="naap_" + "x" * 43
    )
    assert result.returncode == 1
    [line] = error_lines(result.stderr)
    assert line.startswith("error: the registry refused the token (UNAUTHORIZED): ")


def test_json_publish_then_status_deprecate_and_rollback_on_a_live_registry(
    live_server, publisher_token, hello_world
):
    registry = ["--registry", live_server.url]
    first = run_cli("publish", str(hello_world), *registry, "--json", token=publisher_token)
    assert first.returncode == 0, first.stderr
    data = json.loads(first.stdout)
    assert data["version"]["status"] == "published"
    assert data["deployment"]["version"] == "1.0.0"

    manifest = json.loads((hello_world / "plugin.json").read_text())
    manifest["version"] = "1.1.0"
    (hello_world / "plugin.json").write_text(json.dumps(manifest, indent=2))
    (hello_world / "index.js").write_text(
        (hello_world / "index.js").read_text().replace("Say hello back", "Wave back")
    )
    second = run_cli("publish", str(hello_world), *registry, token=publisher_token)
    assert second.returncode == 0, second.stderr

    deprecated = run_cli(
        "deprecate", "hello-world@1.1.0", "-m", "Use 1.0.0", *registry, token=publisher_token
    )
    assert deprecated.returncode == 0, deprecated.stderr
    rolled = run_cli(
        "rollback",
        "hello-world",
        "--to",
        "1.0.0",
        "--reason",
        "1.1.0 is deprecated",
        *registry,
        token=publisher_token,
    )
    assert rolled.returncode == 0, rolled.stderr
    assert "hello-world now serves 1.0.0" in rolled.stdout

    status = run_cli("status", "hello-world", *registry, "--json")
    assert status.returncode == 0, status.stderr
    answer = json.loads(status.stdout)
    assert answer["deployment"]["deployment"]["version"] == "1.0.0"
    assert [version["version"] for version in answer["package"]["versions"]] == ["1.1.0", "1.0.0"]
    assert any(event["kind"] == "rollback" for event in answer["deployment"]["events"])

    yanked = run_cli(
        "yank", "hello-world@1.1.0", "--reason", "broken", *registry, token=publisher_token
    )
    assert yanked.returncode == 0, yanked.stderr


def test_after_a_rollback_rollback_moves_forward_again_from_the_plugin_directory(
    live_server, publisher_token, hello_world
):
    registry = ["-r", live_server.url]

    def in_plugin_directory(*args: str) -> subprocess.CompletedProcess:
        return run_cli_in(hello_world, *args, *registry, token=publisher_token)

    assert in_plugin_directory("publish").returncode == 0
    manifest = json.loads((hello_world / "plugin.json").read_text())
    manifest["version"] = "1.1.0"
    (hello_world / "plugin.json").write_text(json.dumps(manifest, indent=2))
    entry = hello_world / "index.js"
    entry.write_text(entry.read_text().replace("Say hello back", "Wave back"))
    assert in_plugin_directory("publish").returncode == 0

    back = in_plugin_directory("rollback", "--to", "1.0.0", "--reason", "1.1.0 breaks")
    assert back.returncode == 0, back.stderr
    assert "hello-world now serves 1.0.0" in back.stdout
    forward = in_plugin_directory("rollback", "--to", "1.1.0", "--reason", "fixed")
    assert forward.returncode == 0, forward.stderr
    assert "hello-world now serves 1.1.0" in forward.stdout

    status = in_plugin_directory("status")
    assert status.returncode == 0, status.stderr
    assert "active version: 1.1.0" in status.stdout
    assert "deploy   1.0.0 -> 1.1.0 by ada (fixed)" in status.stdout
    assert "rollback 1.1.0 -> 1.0.0 by ada (1.1.0 breaks)" in status.stdout
    served = requests.get(
        f"{live_server.url}/api/v1/plugins/registry/hello-world/latest/manifest", timeout=30
    ).json()
    assert served["version"] == "1.1.0"


def test_an_unverified_publishers_version_is_reported_pending_with_its_findings(
    live_server, transactional_db, hello_world
):
    token = make_publisher_token(verified=False)
    result = run_cli("publish", str(hello_world), "--registry", live_server.url, token=token)
    assert result.returncode == 0, result.stderr
    assert "hello-world@1.0.0 is pending review" in result.stdout
    assert "[info] global: The bundle assigns the global NaapPluginHelloWorld." in result.stdout
    assert "not deployed" not in result.stdout

    status = run_cli("status", "hello-world", "--registry", live_server.url, token=token)
    assert status.returncode == 0, status.stderr
    assert "active version: none" in status.stdout
    assert "pending_review" in status.stdout
