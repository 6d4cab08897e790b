"""The README's "Your first plugin", followed by a newcomer against a registry with the demo data.

The test runs the README's own shell block (only the registry URL and the token are filled in),
so the README cannot drift into an example that the registry refuses.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from io import StringIO
from pathlib import Path

import requests
from django.contrib.auth import get_user_model
from django.core.management import call_command

from publishing import services
from registry.models import PluginVersion

REPOSITORY = Path(__file__).resolve().parents[2]
MARKER = "<!-- tests/publishing/test_newcomer_path.py runs this block against a live registry -->"
SEEDED_NAMES = {"hello-world", "react-counter", "theme-notes"}


def readme_example() -> str:
    """The shell block that follows the marker in README.md."""
    text = (REPOSITORY / "README.md").read_text()
    assert MARKER in text, "the README lost the block this test runs"
    block = text.split(MARKER, 1)[1].lstrip()
    assert block.startswith("```sh\n")
    return block.removeprefix("```sh\n").split("\n```\n", 1)[0] + "\n"


def token_from_the_pages(client, *, username: str) -> str:
    """Step 1 of the README: a fresh user makes a publisher and a publish token on the pages."""
    newcomer = get_user_model().objects.create_user(username, f"{username}@example.test", "pw")
    client.force_login(newcomer)
    created = client.post(
        "/publishers/new/",
        {"name": f"{username}-labs", "display_name": "Newcomer Labs", "email": "", "website": ""},
    )
    assert created.status_code == 302
    page = client.post(
        "/me/tokens/", {"name": "laptop", "publisher": f"{username}-labs", "scopes": ["publish"]}
    )
    assert page.status_code == 200
    return re.search(rb'value="(naap_[A-Za-z0-9_-]{43})"', page.content).group(1).decode()


def run_naap_plugin(*args: str, registry_url: str, token: str):
    """The venv's naap-plugin, as the README runs it."""
    environment = {
        **os.environ,
        "PYTHONPATH": str(REPOSITORY),
        "NAAP_REGISTRY_URL": registry_url,
        "NAAP_REGISTRY_TOKEN": token,
    }
    return subprocess.run(
        [str(REPOSITORY / ".venv" / "bin" / "naap-plugin"), *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )


def run_readme_block(script: str, *, registry_url: str, token: str, root: Path):
    """Step 2: the block in a shell at a checkout's root (its .venv is this one's)."""
    assert "http://127.0.0.1:8000" in script and "naap_..." in script
    script = script.replace("http://127.0.0.1:8000", registry_url).replace("naap_...", token)
    root.mkdir()
    (root / ".venv").symlink_to(REPOSITORY / ".venv")
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("NAAP_REGISTRY_", "VIRTUAL_ENV"))
    }
    # The venv's naap-plugin runs this checkout's code (a worktree shares another's venv).
    environment["PYTHONPATH"] = str(REPOSITORY)
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        cwd=root,
        env=environment,
        timeout=300,
        check=False,
    )


def test_the_readme_example_publishes_with_a_newcomers_token_next_to_the_demo_data(
    live_server, transactional_db, client, tmp_path
):
    call_command("seed_demo", stdout=StringIO(), stderr=StringIO())
    seeded = set(PluginVersion.objects.values_list("package__name", flat=True))
    assert seeded == SEEDED_NAMES
    token = token_from_the_pages(client, username="newcomer")

    # Why the README publishes a plugin of its own: the examples' names belong to the demo data.
    example = shutil.copytree(REPOSITORY / "examples" / "hello-world", tmp_path / "hello-world")
    refused = run_naap_plugin("publish", str(example), registry_url=live_server.url, token=token)
    assert refused.returncode == 1
    assert "error: the token may not change hello-world@1.0.0 (FORBIDDEN)" in refused.stderr

    completed = run_readme_block(
        readme_example(), registry_url=live_server.url, token=token, root=tmp_path / "checkout"
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    out = completed.stdout
    assert "plugin.json is valid: my-first-plugin@1.0.0" in out
    assert "my-first-plugin@1.0.0 is pending review" in out
    assert "active version: none" in out  # `status` read the name from ./plugin.json
    assert "pending_review" in out
    assert "error:" not in completed.stderr
    plugin_directory = tmp_path / "my-first-plugin"
    assert (plugin_directory / "plugin.json").is_file()

    # Step 3: staff approve it (admin/admin of the demo data); the newcomer installs it.
    version = PluginVersion.objects.get(package__name="my-first-plugin")
    assert version.package.publisher.name == "newcomer-labs"
    services.approve_version(actor=get_user_model().objects.get(username="admin"), version=version)
    installed = client.post("/plugins/my-first-plugin/install/", {"target": "me"})
    assert installed.status_code == 302 and installed["Location"] == "/me/plugins/"
    bootstrap = client.get("/api/v1/plugins/installed").json()["data"]
    assert "my-first-plugin" in {plugin["name"] for plugin in bootstrap["plugins"]}

    manifest = requests.get(
        f"{live_server.url}/api/v1/plugins/registry/my-first-plugin/latest/manifest", timeout=30
    ).json()
    assert manifest["version"] == "1.0.0"
    assert manifest["globalName"] == "NaapPluginMyFirstPlugin"
    bundle_url = manifest["bundleUrl"]
    bundle_url = live_server.url + bundle_url if bundle_url.startswith("/") else bundle_url
    served = requests.get(bundle_url, timeout=30)
    assert served.content == (plugin_directory / "index.js").read_bytes()
