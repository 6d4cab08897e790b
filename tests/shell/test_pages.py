"""The shell's pages and the Content-Security-Policy header, without a browser."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from django.conf import settings

from installs.models import Team, TeamMembership
from installs.services import install_plugin
from registry.models import PluginVersion
from tests.factories import make_publisher, make_user
from tests.shell.helpers import preview_frame_url, preview_url, probe_bundle, publish_probe

pytestmark = pytest.mark.django_db


def policy(response) -> dict[str, list[str]]:
    """The enforced policy as {directive: [sources]}."""
    directives = {}
    for part in response.headers["Content-Security-Policy"].split(";"):
        name, *sources = part.split()
        directives[name] = sources
    return directives


def test_anonymous_visitors_of_the_shell_are_sent_to_sign_in(client):
    response = client.get("/shell/plugins/hello-world")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/shell/plugins/hello-world"


def embedded_json(response, element_id: str) -> dict:
    found = re.search(
        rf'id="{element_id}" type="application/json">(.*?)</script>'.encode(), response.content
    )
    return json.loads(found.group(1).decode())


def test_the_shell_page_frames_the_sandboxed_shell_and_runs_no_plugin_code(client):
    client.force_login(make_user("grace"))

    response = client.get("/shell/plugins/hello-world?tab=2")

    assert response.status_code == 200
    frame = re.search(rb"<iframe[^>]*>", response.content).group(0).decode()
    assert 'src="/sandbox/shell/plugins/hello-world?tab=2"' in frame
    sandbox = re.search(r'sandbox="([^"]*)"', frame).group(1).split()
    assert "allow-scripts" in sandbox and "allow-same-origin" not in sandbox
    assert b"naap/shell.js" not in response.content  # the runtime runs in the frame only
    host_config = embedded_json(response, "naap-shell-host-config")
    # The page renews plugins' tokens with its session and this CSRF token.
    assert host_config == {
        "hostBasePath": "/shell",
        "bootstrapUrl": f"/api/v1/plugins/installed?shellVersion={settings.NAAP_SHELL_VERSION}",
        "tokenUrl": "/api/v1/plugins/__name__/token",
        "csrfToken": host_config["csrfToken"],
    }
    assert len(host_config["csrfToken"]) == 64


def test_the_shell_frame_gets_the_bootstrap_and_one_grant_per_plugin_inline(client):
    user = make_user("grace", staff=True)
    team = Team.objects.create(name="ops", display_name="Ops")
    TeamMembership.objects.create(team=team, user=user, role="admin")
    publish_probe("probe-one")
    publish_probe("probe-two")
    for name in ("probe-one", "probe-two"):
        install_plugin(actor=user, name=name, team_id=None, config=None)
    client.force_login(user)

    response = client.get("/sandbox/shell/plugins/probe-one")

    config = embedded_json(response, "naap-shell-config")
    assert config["user"] == {
        "id": user.pk,
        "username": "grace",
        "displayName": "grace",
        "roles": ["user", "staff", "superuser", "system:admin", "team:ops:admin"],
        "teams": [{"id": team.pk, "name": "ops", "displayName": "Ops", "role": "admin"}],
    }
    assert config["tokenLifetime"] == settings.NAAP_PLUGIN_TOKEN_LIFETIME
    assert [plugin["name"] for plugin in config["bootstrap"]["plugins"]] == [
        "probe-one",
        "probe-two",
    ]
    assert set(config["grants"]) == {"probe-one", "probe-two"}
    assert config["grants"]["probe-one"] != config["grants"]["probe-two"]
    assert config["basePath"] == "/sandbox/shell"
    assert config["bridge"] is True
    assert config["shellVersion"] == settings.NAAP_SHELL_VERSION
    assert client.cookies[settings.SESSION_COOKIE_NAME].value not in response.content.decode()


def test_the_shell_frame_is_sandboxed_by_its_own_policy_and_framed_only_by_the_site(client):
    client.force_login(make_user("grace"))

    response = client.get("/sandbox/shell/")

    directives = policy(response)
    assert "allow-scripts" in directives["sandbox"]
    assert "allow-same-origin" not in directives["sandbox"]
    assert directives["frame-ancestors"] == ["'self'"]
    assert response["X-Frame-Options"] == "SAMEORIGIN"
    assert "no-store" in response["Cache-Control"]  # it holds the plugins' grants


def test_the_shell_frame_without_a_session_shows_no_plugins(client):
    response = client.get("/sandbox/shell/")

    assert response.status_code == 403
    assert b"naap-shell-config" not in response.content
    assert "allow-same-origin" not in policy(response)["sandbox"]


def test_session_and_csrf_cookies_stay_off_cross_site_requests():
    # The frame's opaque origin is another site: Lax keeps the session off its requests.
    assert settings.SESSION_COOKIE_SAMESITE == "Lax"
    assert settings.CSRF_COOKIE_SAMESITE == "Lax"


def test_static_files_answer_any_origin_as_the_sandboxed_frame_imports_them(client):
    response = client.get("/static/naap/shell.js")

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"


def test_pages_send_a_strict_policy_whose_nonce_matches_the_pages_script(client):
    client.force_login(make_user("grace"))
    response = client.get("/shell/")

    directives = policy(response)
    nonce = re.search(rb'<script type="module" nonce="([^"]+)">', response.content).group(1)
    assert directives["script-src"] == ["'self'", f"'nonce-{nonce.decode()}'"]
    assert directives["style-src"] == ["'self'", f"'nonce-{nonce.decode()}'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["base-uri"] == ["'self'"]
    assert "'unsafe-eval'" not in response.headers["Content-Security-Policy"]
    assert "'unsafe-inline'" not in response.headers["Content-Security-Policy"]


def test_pages_without_inline_scripts_carry_no_nonce(client):
    directives = policy(client.get("/"))
    assert directives["script-src"] == ["'self'"]


def test_the_api_docs_policy_allows_inline_styles_but_no_inline_script(client):
    directives = policy(client.get("/api/v1/docs/"))
    assert directives["script-src"] == ["'self'"]
    assert "'unsafe-inline'" in directives["style-src"]
    assert directives["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize(
    ("environment", "expected"),
    [
        ({"PLUGIN_CDN_URL": "https://cdn.example.com/assets/"}, ["https://cdn.example.com"]),
        (
            {"AWS_STORAGE_BUCKET_NAME": "plugins", "AWS_S3_ENDPOINT_URL": "http://127.0.0.1:9000"},
            ["http://127.0.0.1:9000"],
        ),
        (
            {
                "PLUGIN_CDN_URL": "https://cdn.example.com",
                "AWS_STORAGE_BUCKET_NAME": "plugins",
                "AWS_S3_REGION_NAME": "eu-west-1",
            },
            [
                "https://cdn.example.com",
                # Presigned URLs of files in review name the bucket itself.
                "https://plugins.s3.amazonaws.com",
                "https://plugins.s3.eu-west-1.amazonaws.com",
            ],
        ),
        ({}, []),
    ],
)
def test_the_policy_allows_the_plugin_cdn_origin(tmp_path, environment, expected):
    code = (
        "import django; django.setup(); from django.conf import settings as s; import json;"
        "print(json.dumps([s.SECURE_CSP['script-src'], s.SECURE_CSP['style-src']]))"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("AWS_", "PLUGIN_", "DATABASE_URL"))
    }
    env.update(
        environment,
        DJANGO_SETTINGS_MODULE="naap.settings",
        DEBUG="1",
        NAAP_DATA_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    scripts, styles = json.loads(result.stdout)
    assert scripts == ["'self'", *expected, "<CSP_NONCE_SENTINEL>"]
    assert styles == scripts


def test_a_version_in_review_is_previewed_by_its_publisher_and_staff_only(client):
    publisher_member = make_user("maker")
    version = publish_probe("probe-review", actor=publisher_member)
    PluginVersion.objects.filter(pk=version.pk).update(status=PluginVersion.Status.PENDING_REVIEW)

    assert client.get(preview_url(version)).status_code == 404
    client.force_login(make_user("stranger"))
    assert client.get(preview_url(version)).status_code == 404
    client.force_login(publisher_member)
    assert client.get(preview_url(version)).status_code == 200
    client.force_login(make_user("moderator", staff=True))
    assert client.get(preview_url(version)).status_code == 200


def test_the_preview_of_a_version_in_review_loads_its_files_through_temporary_urls(client):
    maker = make_user("maker")
    version = publish_probe(
        "probe-pending", actor=maker, publisher=make_publisher(owner=maker, verified=False)
    )
    assert version.status == "pending_review"
    client.force_login(maker)

    manifest = client.get(preview_frame_url(version)).context["manifest"]

    assert manifest["bundleUrl"].startswith(f"/cdn/{version.bundle_key}?")
    assert "signature=" in manifest["bundleUrl"]
    assert manifest["integrity"]["bundle"] == version.bundle_integrity
    assert client.get(manifest["bundleUrl"]).status_code == 200
    assert client.get(version.bundle_url).status_code == 404


def test_the_preview_of_a_published_version_loads_its_public_files(client):
    version = publish_probe("probe-public")

    manifest = client.get(preview_frame_url(version)).context["manifest"]

    assert manifest["bundleUrl"] == version.bundle_url == f"/cdn/{version.bundle_key}"


def test_the_preview_page_frames_the_version_and_runs_no_plugin_code(client):
    version = publish_probe("probe-framed")

    response = client.get(preview_url(version))

    frame = re.search(rb"<iframe[^>]*>", response.content).group(0).decode()
    assert f'src="{preview_frame_url(version)}"' in frame
    assert "allow-same-origin" not in re.search(r'sandbox="([^"]*)"', frame).group(1)
    assert b"naap/shell.js" not in response.content
    framed = client.get(preview_frame_url(version))
    assert "allow-same-origin" not in policy(framed)["sandbox"]
    assert policy(framed)["frame-ancestors"] == ["'self'"]
    assert framed["X-Frame-Options"] == "SAMEORIGIN"


def test_the_preview_frame_checks_who_may_see_the_version_too(client):
    maker = make_user("maker")
    version = publish_probe(
        "probe-hidden", actor=maker, publisher=make_publisher(owner=maker, verified=False)
    )

    assert client.get(preview_frame_url(version)).status_code == 404
    client.force_login(maker)
    assert client.get(preview_frame_url(version)).status_code == 200


def test_a_rejected_or_unknown_version_has_no_preview(client):
    version = publish_probe("probe-rejected")
    PluginVersion.objects.filter(pk=version.pk).update(status=PluginVersion.Status.REJECTED)
    client.force_login(make_user("admin", staff=True))

    assert client.get(preview_url(version)).status_code == 404
    assert client.get("/plugins/probe-rejected/9.9.9/preview/").status_code == 404
    assert client.get("/plugins/nothing-here/1.0.0/preview/").status_code == 404


def test_the_preview_manifest_says_which_shell_globals_the_bundle_uses(client):
    react_user = publish_probe(
        "probe-react",
        bundle=probe_bundle("probe-react", body="var R = window.React, D = window.ReactDOM;"),
    )
    plain = publish_probe("probe-plain")

    response = client.get(
        "/shell-globals",
        {"plugin": ["probe-react@1.0.0", "probe-plain@1.0.0", "missing@1.0.0", "bad"]},
    )

    assert response.status_code == 200
    assert response["Cache-Control"] == "public, max-age=86400"
    assert response.json() == {
        "success": True,
        "data": {"probe-react@1.0.0": ["React", "ReactDOM"], "probe-plain@1.0.0": []},
    }
    preview = client.get(preview_frame_url(react_user)).content.decode()
    assert '"shellGlobals": ["React", "ReactDOM"]' in preview
    assert '"shellGlobals": []' in client.get(preview_frame_url(plain)).content.decode()


def test_the_shell_globals_lookup_is_bounded(client):
    response = client.get("/shell-globals", {"plugin": [f"p{index}@1.0.0" for index in range(51)]})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "BAD_REQUEST"
