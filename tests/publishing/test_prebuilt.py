"""Bundles built by NaaP's own vite tooling publish as shipped (../shared/naap-upstream/prebuilt/),
and the registry records which shell globals each version needs from its bundle's UMD wrapper."""

from __future__ import annotations

import json
import shutil
from io import StringIO
from pathlib import Path

import pytest
import requests
from django.core.cache import cache
from django.core.management import call_command

from publishing.cli.output import Ui
from publishing.cli.project import load_project
from registry.cache import generation_key
from registry.models import PluginVersion
from registry.selectors import production_manifest
from tests.factories import make_publisher, make_user
from tests.publishing.test_cli import make_publisher_token, manifest_url_from, run_cli
from tests.shell.helpers import preview_frame_url, probe_bundle, publish_probe
from tests.upstream import built_from_prebuilt, copy_upstream, publish_prebuilt, upstream_path

PREBUILT_FILES = {
    "lightning-client": ("lightning-client.js", None),
    "my-dashboard": ("my-dashboard.js", "my-dashboard-frontend.css"),
}


def absolute(url: str, base: str) -> str:
    return base + url if url.startswith("/") else url


# ---------------------------------------------------------------------------------------------
# Publishing the prebuilt folders


def test_the_prebuilt_my_dashboard_folder_publishes_through_the_cli_with_its_css(
    live_server, transactional_db, tmp_path
):
    folder = copy_upstream("prebuilt/my-dashboard", tmp_path / "my-dashboard")
    token = make_publisher_token(verified=True)

    result = run_cli("publish", str(folder), "--registry", live_server.url, token=token)

    assert result.returncode == 0, result.stderr
    assert "published my-dashboard@1.0.0" in result.stdout
    assert "no plugin.json in" in result.stderr and "using one made from" in result.stderr
    assert "build's manifest.json (name, version, routes, category, description)" in (result.stderr)
    manifest = requests.get(manifest_url_from(result.stdout), timeout=30).json()
    assert manifest["shellGlobals"] == ["React", "ReactDOM"]
    assert manifest["globalName"] == "NaapPluginMyDashboard"
    assert manifest["routes"] == ["/plugins/my-dashboard", "/plugins/my-dashboard/*"]
    assert manifest["displayName"] == "My Dashboard"
    shipped = upstream_path("prebuilt/my-dashboard")
    bundle = requests.get(absolute(manifest["bundleUrl"], live_server.url), timeout=30)
    assert bundle.content == (shipped / "my-dashboard.js").read_bytes()
    styles = requests.get(absolute(manifest["stylesUrl"], live_server.url), timeout=30)
    assert styles.content == (shipped / "my-dashboard-frontend.css").read_bytes()
    globals_answer = requests.get(
        f"{live_server.url}/shell-globals", params={"plugin": "my-dashboard@1.0.0"}, timeout=30
    ).json()
    assert globals_answer["data"] == {"my-dashboard@1.0.0": ["React", "ReactDOM"]}


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(PREBUILT_FILES))
def test_both_prebuilt_folders_publish_with_what_the_cli_sends(name, tmp_path):
    owner = make_user("naap-team")
    publisher = make_publisher("naap", owner=owner)

    version = publish_prebuilt(name, tmp_path, actor=owner, publisher=publisher)

    bundle_file, styles_file = PREBUILT_FILES[name]
    shipped = upstream_path(f"prebuilt/{name}")
    assert version.status == PluginVersion.Status.PUBLISHED
    assert version.shell_globals == ["React", "ReactDOM"]
    assert version.bundle_sha256 == hashes(shipped / bundle_file)
    assert version.styles_sha256 == (hashes(shipped / styles_file) if styles_file else "")
    upstream_manifest = json.loads((shipped / "manifest.json").read_text())
    document = production_manifest(version)
    assert document["shellGlobals"] == ["React", "ReactDOM"]
    assert document["routes"] == upstream_manifest["routes"]
    assert document["bundleHash"] == upstream_manifest["bundleHash"]
    findings = {finding["check"]: finding for finding in version.findings}
    assert findings["shell-globals"]["message"] == (
        "The bundle uses the shell's React and ReactDOM, loaded before it runs."
    )


def hashes(path: Path) -> str:
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------------------------
# Finding the build output and its stylesheet


def plugin_folder_with_build(name: str, source: str, tmp_path: Path) -> Path:
    """The plugin's folder as shipped, with upstream's build output where vite writes it."""
    plugin = copy_upstream(source, tmp_path / name)
    copy_upstream(f"prebuilt/{name}", plugin / "frontend" / "dist" / "production")
    return plugin


def test_publish_from_the_plugin_folder_picks_up_the_css_vite_wrote_beside_the_bundle(tmp_path):
    plugin = plugin_folder_with_build("my-dashboard", "examples/my-dashboard", tmp_path)

    result = run_cli("publish", str(plugin), "--dry-run", "--json")

    assert result.returncode == 0, result.stderr
    plan = json.loads(result.stdout)
    shipped = upstream_path("prebuilt/my-dashboard")
    assert plan["files"]["bundle"]["sha256"] == hashes(shipped / "my-dashboard.js")
    assert plan["files"]["styles"]["sha256"] == hashes(shipped / "my-dashboard-frontend.css")
    assert "styles: my-dashboard-frontend.css, the stylesheet manifest.json names" in (
        result.stderr
    )
    built = json.loads((plugin / "dist" / "manifest.json").read_text())
    assert built["shellGlobals"] == ["React", "ReactDOM"]
    assert built["navigation"]["label"] == "My Dashboard"  # from the plugin's own plugin.json


def test_publish_from_the_build_output_folder_uses_the_plugin_json_above_it(tmp_path):
    plugin = plugin_folder_with_build("my-dashboard", "examples/my-dashboard", tmp_path)
    output = plugin / "frontend" / "dist" / "production"

    project = load_project(output)
    result = run_cli("publish", str(output), "--dry-run")

    assert project.directory == plugin.resolve()
    assert project.manifest_text == (plugin / "plugin.json").read_text()
    assert result.returncode == 0, result.stderr
    assert f"publishing the plugin at {plugin.resolve()}" in result.stderr
    assert "using one made from" not in result.stderr  # the plugin's own plugin.json it is
    assert "styles    styles." in result.stdout


def test_a_build_manifest_naming_another_bundle_is_not_taken_for_this_plugin(tmp_path):
    plugin = plugin_folder_with_build("my-dashboard", "examples/my-dashboard", tmp_path)
    output = plugin / "frontend" / "dist" / "production"
    build_manifest = json.loads((output / "manifest.json").read_text())
    build_manifest["bundleFile"] = "other.js"
    (output / "manifest.json").write_text(json.dumps(build_manifest))
    shutil.copy(output / "my-dashboard.js", output / "other.js")

    project = load_project(output)

    # No plugin.json above names other.js: the build manifest alone describes the plugin.
    assert project.directory == output.resolve()
    assert project.from_build_manifest
    assert project.manifest["frontend"]["entry"] == "./other.js"


def test_css_beside_a_prebuilt_bundle_that_nobody_names_is_reported_not_guessed(tmp_path):
    plugin = plugin_folder_with_build("my-dashboard", "examples/my-dashboard", tmp_path)
    output = plugin / "frontend" / "dist" / "production"
    (output / "manifest.json").unlink()
    (output / "extra.css").write_text("p { color: red }\n")

    result = run_cli("publish", str(plugin), "--dry-run", "--json")

    assert result.returncode == 0, result.stderr
    assert "styles" not in json.loads(result.stdout)["files"]
    for name in ("extra.css", "my-dashboard-frontend.css"):
        assert (
            f"warning: ignored {name} beside my-dashboard.js: there are several beside the "
            "bundle: name one in frontend.styles"
        ) in result.stderr


def test_css_the_build_manifest_does_not_name_is_reported(tmp_path):
    plugin = plugin_folder_with_build("my-dashboard", "examples/my-dashboard", tmp_path)
    output = plugin / "frontend" / "dist" / "production"
    (output / "old.css").write_text("p { color: red }\n")

    result = run_cli("publish", str(plugin), "--dry-run", "--json")

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["files"]["styles"]["sha256"] == hashes(
        output / "my-dashboard-frontend.css"
    )
    assert (
        "warning: ignored old.css beside my-dashboard.js: manifest.json names "
        "my-dashboard-frontend.css as the stylesheet"
    ) in result.stderr


def test_frontend_styles_wins_over_the_css_beside_the_bundle(tmp_path):
    plugin = plugin_folder_with_build("my-dashboard", "examples/my-dashboard", tmp_path)
    (plugin / "own.css").write_text("p { color: blue }\n")
    manifest = json.loads((plugin / "plugin.json").read_text())
    manifest["frontend"]["styles"] = "./own.css"
    (plugin / "plugin.json").write_text(json.dumps(manifest))

    project, result = built_from_project(plugin)

    assert result.styles.data == b"p { color: blue }\n"
    assert project.frontend["styles"] == "./own.css"


def built_from_project(plugin: Path):
    from publishing.cli.build import build_project

    project = load_project(plugin)
    return project, build_project(project, Ui())


def test_the_cli_preview_of_a_prebuilt_bundle_gives_react_its_jsx_runtime(tmp_path):
    _, result = built_from_prebuilt("my-dashboard", tmp_path)

    preview = result.files["preview"].read_text()

    assert result.production_manifest["shellGlobals"] == ["React", "ReactDOM"]
    assert '<script src="vendor/react.production.min.js"></script>' in preview
    assert "React.jsx = jsx;" in preview
    assert preview.index("React.jsx = jsx;") < preview.index(
        f'<script src="{result.production_manifest["bundleUrl"]}">'
    )


# ---------------------------------------------------------------------------------------------
# The recorded globals: publish, manifest, /shell-globals, preview and the backfill

REACT_READER = "var R = window.React, D = window.ReactDOM;"


@pytest.mark.django_db
def test_a_version_records_the_globals_at_publish_and_the_lookups_answer_from_the_record(client):
    react = publish_probe("probe-react", bundle=probe_bundle("probe-react", body=REACT_READER))
    plain = publish_probe("probe-plain")
    assert react.shell_globals == ["React", "ReactDOM"]
    assert plain.shell_globals == []
    assert production_manifest(plain)["shellGlobals"] == []
    # The record is what they answer: no bundle is read again.
    PluginVersion.objects.filter(pk=plain.pk).update(shell_globals=["React"])

    answer = client.get("/shell-globals", {"plugin": ["probe-react@1.0.0", "probe-plain@1.0.0"]})

    assert answer.json()["data"] == {
        "probe-react@1.0.0": ["React", "ReactDOM"],
        "probe-plain@1.0.0": ["React"],
    }
    assert '"shellGlobals": ["React"]' in client.get(preview_frame_url(plain)).content.decode()
    assert client.get("/api/v1/plugins/registry/probe-plain/1.0.0/manifest").json()[
        "shellGlobals"
    ] == ["React"]
    versions = client.get("/api/v1/plugins/registry/probe-react").json()["data"]["versions"]
    assert versions[0]["shellGlobals"] == ["React", "ReactDOM"]


@pytest.mark.django_db
def test_a_version_without_a_record_is_read_from_its_stored_bundle(client):
    react = publish_probe("probe-react", bundle=probe_bundle("probe-react", body=REACT_READER))
    PluginVersion.objects.filter(pk=react.pk).update(shell_globals=None)
    react.refresh_from_db()

    answer = client.get("/shell-globals", {"plugin": "probe-react@1.0.0"})

    assert answer.json()["data"] == {"probe-react@1.0.0": ["React", "ReactDOM"]}
    assert "shellGlobals" not in production_manifest(react)  # the shell then asks the lookup


def forget_records(*versions: PluginVersion) -> None:
    PluginVersion.objects.filter(pk__in=[version.pk for version in versions]).update(
        shell_globals=None
    )


@pytest.mark.django_db
def test_record_shell_globals_backfills_versions_from_their_stored_bundles(
    tmp_path, plugin_storage_in_tmp
):
    owner = make_user("naap-team")
    dashboard = publish_prebuilt(
        "my-dashboard", tmp_path, actor=owner, publisher=make_publisher("naap", owner=owner)
    )
    react = publish_probe("probe-react", bundle=probe_bundle("probe-react", body=REACT_READER))
    plain = publish_probe("probe-plain")
    lost = publish_probe("probe-lost")
    (plugin_storage_in_tmp / lost.bundle_key).unlink()
    forget_records(dashboard, react, plain, lost)
    cache.clear()

    dry = StringIO()
    call_command("record_shell_globals", "--dry-run", stdout=dry, stderr=StringIO())
    assert "would record: my-dashboard@1.0.0 [React, ReactDOM]" in dry.getvalue()
    assert not PluginVersion.objects.filter(shell_globals__isnull=False).exists()

    out, err = StringIO(), StringIO()
    call_command("record_shell_globals", stdout=out, stderr=err)

    recorded = dict(PluginVersion.objects.values_list("package__name", "shell_globals"))
    assert recorded == {
        "my-dashboard": ["React", "ReactDOM"],
        "probe-react": ["React", "ReactDOM"],
        "probe-plain": [],
        "probe-lost": None,
    }
    assert "recorded: probe-plain@1.0.0 [none]" in out.getvalue()
    assert "Done: 3 recorded, 1 unreadable." in out.getvalue()
    assert f"unreadable: probe-lost@1.0.0 ({lost.bundle_key})" in err.getvalue()
    assert cache.get(generation_key("my-dashboard"))  # cached manifests without it retired

    again = StringIO()
    call_command("record_shell_globals", stdout=again, stderr=StringIO())
    assert "Done: 0 recorded, 1 unreadable." in again.getvalue()
