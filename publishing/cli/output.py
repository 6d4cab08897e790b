"""What the CLI shows: results on stdout, progress, warnings and errors on stderr.

Spinners and progress bars are drawn only when both stdout and stderr are terminals; in CI
(or when output is piped) every step is one plain line instead, so logs stay readable and
`--json` output can be parsed.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)
from rich.text import Text

EXIT_OK = 0
# The plugin or the request was refused: invalid manifest or bundle, or a 4xx answer.
EXIT_REFUSED = 1
# The command line itself was wrong: unknown option, missing token, malformed NAME@VERSION.
EXIT_USAGE = 2
# Something outside the plugin failed: Node.js/esbuild missing, registry unreachable or 5xx.
EXIT_UNAVAILABLE = 3


class CliError(Exception):
    """A failure reported as one `error:` line on stderr, optionally followed by detail lines."""

    def __init__(
        self, message: str, *, details: list[str] | None = None, exit_code: int = EXIT_REFUSED
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details = list(details or [])
        self.exit_code = exit_code


def format_size(size: int) -> str:
    """A byte count as people read it: 812 B, 4.2 KiB, 1.3 MiB."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KiB"
    return f"{size / (1024 * 1024):.1f} MiB"


def _is_terminal(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


class Ui:
    """The CLI's two output streams, and whether it may draw live displays on them."""

    def __init__(self, *, json_mode: bool = False) -> None:
        self.json_mode = json_mode
        # soft_wrap keeps long lines (URLs, hashes) whole instead of folding them at 80 columns.
        self.stdout = Console(soft_wrap=True, highlight=False)
        self.stderr = Console(stderr=True, soft_wrap=True, highlight=False)
        self.interactive = (
            _is_terminal(sys.stdout)
            and _is_terminal(sys.stderr)
            and os.environ.get("TERM") != "dumb"
        )

    def say(self, message: str, *, style: str | None = None) -> None:
        """A human-readable result line: stdout, or stderr when stdout is reserved for JSON."""
        console = self.stderr if self.json_mode else self.stdout
        console.print(Text(message, style=style or ""))

    def note(self, message: str) -> None:
        """A progress line on stderr (what is happening now)."""
        self.stderr.print(Text(message, style="dim"))

    def warn(self, message: str) -> None:
        """A `warning:` line on stderr."""
        line = Text("warning: ", style="yellow bold")
        line.append(message)
        self.stderr.print(line)

    def error(self, message: str, details: list[str] | None = None) -> None:
        """The one `error:` line on stderr, then any detail lines indented below it."""
        line = Text("error: ", style="red bold")
        line.append(message)
        self.stderr.print(line)
        for detail in details or []:
            self.stderr.print(Text(f"  {detail}"))

    def emit_json(self, data: Any) -> None:
        """The `--json` result: the only thing ever written to stdout in JSON mode."""
        sys.stdout.write(json.dumps(data, indent=2, sort_keys=False) + "\n")
        sys.stdout.flush()

    @contextmanager
    def spinner(self, message: str) -> Iterator[None]:
        """A spinner while a step runs, or one plain line when not on a terminal."""
        if not self.interactive:
            self.note(f"{message} ...")
            yield
            return
        with self.stderr.status(message, spinner="dots"):
            yield

    @contextmanager
    def transfer(self, description: str, total: int) -> Iterator[Callable[[int | None], None]]:
        """A byte progress bar; yields `advance(n)` (and `advance(None)` restarts it)."""
        if not self.interactive:
            self.note(f"{description} ({format_size(total)}) ...")
            yield lambda _count: None
            return
        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(binary_units=True),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=self.stderr, transient=False) as progress:
            task = progress.add_task(description, total=total)
            sent = 0

            def advance(count: int | None) -> None:
                nonlocal sent
                if count is None:
                    sent = 0
                    progress.reset(task, total=total, description=description)
                    return
                sent += count
                progress.advance(task, count)
                if sent >= total:
                    # The registry checks and stores the files before it answers.
                    progress.update(task, description=f"{description}: waiting for the registry")

            yield advance
