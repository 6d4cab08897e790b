"""What NaaP's own `naap-plugin` (packages/plugin-sdk/cli) has that this one does not.

People come to this CLI with the habits of that one. Where its options mean the same thing
here they are spelled the same (`-r/--registry`, `-m/--message`, `--dry-run`,
`--release-notes`, `--json`); every other option of its commands is refused with a usage error
(exit 2) that says what to use instead, and so is each of its commands that has no
counterpart here. When this CLI grows one of them, its entry leaves these tables.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass


@dataclass(frozen=True)
class UpstreamOption:
    """An option of upstream's command that this CLI does not take, and what to do instead."""

    flags: tuple[str, ...]
    advice: str
    takes_value: bool = False


NO_BACKENDS = (
    "the marketplace stores plugin frontends only; a plugin's backend is a separate service you "
    "build and run with your own tooling"
)
FROM_PLUGIN_JSON = "(without it, the name and version come from plugin.json in this directory)"

# Per command of this CLI: the options its upstream namesake has and this one lacks.
UPSTREAM_OPTIONS: dict[str, tuple[UpstreamOption, ...]] = {
    "build": (
        UpstreamOption(
            ("-d", "--dir"),
            "give the plugin directory as an argument: naap-plugin build DIR",
            takes_value=True,
        ),
        UpstreamOption(
            ("--frontend-only",),
            "the build is always of the frontend alone; leave the option out",
        ),
        UpstreamOption(("--backend-only",), NO_BACKENDS),
        UpstreamOption(("--docker",), NO_BACKENDS),
        UpstreamOption(
            ("--skip-validation",),
            "validation always runs, because the registry runs the same checks and would refuse "
            "what a build skipped",
        ),
        UpstreamOption(
            ("--skip-security",),
            "the automated review's findings are printed as warnings and never stop a build; "
            "the registry runs the review again on publish",
        ),
    ),
    "publish": (
        UpstreamOption(
            ("-t", "--tag"),
            "versions have no tags here: a pre-release such as 1.2.0-beta.1 is never deployed "
            "on publish, and --no-deploy publishes a release without deploying it",
            takes_value=True,
        ),
        UpstreamOption(
            ("--verify",),
            "use --dry-run: it builds and runs every check, then shows what would be uploaded "
            "and sends nothing",
        ),
        UpstreamOption(
            ("--access",),
            "every published plugin is public on the marketplace; there is no private access level",
            takes_value=True,
        ),
        UpstreamOption(
            ("--from-github",),
            "in a GitHub Actions step, set NAAP_REGISTRY_URL and NAAP_REGISTRY_TOKEN (from a "
            "secret) in its env and run naap-plugin publish DIR (docs/cli.md, 'In CI')",
        ),
        UpstreamOption(
            ("--frontend-url",),
            "the registry stores and serves the bundle itself: publish builds frontend.entry and "
            "uploads the files",
            takes_value=True,
        ),
        UpstreamOption(("--backend-image",), NO_BACKENDS, takes_value=True),
        UpstreamOption(
            ("--retries",),
            "retries are automatic: 3 attempts with backoff on 5xx answers and network failures",
            takes_value=True,
        ),
    ),
    "deprecate": (
        UpstreamOption(
            ("-v", "--version"),
            "name the version as NAME@VERSION: naap-plugin deprecate my-plugin@1.2.0 -m TEXT "
            + FROM_PLUGIN_JSON,
            takes_value=True,
        ),
        UpstreamOption(
            ("--unpublish",),
            "versions are never deleted; naap-plugin yank NAME@VERSION --reason TEXT withdraws one",
        ),
    ),
    "rollback": (
        UpstreamOption(
            ("-f", "--force"),
            "naap-plugin never asks for confirmation; leave the option out",
        ),
    ),
    "deploy": (
        UpstreamOption(
            ("--skip-health-check",),
            "there is no health-check endpoint to skip: a canary's health is the field reports "
            "of its real loads; --no-auto-rollback lifts its error and latency limits",
        ),
    ),
}

# Upstream's commands that have no counterpart here, and what to use instead.
UPSTREAM_COMMANDS: dict[str, str] = {
    "create": "copy a plugin of the NaaP monorepo or one of this repository's examples/, then "
    "change name and version in its plugin.json",
    "dev": "naap-plugin build DIR writes DIR/dist/index.html, which mounts the plugin with a stub "
    "shell; or publish with --no-deploy and open the version's preview page",
    "test": "run the plugin's own tests (npm test in its frontend/)",
    "package": "naap-plugin build DIR writes the files publish uploads to DIR/dist",
    "version": "change version in plugin.json; a changed plugin needs a new version to publish",
    "github": "in GitHub Actions, set NAAP_REGISTRY_URL and NAAP_REGISTRY_TOKEN in the step's env "
    "and run naap-plugin publish DIR (docs/cli.md, 'In CI')",
    "doctor": "naap-plugin validate DIR checks plugin.json, and build says which tool is missing",
    "logs": "the marketplace keeps no plugin logs; naap-plugin status shows the deployment's "
    "recent events",
    "generate": "this CLI does not write plugin code; it validates, builds and publishes it",
    "iterate": "this CLI does not write plugin code; it validates, builds and publishes it",
    "add": "this CLI does not write plugin code; it validates, builds and publishes it",
}


class _RefuseUpstreamOption(argparse.Action):
    """An upstream option given on the command line: a usage error that says what to use."""

    def __init__(self, option_strings, dest, *, advice: str, **kwargs) -> None:
        self.advice = advice
        super().__init__(option_strings, dest, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        command = parser.prog.rsplit(" ", 1)[-1]
        parser.error(
            f"{option_string} is not supported (it is an option of NaaP's own naap-plugin "
            f"{command}): {self.advice}"
        )


def refuse_upstream_options(parser: argparse.ArgumentParser, command: str) -> None:
    """Add upstream's options of `command` to its parser, hidden, each refused with its advice."""
    for option in UPSTREAM_OPTIONS.get(command, ()):
        parser.add_argument(
            *option.flags,
            action=_RefuseUpstreamOption,
            advice=option.advice,
            nargs="?" if option.takes_value else 0,
            dest=argparse.SUPPRESS,
            default=argparse.SUPPRESS,
            help=argparse.SUPPRESS,
        )


def upstream_command_advice(arguments: list[str]) -> tuple[str, str] | None:
    """The command and its advice when the command line names one of upstream's commands that
    this CLI lacks, else None."""
    command = next((argument for argument in arguments if not argument.startswith("-")), None)
    if command in UPSTREAM_COMMANDS:
        return command, UPSTREAM_COMMANDS[command]
    return None
