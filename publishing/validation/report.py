"""The report every check returns, and how the checks write a file's size."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class ValidationReport:
    """Everything wrong (errors) and worth knowing (warnings) about one manifest or file."""

    errors: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    # Set when a file is over its size limit, so the API can answer 413 instead of 400.
    too_large: bool = False

    @property
    def ok(self) -> bool:
        """Whether there are no errors (warnings never block a publish)."""
        return not self.errors

    def add_error(self, path: str, message: str) -> None:
        """Record a problem at a field path; the first problem found at a path is kept."""
        self.errors.setdefault(path, message)


def describe_size(size: int) -> str:
    """A byte count as publishers read it: exact, with KiB or MiB beside it when large."""
    if size >= 1024 * 1024:
        return f"{size} bytes ({size / (1024 * 1024):.1f} MiB)"
    if size >= 1024:
        return f"{size} bytes ({size / 1024:.1f} KiB)"
    return f"{size} bytes"
