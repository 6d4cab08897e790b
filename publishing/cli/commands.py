"""The commands of `naap-plugin`; each takes parsed arguments and returns an exit code."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from publishing.cli.build import BuildResult, build_project, describe_build
from publishing.cli.client import (
    DEFAULT_REGISTRY_URL,
    ApiError,
    FilePart,
    Multipart,
    RegistryClient,
    api_path,
    encode_multipart,
)
from publishing.cli.output import EXIT_OK, EXIT_USAGE, CliError, Ui, format_size
from publishing.cli.project import MANIFEST_FILE, load_project, require_valid_project
from publishing.validation import validate_package_name
from registry.semver import is_valid

TOKEN_ENVIRONMENT_VARIABLE = "NAAP_REGISTRY_TOKEN"
REGISTRY_ENVIRONMENT_VARIABLE = "NAAP_REGISTRY_URL"


# ---------------------------------------------------------------------------------------------
# Shared helpers


def registry_url(args: argparse.Namespace) -> str:
    """--registry, else NAAP_REGISTRY_URL, else the local development server."""
    return (
        args.registry
        or os.environ.get(REGISTRY_ENVIRONMENT_VARIABLE, "").strip()
        or DEFAULT_REGISTRY_URL
    )


def registry_token(args: argparse.Namespace, *, required: bool) -> str | None:
    """--token, else NAAP_REGISTRY_TOKEN; a usage error when required and missing."""
    token = (args.token or os.environ.get(TOKEN_ENVIRONMENT_VARIABLE, "")).strip()
    if not token and required:
        raise CliError(
            f"no registry token: set {TOKEN_ENVIRONMENT_VARIABLE} or pass --token "
            "(create one on the registry's tokens page)",
            exit_code=EXIT_USAGE,
        )
    return token or None


def make_client(args: argparse.Namespace, ui: Ui, *, token_required: bool) -> RegistryClient:
    """A client for the chosen registry, with the token when there is one."""
    from publishing.cli import __version__

    return RegistryClient(
        registry_url(args),
        token=registry_token(args, required=token_required),
        ui=ui,
        user_agent=f"naap-plugin/{__version__}",
    )


def parse_package_version(text: str) -> tuple[str, str]:
    """Split NAME@VERSION, checking both halves the way the registry will."""
    name, separator, version = text.strip().partition("@")
    if not separator or not name or not version:
        raise CliError(
            f"expected NAME@VERSION such as my-wallet@1.2.0, not '{text}'", exit_code=EXIT_USAGE
        )
    check_package_name(name)
    if not is_valid(version):
        raise CliError(f"'{version}' is not a Semantic Version such as 1.2.0", exit_code=EXIT_USAGE)
    return name, version


def package_from_plugin_json(usage: str) -> tuple[str, str]:
    """The name and version in plugin.json of the current directory, for a command given no
    package (NaaP's own naap-plugin reads them there); a usage error when there is none."""
    directory = Path.cwd()
    if not (directory / MANIFEST_FILE).is_file():
        raise CliError(
            f"no package named, and no {MANIFEST_FILE} in {directory} to read it from: name it "
            f"(naap-plugin {usage}) or run the command in the plugin's directory",
            exit_code=EXIT_USAGE,
        )
    manifest = load_project(directory).manifest
    name, version = manifest.get("name"), manifest.get("version")
    if not isinstance(name, str) or not isinstance(version, str):
        raise CliError(
            f"{MANIFEST_FILE} in {directory} has no name and version to act on: name the "
            f"package (naap-plugin {usage})",
            exit_code=EXIT_USAGE,
        )
    return name, version


def package_argument(args: argparse.Namespace, usage: str) -> str:
    """The NAME the command was given, else the name in ./plugin.json; checked either way."""
    name = args.name or package_from_plugin_json(usage)[0]
    check_package_name(name)
    return name


def check_package_name(name: str) -> None:
    """Refuse a malformed package name before asking the registry about it."""
    problem = validate_package_name(name)
    if problem:
        raise CliError(f"'{name}' is not a package name: {problem}", exit_code=EXIT_USAGE)


def refusal(error: ApiError, *, subject: str, conflict: str | None = None) -> CliError:
    """Turn the registry's error envelope into one clear line (plus one line per field)."""
    message = error.message.rstrip()
    details = [f"{field}: {text}" for field, text in error.fields.items()]
    if error.code == "UNAUTHORIZED" or error.status == 401:
        line = f"the registry refused the token (UNAUTHORIZED): {message}"
    elif error.code == "FORBIDDEN" or error.status == 403:
        line = f"the token may not change {subject} (FORBIDDEN): {message}"
    elif error.code == "CONFLICT" and conflict:
        line = conflict
    elif error.code == "VALIDATION_ERROR":
        line = f"the registry refused {subject} (VALIDATION_ERROR): {message}"
    elif error.code == "NOT_FOUND":
        line = f"{message} (NOT_FOUND)"
    elif error.code == "RATE_LIMITED":
        wait = f"; try again in {error.retry_after:g}s" if error.retry_after else ""
        line = f"the registry is limiting requests (RATE_LIMITED): {message.rstrip('.')}{wait}"
    elif error.code == "PAYLOAD_TOO_LARGE":
        line = f"the upload is too large for the registry (PAYLOAD_TOO_LARGE): {message}"
    else:
        line = f"{message} ({error.code}, HTTP {error.status})"
    return CliError(line, details=details)


def _findings_lines(findings: list[dict[str, Any]], *, include_info: bool) -> list[str]:
    lines = []
    for finding in findings or []:
        severity = str(finding.get("severity", "info"))
        if severity == "info" and not include_info:
            continue
        lines.append(f"  [{severity}] {finding.get('check', '?')}: {finding.get('message', '')}")
    return lines


# ---------------------------------------------------------------------------------------------
# validate and build


def command_validate(args: argparse.Namespace, ui: Ui) -> int:
    """Check DIR/plugin.json with the registry's own validator; every error is listed."""
    project = load_project(args.directory)
    require_valid_project(project, ui, for_build=False)
    ui.say(f"{MANIFEST_FILE} is valid: {project.name}@{project.version}", style="green")
    pending = project.pending_build()
    if pending is not None:
        built, source = pending
        ui.say(
            f"frontend.entry {built} is not built yet: `naap-plugin build` will produce it "
            f"from {project.relative(source)}"
        )
    return EXIT_OK


def command_build(args: argparse.Namespace, ui: Ui) -> int:
    """Bundle or package the plugin into DIR/dist, ready to publish or preview."""
    project = load_project(args.directory)
    require_valid_project(project, ui)
    result = build_project(project, ui, out_dir=args.out_dir, sourcemap=args.sourcemap)
    describe_build(result, ui)
    return EXIT_OK


# ---------------------------------------------------------------------------------------------
# publish


def publish_form(result: BuildResult, *, release_notes: str | None, deploy: bool) -> Multipart:
    """The multipart form of POST /plugins/publish for a build."""
    fields = [("manifest", result.project.manifest_text)]
    if release_notes:
        fields.append(("releaseNotes", release_notes))
    if not deploy:
        fields.append(("deploy", "false"))
    files = [FilePart("bundle", result.bundle_name, "application/javascript", result.bundle.data)]
    if result.styles is not None and result.styles_name:
        files.append(FilePart("styles", result.styles_name, "text/css", result.styles.data))
    if result.sourcemap is not None and result.sourcemap_name:
        files.append(
            FilePart("sourcemap", result.sourcemap_name, "application/json", result.sourcemap.data)
        )
    segments, content_type = encode_multipart(fields, files)
    return Multipart(segments=segments, content_type=content_type)


def manifest_url(base_url: str, name: str, version: str) -> str:
    """Where the shell (and people) read a version's production manifest."""
    return base_url + api_path("plugins", "registry", name, version, "manifest")


def _dry_run(args: argparse.Namespace, result: BuildResult, form: Multipart, ui: Ui) -> int:
    project = result.project
    url = registry_url(args).rstrip("/") + api_path("plugins", "publish")
    files = [("bundle", result.bundle_name, result.bundle)]
    if result.styles is not None and result.styles_name:
        files.append(("styles", result.styles_name, result.styles))
    if result.sourcemap is not None and result.sourcemap_name:
        files.append(("sourcemap", result.sourcemap_name, result.sourcemap))
    plan = {
        "dryRun": True,
        "url": url,
        "name": project.name,
        "version": project.version,
        "deploy": args.deploy,
        "releaseNotes": args.release_notes or "",
        "bytes": form.size,
        "files": {
            field: {"filename": filename, "size": asset.size, "sha256": asset.sha256}
            for field, filename, asset in files
        },
    }
    if args.json:
        ui.emit_json(plan)
        return EXIT_OK
    ui.say(f"dry run: would POST {project.name}@{project.version} to {url} (nothing was sent)")
    ui.say(f"  manifest  {MANIFEST_FILE} ({format_size(len(project.manifest_text.encode()))})")
    for field, filename, asset in files:
        ui.say(f"  {field:<9} {filename} ({format_size(asset.size)}, sha256 {asset.sha256})")
    ui.say(f"  deploy    {'yes' if args.deploy else 'no (--no-deploy)'}")
    if args.release_notes:
        ui.say(f"  releaseNotes {len(args.release_notes)} characters")
    return EXIT_OK


def command_publish(args: argparse.Namespace, ui: Ui) -> int:
    """Build the plugin and upload it to the registry (idempotent for identical files)."""
    # Refuse a missing token or a malformed URL before spending time on a build.
    client = None if args.dry_run else make_client(args, ui, token_required=True)
    project = load_project(args.directory)
    require_valid_project(project, ui)
    result = build_project(project, ui, out_dir=args.out_dir, sourcemap=args.sourcemap)
    describe_build(result, ui)
    form = publish_form(result, release_notes=args.release_notes, deploy=args.deploy)
    if client is None:
        return _dry_run(args, result, form, ui)
    subject = f"{project.name}@{project.version}"
    try:
        with ui.transfer(f"uploading {subject}", form.size) as advance:
            answer = client.request(
                "POST", api_path("plugins", "publish"), multipart=form, progress=advance
            )
    except ApiError as error:
        raise refusal(
            error,
            subject=subject,
            conflict=f"{subject} already exists with different files (CONFLICT) — bump the version",
        ) from None
    data = answer.data if isinstance(answer.data, dict) else {}
    if args.json:
        ui.emit_json(answer.data)
        return EXIT_OK
    _describe_publish(data, subject=subject, created=answer.status == 201, ui=ui)
    ui.say(f"manifest: {manifest_url(client.base_url, project.name, project.version)}")
    return EXIT_OK


def _describe_publish(data: dict[str, Any], *, subject: str, created: bool, ui: Ui) -> None:
    version = data.get("version") if isinstance(data.get("version"), dict) else {}
    status = str(version.get("status", "unknown"))
    findings = version.get("findings") or []
    if not created:
        ui.say(f"{subject} was already published with these exact files; nothing changed")
    if status == "published":
        ui.say(f"published {subject}", style="green bold")
        for line in _findings_lines(findings, include_info=False):
            ui.say(line)
    elif status == "pending_review":
        ui.say(
            f"{subject} is pending review: the registry's staff approve versions of "
            "unverified publishers and versions asking for top-level routes, core status or "
            "origins to connect to not approved yet; the automated review found:",
            style="yellow bold",
        )
        for line in _findings_lines(findings, include_info=True):
            ui.say(line)
    else:
        ui.say(f"{subject} is {status}")
    for warning in data.get("warnings") or []:
        ui.warn(str(warning))
    deployment = data.get("deployment")
    active = deployment.get("version") if isinstance(deployment, dict) else None
    name = subject.partition("@")[0]
    if active and active == version.get("version"):
        ui.say(f"deployed: {name} now serves {active}")
    elif status == "published":
        serving = f"{name} still serves {active}" if active else f"{name} has no active version"
        ui.say(f"not deployed (a pre-release, or --no-deploy): {serving}")
    if version.get("bundleUrl"):
        ui.say(f"bundle: {version['bundleUrl']}")


# ---------------------------------------------------------------------------------------------
# deprecate, yank, rollback, status


def command_deprecate(args: argparse.Namespace, ui: Ui) -> int:
    """Mark a version deprecated: it still loads, but people are told to move on."""
    package_version = args.package_version or "@".join(
        package_from_plugin_json("deprecate NAME@VERSION -m TEXT")
    )
    return _change_version(
        args,
        ui,
        package_version=package_version,
        action="deprecate",
        done="deprecated",
        payload={"message": args.message},
    )


def command_yank(args: argparse.Namespace, ui: Ui) -> int:
    """Withdraw a broken version: it is no longer resolved, and never deployed again."""
    return _change_version(
        args,
        ui,
        package_version=args.package_version,
        action="yank",
        done="yanked",
        payload={"reason": args.reason},
    )


def _change_version(
    args: argparse.Namespace,
    ui: Ui,
    *,
    package_version: str,
    action: str,
    done: str,
    payload: dict[str, str],
) -> int:
    """POST one of a version's state changes (of NAME@VERSION) and report it."""
    name, version = parse_package_version(package_version)
    client = make_client(args, ui, token_required=True)
    path = api_path("plugins", name, "versions", version, action)
    data = _post_change(client, path, payload, subject=f"{name}@{version}")
    if args.json:
        ui.emit_json(data)
    else:
        [text] = payload.values()
        ui.say(f"{done} {name}@{version}: {text}", style="green")
    return EXIT_OK


def command_rollback(args: argparse.Namespace, ui: Ui) -> int:
    """Point the package's deployment at another published version: an earlier one, or
    forward again to a newer one after a rollback. Without a version: abort the open rollout
    (everyone back on the stable version), or go back to the previous version."""
    name = package_argument(args, "rollback NAME --to VERSION")
    if args.to is None:
        from publishing.cli.deploy_commands import command_rollback_protocol

        return command_rollback_protocol(args, ui, name)
    if not is_valid(args.to):
        raise CliError(f"'{args.to}' is not a Semantic Version such as 1.2.0", exit_code=EXIT_USAGE)
    client = make_client(args, ui, token_required=True)
    payload = {"version": args.to, "reason": args.reason or ""}
    data = _post_change(client, api_path("plugins", name, "rollback"), payload, subject=name)
    if args.json:
        ui.emit_json(data)
        return EXIT_OK
    active = data.get("version") if isinstance(data, dict) else None
    ui.say(f"{name} now serves {active or args.to}", style="green")
    return EXIT_OK


def _post_change(
    client: RegistryClient, path: str, payload: dict[str, Any], *, subject: str
) -> Any:
    try:
        with client.ui.spinner(f"asking {client.base_url}"):
            return client.post_json(path, payload).data
    except ApiError as error:
        raise refusal(error, subject=subject) from None


def command_status(args: argparse.Namespace, ui: Ui) -> int:
    """Show a package's deployment (active version, canary, recent events) and its versions;
    with --watch, follow its open rollout until it ends."""
    name = package_argument(args, "status NAME")
    if args.watch:
        from publishing.cli.deploy_commands import command_status_watch

        return command_status_watch(args, ui, name)
    client = make_client(args, ui, token_required=False)
    try:
        with ui.spinner(f"asking {client.base_url}"):
            listing = client.get(api_path("plugins", "registry", name)).data
            try:
                deployment = client.get(api_path("plugins", name, "deployment")).data
            except ApiError as error:
                # A package whose first version still waits for review has no deployment yet.
                if error.status != 404:
                    raise
                deployment = {"deployment": None, "events": []}
    except ApiError as error:
        raise refusal(error, subject=name) from None
    if args.json:
        ui.emit_json({"deployment": deployment, "package": listing})
        return EXIT_OK
    from publishing.cli.deploy_commands import describe_status

    describe_status(name, deployment, listing, ui)
    return EXIT_OK
