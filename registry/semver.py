"""Semantic Versioning 2.0.0: parsing and precedence, the one helper used everywhere.

Pure Python with no Django imports, so the CLI can use it without a configured project.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering

# The grammar of semver.org: no leading zeros in numeric parts, dot-separated identifiers.
_NUMERIC = r"0|[1-9]\d*"
_PRERELEASE_ID = r"(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)"
_BUILD_ID = r"[0-9A-Za-z-]+"
# Matched against the whole string (fullmatch): "$" would accept a trailing newline.
SEMVER_PATTERN = re.compile(
    rf"(?P<major>{_NUMERIC})\.(?P<minor>{_NUMERIC})\.(?P<patch>{_NUMERIC})"
    rf"(?:-(?P<prerelease>{_PRERELEASE_ID}(?:\.{_PRERELEASE_ID})*))?"
    rf"(?:\+(?P<build>{_BUILD_ID}(?:\.{_BUILD_ID})*))?"
)
MAX_VERSION_LENGTH = 64
# The largest number in a version: what the version columns hold, and what sort_key's
# ten digits order correctly.
MAX_VERSION_NUMBER = 2_147_483_647


class InvalidVersion(ValueError):
    """Raised when a string is not a Semantic Versioning 2.0.0 version."""


@total_ordering
@dataclass(frozen=True, eq=False)
class Version:
    """A parsed version; compares by SemVer precedence (build metadata is ignored)."""

    major: int
    minor: int
    patch: int
    prerelease: tuple[str, ...] = ()
    build: tuple[str, ...] = ()

    def __str__(self) -> str:
        text = f"{self.major}.{self.minor}.{self.patch}"
        if self.prerelease:
            text += "-" + ".".join(self.prerelease)
        if self.build:
            text += "+" + ".".join(self.build)
        return text

    @property
    def is_prerelease(self) -> bool:
        return bool(self.prerelease)

    def _precedence_key(self) -> tuple:
        # A release outranks any pre-release of the same core version; numeric identifiers
        # rank below alphanumeric ones and compare as numbers.
        prerelease_key = tuple(
            (0, int(part), "") if part.isdigit() else (1, 0, part) for part in self.prerelease
        )
        return (self.major, self.minor, self.patch, not self.prerelease, prerelease_key)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._precedence_key() == other._precedence_key()

    def __lt__(self, other: Version) -> bool:
        if not isinstance(other, Version):
            return NotImplemented
        return self._precedence_key() < other._precedence_key()

    def __hash__(self) -> int:
        return hash(self._precedence_key())

    def sort_key(self) -> str:
        """A string whose lexical order is the version's precedence (for a database column)."""
        parts = [f"{self.major:010d}", f"{self.minor:010d}", f"{self.patch:010d}"]
        if not self.prerelease:
            # "~" sorts after every character a pre-release key can start with.
            return ".".join(parts) + "~"
        encoded = []
        for part in self.prerelease:
            # Numeric identifiers ("0"-prefixed) sort before alphanumeric ones ("1"-prefixed).
            encoded.append(f"0{int(part):010d}" if part.isdigit() else f"1{part}")
        # "!" sorts before any identifier character, so shorter identifier lists sort first.
        return ".".join(parts) + "-" + "!".join(encoded) + "!"


def parse(text: str) -> Version:
    """Parse a SemVer 2.0.0 string, raising InvalidVersion with a reason a person can act on."""
    if not isinstance(text, str):
        raise InvalidVersion("a version must be a string such as 1.2.3")
    if len(text) > MAX_VERSION_LENGTH:
        raise InvalidVersion(f"a version may be at most {MAX_VERSION_LENGTH} characters")
    match = SEMVER_PATTERN.fullmatch(text)
    if match is None:
        raise InvalidVersion(
            f"{text!r} is not a Semantic Version: use MAJOR.MINOR.PATCH such as 1.2.3 "
            "(optionally -prerelease and +build), with no leading 'v' and no leading zeros"
        )
    numbers = [match["major"], match["minor"], match["patch"]]
    numbers += [part for part in (match["prerelease"] or "").split(".") if part.isdigit()]
    if any(int(number) > MAX_VERSION_NUMBER for number in numbers):
        raise InvalidVersion(f"the numbers in a version may be at most {MAX_VERSION_NUMBER}")
    return Version(
        major=int(match["major"]),
        minor=int(match["minor"]),
        patch=int(match["patch"]),
        prerelease=tuple(match["prerelease"].split(".")) if match["prerelease"] else (),
        build=tuple(match["build"].split(".")) if match["build"] else (),
    )


def is_valid(text: str) -> bool:
    """Whether text is a SemVer 2.0.0 version."""
    try:
        parse(text)
    except InvalidVersion:
        return False
    return True


def satisfies_range(text: str, *, minimum: str | None = None, maximum: str | None = None) -> bool:
    """Whether a version lies within an inclusive [minimum, maximum] range (either optional)."""
    version = parse(text)
    if minimum and version < parse(minimum):
        return False
    return not (maximum and version > parse(maximum))
