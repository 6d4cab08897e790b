"""Production's static files: the shell runtime's ES modules import each other by their
hashed names, so a hashed shell.js never runs parts of another release."""

from __future__ import annotations

import re

from django.core.management import call_command
from django.test import override_settings

from tests.naap.test_settings import run

PRODUCTION = "naap.staticfiles.HashedModulesStaticFilesStorage"

IMPORT = re.compile(r"""\b(?:import|export)\b[^;'"]*?\bfrom\s*["']([^"']+)["']""")


def test_production_serves_static_files_from_the_storage_that_rewrites_imports():
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(settings.STORAGES['staticfiles']['BACKEND'])"
    )
    done = run(code, DEBUG="0", SECRET_KEY="s" * 50)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == PRODUCTION


def test_collectstatic_rewrites_the_runtimes_module_imports_to_hashed_files(tmp_path, settings):
    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": PRODUCTION}}
    with override_settings(STATIC_ROOT=str(tmp_path), STORAGES=storages):
        call_command("collectstatic", "--no-input", "-v0")

    hashed = sorted((tmp_path / "naap").glob("shell*.*.js"))
    runtime = [path for path in hashed if re.fullmatch(r"shell\.[0-9a-f]{12}\.js", path.name)]
    assert len(runtime) == 1
    seen = []
    for path in hashed:
        for target in IMPORT.findall(path.read_text()):
            seen.append(target)
            assert re.fullmatch(r"\./shell-[a-z]+\.[0-9a-f]{12}\.js", target), (path.name, target)
            assert (path.parent / target).is_file(), (path.name, target)
    # shell.js imports its parts, which import one another.
    assert {"shell-context", "shell-events", "shell-services", "shell-tenant"} <= {
        target[2:].split(".")[0] for target in seen
    }
