"""`naap-plugin` next to NaaP's own CLI (the monorepo's packages/plugin-sdk/cli/commands/*.ts).

Every command and option of that CLI, read from its sources in the pinned NaaP sample, is
either ours with the same meaning (and the same short flag) or refused with a usage error that
says what to use instead: a publisher's habits never do something else here.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from publishing.cli import build_parser, main
from publishing.cli.upstream import UPSTREAM_COMMANDS, UPSTREAM_OPTIONS
from tests.upstream import NAAP_UPSTREAM

REPOSITORY = Path(__file__).resolve().parents[2]
UPSTREAM = NAAP_UPSTREAM
UPSTREAM_CLI_COMMANDS = UPSTREAM / "packages" / "plugin-sdk" / "cli" / "commands"


@dataclass(frozen=True)
class UpstreamFlag:
    short: str | None
    long: str
    takes_value: bool


def upstream_cli() -> dict[str, list[UpstreamFlag]]:
    """Each command of upstream's naap-plugin with its options, read from its TypeScript."""
    commands: dict[str, list[UpstreamFlag]] = {}
    for source in sorted(UPSTREAM_CLI_COMMANDS.glob("*.ts")):
        text = source.read_text()
        command = re.search(r"new Command\('([a-z-]+)'\)", text)
        if command is None:
            continue
        flags = []
        for spec in re.findall(r"\.option\(\s*'([^']+)'", text):
            short = re.match(r"(-\w),", spec)
            long = re.search(r"--[\w-]+", spec)
            flags.append(UpstreamFlag(short and short.group(1), long.group(0), "<" in spec))
        commands[command.group(1)] = flags
    return commands


def our_commands() -> dict[str, argparse.ArgumentParser]:
    [subparsers] = [
        action
        for action in build_parser()._actions
        if isinstance(action, argparse._SubParsersAction)
    ]
    return dict(subparsers.choices)


def options_of(parser: argparse.ArgumentParser) -> dict[str, argparse.Action]:
    return {flag: action for action in parser._actions for flag in action.option_strings}


def is_refusal(action: argparse.Action) -> bool:
    return type(action).__name__ == "_RefuseUpstreamOption"


def test_the_upstream_sources_are_read():
    upstream = upstream_cli()
    assert {"build", "publish", "deprecate", "rollback", "status", "deploy"} <= set(upstream)
    assert UpstreamFlag("-r", "--registry", True) in upstream["status"]
    assert UpstreamFlag(None, "--canary-percent", True) in upstream["deploy"]


def test_every_upstream_command_is_ours_or_refused_with_advice():
    upstream = set(upstream_cli())
    ours = set(our_commands())
    assert upstream - ours == set(UPSTREAM_COMMANDS)
    assert not ours & set(UPSTREAM_COMMANDS)


def test_every_option_of_a_shared_command_means_the_same_here_or_is_refused():
    ours = our_commands()
    for command, flags in upstream_cli().items():
        if command not in ours:
            continue
        options = options_of(ours[command])
        for flag in flags:
            action = options.get(flag.long)
            assert action is not None, f"{command} {flag.long} is neither taken nor refused"
            if flag.short:
                # Upstream's short flag is the same option here, never another one.
                assert options.get(flag.short) is action, f"{command} {flag.short}"
            if is_refusal(action):
                assert (action.nargs == "?") == flag.takes_value, f"{command} {flag.long}"
    # The refusal table lists nothing upstream does not have.
    for command, refused in UPSTREAM_OPTIONS.items():
        upstream_flags = {flag.long for flag in upstream_cli()[command]}
        for option in refused:
            assert {f for f in option.flags if f.startswith("--")} <= upstream_flags


def test_r_means_registry_on_every_command_and_reason_has_no_short_flag():
    for command, parser in our_commands().items():
        options = options_of(parser)
        if "--registry" in options:
            assert options["-r"] is options["--registry"], command
        if "-r" in options:
            assert options["-r"].dest == "registry", command
        if "--reason" in options:
            assert options["--reason"].option_strings == ["--reason"], command


REFUSED_OPTIONS = [
    (command, flag, option.takes_value, option.advice)
    for command, options in UPSTREAM_OPTIONS.items()
    for option in options
    for flag in option.flags
]


@pytest.mark.parametrize(("command", "flag", "takes_value", "advice"), REFUSED_OPTIONS)
def test_an_upstream_option_is_a_usage_error_saying_what_to_use(
    command, flag, takes_value, advice, capsys
):
    argv = [command, flag, *(["x"] if takes_value else [])]
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert f"usage: naap-plugin {command}" in err
    assert (
        f"naap-plugin {command}: error: {flag} is not supported (it is an option of NaaP's own "
        f"naap-plugin {command}): {advice}"
    ) in err


@pytest.mark.parametrize("command", sorted(UPSTREAM_COMMANDS))
def test_an_upstream_command_is_a_usage_error_saying_what_to_use(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--registry", "http://127.0.0.1:9"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2
    assert (
        f"naap-plugin: error: {command} is not supported (it is a command of NaaP's own "
        f"naap-plugin): {UPSTREAM_COMMANDS[command]}"
    ) in err


def test_deploy_status_watch_and_rollback_version_are_ours_now():
    """The deploy protocol's commands and options mean what they mean upstream."""
    assert "deploy" not in UPSTREAM_COMMANDS
    commands = our_commands()
    assert not is_refusal(options_of(commands["status"])["--watch"])
    assert options_of(commands["rollback"])["-v"].dest == "to"
    assert options_of(commands["deploy"])["-s"].dest == "strategy"


@pytest.mark.parametrize(
    "argv",
    [
        ["deploy", "--skip-health-check"],
        ["publish", "--tag", "beta"],
        ["logs"],
        ["rollback", "-f"],
    ],
)
def test_the_real_process_prints_usage_and_one_error_line_and_no_traceback(argv, tmp_path):
    completed = subprocess.run(
        [sys.executable, "-m", "publishing.cli", *argv],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(REPOSITORY)},
        timeout=60,
        check=False,
    )
    assert completed.returncode == 2
    assert completed.stdout == ""
    assert completed.stderr.startswith("usage: naap-plugin")
    [error] = [line for line in completed.stderr.splitlines() if ": error: " in line]
    assert "is not supported (it is" in error
    assert "Traceback" not in completed.stderr


def test_docs_cli_lists_every_refused_option_and_command():
    text = (REPOSITORY / "docs" / "cli.md").read_text()
    section = text.split("## Coming from NaaP's own `naap-plugin`", 1)[1].split("\n## ", 1)[0]
    for command, options in UPSTREAM_OPTIONS.items():
        for option in options:
            spelled = f"`{command} {'/'.join(option.flags)}"
            assert re.search(re.escape(spelled) + r"[` ]", section), spelled
    for command in UPSTREAM_COMMANDS:
        assert f"`{command}`" in section, command
