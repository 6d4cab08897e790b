"""The bad-input corpus: every kind of bad input sent to every route it applies to.

Each case must be answered with a 4xx; on /api/ routes in the failure envelope
({"success": false, "error": {"code", "message", …}}); and must write nothing: no row of the
catalog, the installs or the audit log created, changed or removed, no stored file added.
The corpus's size is printed by `test_the_corpus_size` (docs/RELIABILITY.md records it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from installs.models import PluginStorageEntry
from tests.config_schemas import REFUSED_SCHEMAS
from tests.factories import make_publisher, make_user, plugin_bundle, plugin_manifest
from tests.installs.helpers import WALLET_SCHEMA, publish_plugin
from tests.publishing.helpers import stored_files, token_for

pytestmark = pytest.mark.django_db

DEEP = "[" * 100_000 + "]" * 100_000
MIB = 1024 * 1024


@dataclass(frozen=True)
class Bad:
    """One bad request: who sends it, where, and what."""

    name: str
    method: str
    path: str
    body: Any = None  # JSON value, or raw bytes/str sent as they are
    raw: bool = False
    content_type: str = "application/json"
    auth: str = "person"  # person | token | anonymous
    form: dict | None = None  # a multipart form instead of a body
    environ: dict = field(default_factory=dict)
    status: int | tuple[int, ...] = 400


# --- the routes -------------------------------------------------------------------------------

API = "/api/v1"
# Routes that take a JSON body, with a body that is good apart from what each case spoils.
JSON_ROUTES = [
    ("install", "POST", f"{API}/plugins/my-wallet/install", {"config": {}}, "person"),
    ("uninstall", "DELETE", f"{API}/plugins/my-wallet/uninstall", {}, "person"),
    ("config", "PUT", f"{API}/plugins/my-wallet/config", {"config": {}}, "person"),
    ("preferences", "PUT", f"{API}/plugins/my-wallet/preferences", {"enabled": True}, "person"),
    ("storage-put", "PUT", f"{API}/plugins/my-wallet/storage/theme", {"value": 1}, "person"),
    ("publishers", "POST", f"{API}/publishers", {"name": "acme", "displayName": "A"}, "person"),
    (
        "tokens",
        "POST",
        f"{API}/tokens",
        {"name": "ci", "publisher": "wallets", "scopes": ["publish"]},
        "person",
    ),
    (
        "deprecate",
        "POST",
        f"{API}/plugins/my-wallet/versions/1.0.0/deprecate",
        {"message": "old"},
        "token",
    ),
    ("yank", "POST", f"{API}/plugins/my-wallet/versions/1.0.0/yank", {"reason": "bad"}, "token"),
    ("rollback", "POST", f"{API}/plugins/my-wallet/rollback", {"version": "1.0.0"}, "token"),
]
# Routes with a name (and more) in their path, for NUL bytes in a path segment.
PATH_ROUTES = [
    ("GET", f"{API}/plugins/registry/my%00wallet", "anonymous"),
    ("GET", f"{API}/plugins/registry/my-wallet/1.0.0%00/manifest", "anonymous"),
    ("GET", f"{API}/plugins/my%00wallet/deployment", "anonymous"),
    ("POST", f"{API}/plugins/my%00wallet/install", "person"),
    ("DELETE", f"{API}/plugins/my%00wallet/uninstall", "person"),
    ("PUT", f"{API}/plugins/my%00wallet/config", "person"),
    ("PUT", f"{API}/plugins/my%00wallet/preferences", "person"),
    ("GET", f"{API}/plugins/my%00wallet/storage", "person"),
    ("PUT", f"{API}/plugins/my-wallet/storage/the%00me", "person"),
    ("DELETE", f"{API}/plugins/my-wallet/storage/the%00me", "person"),
    ("POST", f"{API}/plugins/my-wallet/versions/1.0.0%00/deprecate", "token"),
    ("POST", f"{API}/plugins/my-wallet/versions/1.0.0%00/yank", "token"),
    ("POST", f"{API}/plugins/my%00wallet/rollback", "token"),
]


def spoil(route: tuple, name: str, body: Any, *, raw: bool = False, **options) -> Bad:
    """A case of a JSON route with its body replaced."""
    label, method, path, _, auth = route
    return Bad(f"{name}/{label}", method, path, body, raw=raw, auth=auth, **options)


def with_field(route: tuple, key: str, value: Any) -> dict:
    """The route's good body with one field replaced."""
    return {**route[3], key: value}


def nul_cases() -> list[Bad]:
    cases = [
        Bad(f"nul-in-path/{method} {path}", method, path, auth=auth, body=None)
        for method, path, auth in PATH_ROUTES
    ]
    for query in ("search=wal%00let", "category%00=finance", "sort=name%00"):
        cases.append(Bad(f"nul-in-query/{query}", "GET", f"{API}/plugins/registry?{query}"))
    for query in ("search=wal%00let", "category=fin%00ance", "sort=name%00"):
        cases.append(
            Bad(f"nul-in-query/packages/{query}", "GET", f"{API}/registry/packages?{query}")
        )
    cases.append(Bad("nul-in-query/installed", "GET", f"{API}/plugins/installed?teamId=1%00"))
    personalized = f"{API}/base/plugins/personalized"
    cases.append(Bad("nul-in-query/personalized", "GET", f"{personalized}?teamId=1%00"))
    for team in ("9223372036854775808", "0", "x"):
        cases.append(
            Bad(f"team-id/installed/{team}", "GET", f"{API}/plugins/installed?teamId={team}")
        )
        cases.append(Bad(f"team-id/personalized/{team}", "GET", f"{personalized}?teamId={team}"))
        cases.append(
            Bad(f"team-id/config/{team}", "GET", f"{API}/plugins/my-wallet/config?teamId={team}")
        )
        cases.append(
            Bad(
                f"team-id/uninstall/{team}",
                "DELETE",
                f"{API}/plugins/my-wallet/uninstall?teamId={team}",
            )
        )
    return cases


def page_cases() -> list[Bad]:
    pages = ["9223372036854775808", "99999999999999999999999", "100001", "0", "-1", "x"]
    sizes = ["0", "101", "9223372036854775808", "-5", "ten"]
    routes = {
        f"{API}/plugins/registry": {"page": pages, "limit": sizes},
        f"{API}/registry/packages": {"page": pages, "pageSize": sizes},
        f"{API}/plugins/my-wallet/reviews": {"page": pages, "limit": sizes},
        f"{API}/registry/packages/my-wallet/reviews": {"page": pages, "pageSize": sizes},
    }
    return [
        Bad(
            f"paging/{auth}/{route.removeprefix(API + '/')}/{key}={value}",
            "GET",
            f"{route}?{key}={value}",
            auth=auth,
        )
        for route, values in routes.items()
        for key, items in values.items()
        for value in items
        for auth in ("anonymous", "person")
    ]


def query_and_path_cases() -> list[Bad]:
    """Bad values in query strings and path segments of the read routes and of tokens."""
    reads = [
        ("registry-sort", f"{API}/plugins/registry?sort=cheapest", "anonymous"),
        ("registry-shell-version", f"{API}/plugins/registry?shellVersion=1.0", "anonymous"),
        ("registry-limit-list", f"{API}/plugins/registry?limit=1&limit=x", "anonymous"),
        ("installed-shell-version", f"{API}/plugins/installed?shellVersion=v1", "person"),
        ("installed-unknown-team", f"{API}/plugins/installed?teamId=424242", "person"),
        ("personalized-unknown-team", f"{API}/base/plugins/personalized?teamId=424242", "person"),
        ("config-unknown-team", f"{API}/plugins/my-wallet/config?teamId=424242", "person"),
        ("packages-sort", f"{API}/registry/packages?sort=best", "anonymous"),
        ("package-name-too-long", f"{API}/plugins/registry/{'a' * 300}", "anonymous"),
        (
            "manifest-huge-version",
            f"{API}/plugins/registry/my-wallet/99999999999.0.0/manifest",
            "anonymous",
        ),
        ("manifest-not-a-version", f"{API}/plugins/registry/my-wallet/one/manifest", "anonymous"),
        ("storage-key-too-long", f"{API}/plugins/my-wallet/storage/{'k' * 129}", "person"),
        ("storage-key-characters", f"{API}/plugins/my-wallet/storage/a%20b", "person"),
        ("storage-missing-key", f"{API}/plugins/my-wallet/storage/nothing-here", "person"),
        ("storage-of-other-plugin", f"{API}/plugins/other-plugin/storage", "person"),
    ]
    cases = [
        Bad(f"read/{name}", "GET", path, auth=auth, status=(400, 404)) for name, path, auth in reads
    ]
    cases += [
        Bad(
            "token-revoke/huge-id",
            "DELETE",
            f"{API}/tokens/99999999999999999999",
            status=(400, 404),
        ),
        Bad("token-revoke/unknown-id", "DELETE", f"{API}/tokens/424242", status=404),
        Bad("storage-delete/too-long", "DELETE", f"{API}/plugins/my-wallet/storage/{'k' * 129}"),
    ]
    return cases


def json_cases() -> list[Bad]:
    cases: list[Bad] = []
    for route in JSON_ROUTES:
        cases += [
            spoil(route, "deep-json", '{"x": ' + DEEP + "}", raw=True),
            spoil(route, "not-json", '{"x": ', raw=True),
            spoil(route, "nan", '{"x": NaN}', raw=True),
            spoil(route, "not-an-object", [route[3]]),
            spoil(route, "over-1-mib", {**route[3], "pad": "x" * MIB}, status=413),
            spoil(route, "unknown-length", b"", raw=True, status=411, environ=CHUNKED),
            spoil(route, "bad-length", b"{}", raw=True, environ={"CONTENT_LENGTH": "12x"}),
            spoil(route, "wrong-type", "a=1", raw=True, content_type="text/plain", status=415),
        ]
    return cases


CHUNKED = {"CONTENT_LENGTH": "", "HTTP_TRANSFER_ENCODING": "chunked"}
[
    INSTALL,
    UNINSTALL,
    CONFIG,
    PREFERENCES,
    STORAGE,
    PUBLISHERS,
    TOKENS,
    DEPRECATE,
    YANK,
    ROLLBACK,
] = JSON_ROUTES


def field_cases() -> list[Bad]:
    """Wrong types and sizes of the fields of each JSON route."""
    big_config = {"label": "x" * (16 * 1024)}
    wrong = [
        (INSTALL, "config", [], 400),
        (INSTALL, "config", "refreshSeconds=5", 400),
        (INSTALL, "config", {"refreshSeconds": "5"}, 400),
        (INSTALL, "config", {"refreshSeconds": True}, 400),
        (INSTALL, "config", {"unknown": 1}, 400),
        (INSTALL, "config", big_config, 413),
        (INSTALL, "config", {"label": "a\x00b"}, 400),
        (INSTALL, "teamId", "1", 400),
        (INSTALL, "teamId", True, 400),
        (INSTALL, "teamId", 0, 400),
        (INSTALL, "teamId", 9223372036854775808, 400),
        (INSTALL, "surprise", 1, 400),
        (UNINSTALL, "teamId", [], 400),
        (CONFIG, "config", None, 400),
        (CONFIG, "config", {"refreshSeconds": 1}, 400),
        (CONFIG, "config", {"currency": "GBP"}, 400),
        (CONFIG, "config", big_config, 413),
        (CONFIG, "config", {"theme": {"accent": "a\x00"}}, 400),
        (PREFERENCES, "enabled", "yes", 400),
        (PREFERENCES, "order", "1", 400),
        (PREFERENCES, "order", 10**6, 400),
        (PREFERENCES, "order", 1.5, 400),
        (PREFERENCES, "pinned", 1, 400),
        (STORAGE, "value", "x" * (64 * 1024), 413),
        (STORAGE, "value", {"a\x00": 1}, 400),
        (STORAGE, "value", ["\x00"], 400),
        (PUBLISHERS, "name", 5, 400),
        (PUBLISHERS, "name", "Bad Name", 400),
        (PUBLISHERS, "name", "ac\nme", 400),
        (PUBLISHERS, "displayName", "A\u202eB", 400),
        (PUBLISHERS, "displayName", "x" * 101, 400),
        (PUBLISHERS, "email", "not-an-email", 400),
        (TOKENS, "scopes", "publish", 400),
        (TOKENS, "scopes", ["root"], 400),
        (TOKENS, "name", "x" * 101, 400),
        (TOKENS, "name", "a\x00", 400),
        (TOKENS, "expiresAt", "yesterday", 400),
        (DEPRECATE, "message", {"text": "old"}, 400),
        (DEPRECATE, "message", "m" * 2001, 400),
        (YANK, "reason", ["x"], 400),
        (ROLLBACK, "version", [], 400),
        (ROLLBACK, "version", "1.0.0\x00", 400),
        (ROLLBACK, "version", "9" * 70, (400, 404)),
    ]
    cases = [
        spoil(route, f"field/{key}={json.dumps(value)[:40]}", with_field(route, key, value))
        for route, key, value, _ in wrong
    ]
    return [
        Bad(**{**case.__dict__, "status": status})
        for case, (*_, status) in zip(cases, wrong, strict=True)
    ]


def publish_form(**changes) -> dict:
    """A good publish form with parts replaced (a manifest dict is sent as JSON text)."""
    form: dict[str, Any] = {
        "manifest": plugin_manifest("new-plugin"),
        "bundle": plugin_bundle("new-plugin"),
    }
    form.update(changes)
    if isinstance(form["manifest"], dict):
        form["manifest"] = json.dumps(form["manifest"])
    for part in ("bundle", "styles", "sourcemap"):
        if isinstance(form.get(part), bytes):
            form[part] = SimpleUploadedFile(part, form[part])
    return form


def manifest(**overrides) -> dict:
    return {**plugin_manifest("new-plugin"), **overrides}


def publish_cases() -> list[Bad]:
    forms: list[tuple[str, dict, int]] = [
        ("deep-manifest", publish_form(manifest=DEEP), 400),
        ("deep-sourcemap", publish_form(sourcemap=DEEP.encode()), 400),
        ("manifest-not-json", publish_form(manifest="{"), 400),
        ("manifest-nan", publish_form(manifest='{"name": NaN}'), 400),
        ("manifest-a-list", publish_form(manifest="[]"), 400),
        (
            "manifest-nested-41",
            publish_form(manifest=manifest(backend=json.loads(DEEP[:41] + DEEP[-41:]))),
            400,
        ),
        (
            "manifest-over-64-kib",
            publish_form(manifest=manifest(rbac={"roles": ["r" * 999] * 70})),
            413,
        ),
        ("manifest-text-over-256-kib", publish_form(manifest=json.dumps({"p": "x" * 262144})), 413),
        ("display-name-101", publish_form(manifest=manifest(displayName="D" * 101)), 400),
        ("description-2001", publish_form(manifest=manifest(description="d" * 2001)), 400),
        ("icon-201", publish_form(manifest=manifest(icon="i" * 201)), 400),
        ("license-101", publish_form(manifest=manifest(license="l" * 101)), 400),
        ("author-name-201", publish_form(manifest=manifest(author={"name": "a" * 201})), 400),
        ("any-string-2001", publish_form(manifest=manifest(backend={"x": "b" * 2001})), 400),
        ("nul-in-description", publish_form(manifest=manifest(description="a\x00b")), 400),
        (
            "21-unknown-fields",
            publish_form(manifest=manifest(**{f"x{i}": i for i in range(21)})),
            400,
        ),
        ("unknown-field-over-8-kib", publish_form(manifest=manifest(notes="n" * 9000)), 400),
        ("name-with-newline", publish_form(manifest=manifest(name="new-plugin\n")), 400),
        ("version-too-large", publish_form(manifest=manifest(version="99999999999.0.0")), 400),
        ("keywords-a-string", publish_form(manifest=manifest(keywords="a,b")), 400),
        ("bundle-missing", {"manifest": json.dumps(manifest())}, 400),
        ("bundle-not-utf8", publish_form(bundle=b"\xff\xfe"), 400),
        ("bundle-empty", publish_form(bundle=b""), 400),
        ("sourcemap-not-json", publish_form(sourcemap=b"{"), 400),
        ("release-notes-20001", publish_form(releaseNotes="r" * 20001), 400),
        ("deploy-not-a-boolean", publish_form(deploy="maybe"), 400),
    ]
    for name, schema, _ in REFUSED_SCHEMAS:
        forms.append(
            (
                f"config-schema/{name}",
                publish_form(manifest=manifest(config={"schema": schema})),
                400,
            )
        )
    cases = [
        Bad(
            f"publish/{name}",
            "POST",
            f"{API}/plugins/publish",
            form=form,
            auth="token",
            status=status,
        )
        for name, form, status in forms
    ]
    huge = {"CONTENT_LENGTH": str(300 * MIB)}
    cases += [
        Bad(
            "publish/huge-anonymous",
            "POST",
            f"{API}/plugins/publish",
            form=publish_form(),
            auth="anonymous",
            environ=huge,
            status=401,
        ),
        Bad(
            "publish/huge-with-token",
            "POST",
            f"{API}/plugins/publish",
            form=publish_form(),
            auth="token",
            environ=huge,
            status=413,
        ),
        Bad(
            "publish/huge-from-a-person",
            "POST",
            f"{API}/plugins/publish",
            form=publish_form(),
            auth="person",
            environ=huge,
            status=403,
        ),
        Bad(
            "publish/unknown-length",
            "POST",
            f"{API}/plugins/publish",
            form=publish_form(),
            auth="token",
            environ=CHUNKED,
            status=411,
        ),
    ]
    return cases


def page_form_cases() -> list[Bad]:
    """The install and settings pages (HTML answers, no envelope)."""
    install = "/plugins/my-wallet/install/"
    settings_page = "/me/plugins/my-wallet/config/"
    return [
        Bad(
            "page/install-huge-form",
            "POST",
            install,
            form={"target": "me", "config__label": "x" * MIB},
            status=413,
        ),
        Bad(
            "page/install-bad-number",
            "POST",
            install,
            form={"target": "me", "config__refreshSeconds": "ten"},
        ),
        Bad(
            "page/install-forged-team",
            "POST",
            install,
            form={"target": "team:999999999999999999999"},
        ),
        Bad(
            "page/install-config-over-16-kb",
            "POST",
            install,
            form={"target": "me", "config__label": "x" * 17000},
        ),
        Bad(
            "page/settings-deep-json",
            "POST",
            settings_page,
            form={"config__accounts": DEEP[:5000] + DEEP[-5000:]},
        ),
        Bad("page/settings-bad-choice", "POST", settings_page, form={"config__currency": "GBP"}),
    ]


CORPUS = [
    *nul_cases(),
    *page_cases(),
    *query_and_path_cases(),
    *json_cases(),
    *field_cases(),
    *publish_cases(),
    *page_form_cases(),
]


# --- the world each case runs against, and what "nothing written" means ----------------------


@pytest.fixture
def world(plugin_storage_in_tmp):
    """my-wallet 1.0.0 (with a config schema) installed by a person who stored a value; a
    publisher 'wallets' owning it, with a publish token."""
    person = make_user("person")
    publisher = make_publisher("wallets", owner=person)
    publish_plugin("my-wallet", actor=person, publisher=publisher)
    assert WALLET_SCHEMA["properties"]["currency"]["enum"] == ["EUR", "USD"]
    _, _, _, secret = token_for(publisher, user=person, scopes=("publish",))
    clients = {"anonymous": Client(), "person": Client(), "token": Client()}
    clients["person"].force_login(person)
    clients["token"].defaults["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    assert (
        clients["person"]
        .post(f"{API}/plugins/my-wallet/install", {}, "application/json")
        .status_code
        == 201
    )
    assert (
        clients["person"]
        .put(f"{API}/plugins/my-wallet/storage/theme", {"value": "dark"}, "application/json")
        .status_code
        == 201
    )
    return clients, plugin_storage_in_tmp


def written_state(storage_root) -> dict:
    """Every row of our apps' models and the audit log (with its last change) and every stored
    file: what a refused request must leave as it was."""
    state: dict[str, Any] = {}
    for app_label in ("registry", "publishing", "installs"):
        for model in apps.get_app_config(app_label).get_models():
            columns = ["pk"] + (["updated_at"] if hasattr(model, "updated_at") else [])
            state[model._meta.label] = sorted(model.objects.values_list(*columns))
    state["values"] = sorted(PluginStorageEntry.objects.values_list("key", "value"))
    state["files"] = stored_files(storage_root)
    return state


def send(client: Client, case: Bad):
    extra = dict(case.environ)
    if case.form is not None:
        return client.generic(case.method, case.path, **_multipart(client, case.form), **extra)
    if case.body is None:
        data = b""
    elif case.raw:
        data = case.body.encode() if isinstance(case.body, str) else case.body
    else:
        data = json.dumps(case.body).encode()
    return client.generic(case.method, case.path, data, case.content_type, **extra)


def _multipart(client: Client, form: dict) -> dict:
    from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart

    return {"data": encode_multipart(BOUNDARY, form), "content_type": MULTIPART_CONTENT}


@pytest.mark.parametrize("case", CORPUS, ids=[case.name for case in CORPUS])
def test_bad_input_is_a_4xx_in_the_envelope_and_writes_nothing(world, case):
    clients, storage_root = world
    for upload in (case.form or {}).values():
        if hasattr(upload, "seek"):
            upload.seek(0)
    before = written_state(storage_root)

    response = send(clients[case.auth], case)

    expected = case.status if isinstance(case.status, tuple) else (case.status,)
    assert response.status_code in expected, response.content[:500]
    if case.path.startswith("/api/"):
        body = response.json()
        assert body["success"] is False
        assert set(body) == {"success", "error"}
        assert isinstance(body["error"]["code"], str) and body["error"]["code"]
        assert isinstance(body["error"]["message"], str) and body["error"]["message"]
        assert set(body["error"]) <= {"code", "message", "details"}
    assert written_state(storage_root) == before


def test_the_corpus_size(capsys):
    names = [case.name for case in CORPUS]
    assert len(names) == len(set(names))
    with capsys.disabled():
        print(f"\nbad-input corpus: {len(CORPUS)} cases")
    assert len(CORPUS) >= 250  # grows with the API; never shrinks silently
