"""What the CLI shows: results on stdout, progress, warnings and errors on stderr.

Spinners and progress bars are drawn only when both stdout and stderr are terminals; in CI
(or when output is piped) every step is one plain line instead, so logs stay readable and
`--json` output can be parsed. rich styles the lines of a stream that is a terminal (or
that the environment forces to colour); it is imported only then, because it costs a
noticeable part of the command's start-up, and plain lines are exactly what rich would write.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from rich.console import Console

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


# What rich removes from text it prints (rich.control.STRIP_CONTROL_CODES).
_STRIPPED_CONTROL_CODES = dict.fromkeys([7, 8, 11, 12, 13])


class _Output:
    """One of the two streams: rich's styled lines where rich would style them, else plain."""

    def __init__(self, *, stderr: bool) -> None:
        self._use_stderr = stderr
        self._console: Console | None = None

    @property
    def stream(self) -> TextIO:
        # Looked up on every line, as rich does, so a replaced sys.stdout is honoured.
        return sys.stderr if self._use_stderr else sys.stdout

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            # soft_wrap keeps long lines (URLs, hashes) whole instead of folding them.
            self._console = Console(stderr=self._use_stderr, soft_wrap=True, highlight=False)
        return self._console

    def _styled(self) -> bool:
        """Whether rich would write escape codes here (its own terminal test)."""
        tty_compatible = os.environ.get("TTY_COMPATIBLE", "")
        if tty_compatible in {"0", "1"}:
            return tty_compatible == "1"
        force_color = os.environ.get("FORCE_COLOR")
        if force_color is not None:
            return force_color != ""
        return _is_terminal(self.stream)

    def line(
        self, message: str, *, style: str = "", label: str = "", label_style: str = ""
    ) -> None:
        """Print one line: the message, after a label such as "error: " when given."""
        text = label + message
        if "\t" in text or self._styled():
            # rich expands tabs by display width; leave that to it.
            from rich.text import Text

            if label:
                styled = Text(label, style=label_style)
                styled.append(message)
            else:
                styled = Text(message, style=style)
            self.console.print(styled)
            return
        stream = self.stream
        stream.write(text.translate(_STRIPPED_CONTROL_CODES) + "\n")
        stream.flush()


class Ui:
    """The CLI's two output streams, and whether it may draw live displays on them."""

    def __init__(self, *, json_mode: bool = False) -> None:
        self.json_mode = json_mode
        self.stdout = _Output(stderr=False)
        self.stderr = _Output(stderr=True)
        self.interactive = (
            _is_terminal(sys.stdout)
            and _is_terminal(sys.stderr)
            and os.environ.get("TERM") != "dumb"
        )

    def say(self, message: str, *, style: str | None = None) -> None:
        """A human-readable result line: stdout, or stderr when stdout is reserved for JSON."""
        output = self.stderr if self.json_mode else self.stdout
        output.line(message, style=style or "")

    def note(self, message: str) -> None:
        """A progress line on stderr (what is happening now)."""
        self.stderr.line(message, style="dim")

    def warn(self, message: str) -> None:
        """A `warning:` line on stderr."""
        self.stderr.line(message, label="warning: ", label_style="yellow bold")

    def error(self, message: str, details: list[str] | None = None) -> None:
        """The one `error:` line on stderr, then any detail lines indented below it."""
        self.stderr.line(message, label="error: ", label_style="red bold")
        for detail in details or []:
            self.stderr.line(f"  {detail}")

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
        with self.stderr.console.status(message, spinner="dots"):
            yield

    @contextmanager
    def transfer(self, description: str, total: int) -> Iterator[Callable[[int | None], None]]:
        """A byte progress bar; yields `advance(n)` (and `advance(None)` restarts it)."""
        if not self.interactive:
            self.note(f"{description} ({format_size(total)}) ...")
            yield lambda _count: None
            return
        from rich.progress import (
            BarColumn,
            DownloadColumn,
            Progress,
            TextColumn,
            TimeRemainingColumn,
            TransferSpeedColumn,
        )

        columns = (
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(binary_units=True),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=self.stderr.console, transient=False) as progress:
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
