"""`naap-plugin`: validate, build and publish NaaP plugins, and manage their versions.

This package runs on publishers' laptops and in CI, so it never imports Django: only the
standard library, requests, rich and the pure modules publishing.validation and
registry.semver. requests and rich are imported only by the commands that use them (see
client.py and output.py), which keeps the start-up of every command short. Exit codes:
0 success, 1 refused (invalid plugin or a 4xx answer), 2 usage, 3 unavailable (Node.js/
esbuild missing, registry unreachable or failing).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from publishing.cli import commands, deploy_commands
from publishing.cli.output import EXIT_UNAVAILABLE, CliError, Ui
from publishing.cli.upstream import refuse_upstream_options, upstream_command_advice

__all__ = ["__version__", "build_parser", "main"]
__version__ = "0.1.0"

Handler = Callable[[argparse.Namespace, Ui], int]


def _registry_options() -> argparse.ArgumentParser:
    options = argparse.ArgumentParser(add_help=False)
    options.add_argument(
        "-r",
        "--registry",
        metavar="URL",
        help="the registry's base URL (default: $NAAP_REGISTRY_URL or http://127.0.0.1:8000)",
    )
    options.add_argument(
        "--token",
        metavar="TOKEN",
        help="an API token with the publish scope (default: $NAAP_REGISTRY_TOKEN; prefer the "
        "variable, as arguments are visible to other processes)",
    )
    options.add_argument(
        "--json",
        action="store_true",
        help="print the registry's answer as JSON on stdout and nothing else there",
    )
    return options


def _directory_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "directory",
        nargs="?",
        default=".",
        metavar="DIR",
        help="the plugin directory, holding plugin.json (default: the current directory)",
    )


def _build_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--out-dir",
        type=Path,
        metavar="PATH",
        help="where to write the build (default: DIR/dist)",
    )
    parser.add_argument(
        "--sourcemap",
        action="store_true",
        help="also write (and publish) an external source map of a bundled entry",
    )


def _add_command(
    subparsers: argparse._SubParsersAction,
    name: str,
    handler: Handler,
    summary: str,
    parents: Sequence[argparse.ArgumentParser] = (),
) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        name, help=summary, description=handler.__doc__, parents=list(parents)
    )
    parser.set_defaults(handler=handler)
    refuse_upstream_options(parser, name)
    return parser


def _package_argument(
    parser: argparse.ArgumentParser, dest: str, *, metavar: str, what: str
) -> None:
    """The package (or version) a command acts on; left out, plugin.json in the current
    directory names it, as with NaaP's own naap-plugin."""
    parser.add_argument(
        dest,
        nargs="?",
        metavar=metavar,
        help=f"{what} (default: from plugin.json in the current directory)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = argparse.ArgumentParser(
        prog="naap-plugin",
        description="Validate, build and publish NaaP shell plugins.",
        epilog="Exit codes: 0 success, 1 refused, 2 usage, 3 registry or build tool unavailable.",
    )
    parser.add_argument("-V", "--version", action="version", version=f"naap-plugin {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    registry_options = _registry_options()

    def registry_command(name: str, handler: Handler, summary: str) -> argparse.ArgumentParser:
        """A command that talks to the registry (takes --registry, --token, --json)."""
        return _add_command(subparsers, name, handler, summary, parents=[registry_options])

    validate = _add_command(subparsers, "validate", commands.command_validate, "check plugin.json")
    _directory_argument(validate)

    build = _add_command(subparsers, "build", commands.command_build, "build DIR/dist")
    _directory_argument(build)
    _build_options(build)

    publish = registry_command("publish", commands.command_publish, "build and upload a version")
    _directory_argument(publish)
    _build_options(publish)
    publish.add_argument(
        "--release-notes", metavar="TEXT", help="what changed in this version (shown to people)"
    )
    publish.add_argument(
        "--no-deploy",
        dest="deploy",
        action="store_false",
        help="publish without making this the version the shell loads",
    )
    publish.add_argument(
        "--dry-run",
        action="store_true",
        help="build and check, then show what would be uploaded without sending anything",
    )

    deprecate = registry_command("deprecate", commands.command_deprecate, "deprecate a version")
    _package_argument(
        deprecate, "package_version", metavar="NAME@VERSION", what="the version to deprecate"
    )
    deprecate.add_argument("--message", "-m", required=True, help="what people should do instead")

    # A yank cannot be undone, so it always names its version.
    yank = registry_command("yank", commands.command_yank, "yank a version")
    yank.add_argument("package_version", metavar="NAME@VERSION")
    yank.add_argument("--reason", required=True, help="why the version was withdrawn")

    rollback = registry_command(
        "rollback",
        commands.command_rollback,
        "serve another published version (back, or forward again)",
    )
    _package_argument(rollback, "name", metavar="NAME", what="the package")
    rollback.add_argument(
        "--to",
        "-v",
        "--version",
        dest="to",
        metavar="VERSION",
        help="the version to serve (left out: abort the open rollout, or go back to the "
        "previous version)",
    )
    rollback.add_argument("--reason", help="why (recorded in the deployment history)")

    status = registry_command("status", commands.command_status, "show deployment and versions")
    _package_argument(status, "name", metavar="NAME", what="the package")
    status.add_argument(
        "-w",
        "--watch",
        action="store_true",
        help="follow the open rollout (traffic split, success rates) until it ends; needs a token",
    )
    _watch_options(status, timeout=60)

    _deploy_command(registry_command)
    return parser


def _watch_options(parser: argparse.ArgumentParser, *, timeout: float) -> None:
    parser.add_argument(
        "-i",
        "--interval",
        type=float,
        default=5.0,
        metavar="SECONDS",
        help="how often --watch asks the registry (default: 5)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=timeout,
        metavar="MINUTES",
        help=f"stop watching after this long (default: {timeout:g})",
    )


def _deploy_command(registry_command) -> None:
    deploy = registry_command(
        "deploy", deploy_commands.command_deploy, "deploy a version: at once or as a canary"
    )
    deploy.add_argument(
        "name", nargs="?", metavar="NAME", help="the package (default: from plugin.json)"
    )
    deploy.add_argument(
        "version", nargs="?", metavar="VERSION", help="the version (default: from plugin.json)"
    )
    deploy.add_argument(
        "-s",
        "--strategy",
        choices=deploy_commands.STRATEGIES,
        default="blue-green",
        help="immediate and blue-green move everyone at once; canary rolls out in steps "
        "(default: blue-green)",
    )
    deploy.add_argument(
        "--canary-percent", type=float, default=5, metavar="PERCENT", help="first share (5)"
    )
    deploy.add_argument(
        "--canary-increment", type=float, default=25, metavar="PERCENT", help="each step (25)"
    )
    deploy.add_argument(
        "--canary-interval",
        type=float,
        default=5,
        metavar="MINUTES",
        help="time between steps, while healthy (5)",
    )
    deploy.add_argument(
        "--auto-rollback",
        dest="auto_rollback",
        action="store_true",
        default=True,
        help="abort the canary above 5%% errors or a p99 load time of 5 s (the default)",
    )
    deploy.add_argument(
        "--no-auto-rollback",
        dest="auto_rollback",
        action="store_false",
        help="lift those limits (a canary clearly worse than stable is still aborted)",
    )
    deploy.add_argument(
        "--dry-run", action="store_true", help="show the request it would send, send nothing"
    )
    deploy.add_argument("-w", "--watch", action="store_true", help="follow a canary until it ends")
    deploy.add_argument("--reason", help="why (recorded in the deployment history)")
    _watch_options(deploy, timeout=30)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the process exit code."""
    parser = build_parser()
    arguments = list(sys.argv[1:] if argv is None else argv)
    upstream = upstream_command_advice(arguments)
    if upstream:
        command, advice = upstream
        parser.error(
            f"{command} is not supported (it is a command of NaaP's own naap-plugin): {advice}"
        )
    args = parser.parse_args(arguments)
    ui = Ui(json_mode=getattr(args, "json", False))
    try:
        return args.handler(args, ui)
    except CliError as error:
        ui.error(error.message, error.details)
        return error.exit_code
    except KeyboardInterrupt:
        ui.error("interrupted")
        return 130
    except OSError as error:
        # A file that cannot be read or written: say which, without a traceback.
        where = f": {error.filename}" if error.filename else ""
        ui.error(f"{error.strerror or error}{where}")
        return EXIT_UNAVAILABLE
