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


# Shell compatibility: npm-style ranges as NaaP's manifests write them.
#
# `shell.minVersion` and `shell.maxVersion` hold npm ranges ("0.1.0", "2.x", "2", "^1.2.0",
# "~1.2", ">=1.0.0 <3", "*", "1.2 - 2", "1.x || 3.x"). minVersion says where the shell range
# starts: the lowest version its range admits ("^1.2.0" from 1.2.0 on). maxVersion says where
# it ends: the highest version its range admits ("2.x" up to every 2.y.z, below 3.0.0-0). A range
# with alternatives (||) spans from its lowest start to its highest end. The desugaring is
# npm's: "2" and "2.x" are >=2.0.0 <3.0.0-0, "^0.2.3" is >=0.2.3 <0.3.0-0, "<=1.2" is
# <1.3.0-0, ">1.2" is >=1.3.0.

MAX_RANGE_LENGTH = 128
_RANGE_OPERATOR = re.compile(r"(<=|>=|<|>|=|\^|~>?)\s+")
_PART = r"0|[1-9]\d*|[xX*]"
_PARTIAL = re.compile(
    rf"[vV]?(?P<major>{_PART})(?:\.(?P<minor>{_PART})(?:\.(?P<patch>{_PART})"
    rf"(?:-(?P<prerelease>{_PRERELEASE_ID}(?:\.{_PRERELEASE_ID})*))?"
    rf"(?:\+(?:{_BUILD_ID}(?:\.{_BUILD_ID})*))?)?)?"
)
_COMPARATOR = re.compile(r"(?P<op><=|>=|<|>|=|\^|~>?)?(?P<partial>\S+)")
_HYPHEN = re.compile(r"(?P<low>\S+)\s+-\s+(?P<high>\S+)")


@dataclass(frozen=True)
class Bound:
    """One end of a range: a version, and whether the range includes it."""

    version: Version
    inclusive: bool


@dataclass(frozen=True)
class VersionRange:
    """An npm range as the interval it spans: its lowest and highest bound (None: unbounded)."""

    text: str
    low: Bound | None
    high: Bound | None

    def admits(self, version: Version) -> bool:
        return _above(version, self.low) and _below(version, self.high)


def _above(version: Version, low: Bound | None) -> bool:
    if low is None:
        return True
    return version >= low.version if low.inclusive else version > low.version


def _below(version: Version, high: Bound | None) -> bool:
    if high is None:
        return True
    return version <= high.version if high.inclusive else version < high.version


def _partial(text: str, whole: str) -> tuple[int | None, int | None, int | None, tuple]:
    """A possibly partial version: its numbers, None from the first wildcard or missing part."""
    match = _PARTIAL.fullmatch(text)
    if match is None:
        raise InvalidVersion(
            f"{whole!r} is not a version range: {text!r} is not a version such as 1.2.3, 1.2 or 1.x"
        )
    numbers: list[int | None] = []
    for name in ("major", "minor", "patch"):
        part = match[name]
        if part is None or part in ("x", "X", "*") or (numbers and numbers[-1] is None):
            numbers.append(None)
            continue
        if int(part) > MAX_VERSION_NUMBER:
            raise InvalidVersion(f"the numbers in a version may be at most {MAX_VERSION_NUMBER}")
        numbers.append(int(part))
    prerelease = tuple(match["prerelease"].split(".")) if match["prerelease"] else ()
    return numbers[0], numbers[1], numbers[2], prerelease


def _floor(major, minor, patch, prerelease=()) -> Version:
    return Version(major or 0, minor or 0, patch or 0, prerelease if patch is not None else ())


def _next(major, minor) -> Version:
    """The first pre-release past a partial version: 1 -> 2.0.0-0, 1.2 -> 1.3.0-0."""
    if minor is None:
        return Version(major + 1, 0, 0, ("0",))
    return Version(major, minor + 1, 0, ("0",))


def _release(version: Version) -> Version:
    return Version(version.major, version.minor, version.patch)


def _comparator(op: str, text: str, whole: str) -> tuple[Bound | None, Bound | None]:
    """One comparator as (low, high) bounds."""
    major, minor, patch, prerelease = _partial(text, whole)
    if major is None:  # *, x: any version; >*, <*: none
        if op in (">", "<"):
            raise InvalidVersion(f"{whole!r} admits no version at all")
        return None, None
    exact = patch is not None
    low = Bound(_floor(major, minor, patch, prerelease), True)
    if op in ("", "="):
        if exact:
            return low, low
        return low, Bound(_next(major, minor), False)
    if op == ">=":
        return low, None
    if op == ">":
        return (
            (Bound(low.version, False), None)
            if exact
            else (Bound(_release(_next(major, minor)), True), None)
        )
    if op == "<":
        return None, Bound(low.version if exact else Version(major, minor or 0, 0, ("0",)), False)
    if op == "<=":
        return None, (low if exact else Bound(_next(major, minor), False))
    if op.startswith("~"):
        return low, Bound(_next(major, minor if minor is not None else None), False)
    # ^: the first non-zero part given may not change.
    if major > 0 or minor is None:
        return low, Bound(_next(major, None), False)
    if minor > 0 or patch is None:
        return low, Bound(_next(0, minor), False)
    return low, Bound(Version(0, 0, patch + 1, ("0",)), False)


def _higher_low(a: Bound | None, b: Bound | None) -> Bound | None:
    if a is None or b is None:
        return a or b
    if a.version != b.version:
        return a if a.version > b.version else b
    return a if not a.inclusive else b


def _lower_high(a: Bound | None, b: Bound | None) -> Bound | None:
    if a is None or b is None:
        return a or b
    if a.version != b.version:
        return a if a.version < b.version else b
    return a if not a.inclusive else b


def _empty(low: Bound | None, high: Bound | None) -> bool:
    if low is None or high is None:
        return False
    if low.version != high.version:
        return low.version > high.version
    return not (low.inclusive and high.inclusive)


def parse_range(text: str) -> VersionRange:
    """An npm-style range, raising InvalidVersion with a reason a person can act on."""
    if not isinstance(text, str):
        raise InvalidVersion('a version range must be a string such as "1.2.3", "2.x" or "^1.0.0"')
    if len(text) > MAX_RANGE_LENGTH:
        raise InvalidVersion(f"a version range may be at most {MAX_RANGE_LENGTH} characters")
    lows: list[Bound | None] = []
    highs: list[Bound | None] = []
    for alternative in text.split("||"):
        alternative = alternative.strip()
        hyphen = _HYPHEN.fullmatch(alternative)
        if hyphen:
            low, _ = _comparator(">=", hyphen["low"], text)
            _, high = _comparator("<=", hyphen["high"], text)
        else:
            low = high = None
            for token in _RANGE_OPERATOR.sub(r"\1", alternative).split():
                match = _COMPARATOR.fullmatch(token)
                one_low, one_high = _comparator(match["op"] or "", match["partial"], text)
                low, high = _higher_low(low, one_low), _lower_high(high, one_high)
        if _empty(low, high):
            raise InvalidVersion(f"{text!r} admits no version: {alternative!r} is empty")
        lows.append(low)
        highs.append(high)
    lowest = None if any(low is None for low in lows) else min(lows, key=_low_order)
    highest = None if any(high is None for high in highs) else max(highs, key=_high_order)
    return VersionRange(text=text, low=lowest, high=highest)


def _low_order(bound: Bound) -> tuple:
    return (bound.version, not bound.inclusive)


def _high_order(bound: Bound) -> tuple:
    return (bound.version, bound.inclusive)


def shell_bounds(
    *, minimum: str | None = None, maximum: str | None = None
) -> tuple[Bound | None, Bound | None]:
    """The shell versions a plugin supports: from the start of its minVersion range to the end
    of its maxVersion range (either optional)."""
    low = parse_range(minimum).low if minimum else None
    high = parse_range(maximum).high if maximum else None
    return low, high


def satisfies_range(text: str, *, minimum: str | None = None, maximum: str | None = None) -> bool:
    """Whether a (shell) version lies between the start of the minimum range and the end of
    the maximum range: exact versions are inclusive bounds, as before ranges."""
    version = parse(text)
    low, high = shell_bounds(minimum=minimum, maximum=maximum)
    return _above(version, low) and _below(version, high)


def low_key(bound: Bound | None) -> str:
    """A key K with K <= v.sort_key() exactly when v is at or above the bound ("": none)."""
    if bound is None:
        return ""
    key = bound.version.sort_key()
    # A space sorts below every character of a key: the smallest key after this one.
    return key if bound.inclusive else key + " "


def high_key(bound: Bound | None) -> str:
    """A key K with v.sort_key() <= K exactly when v is at or below the bound ("": none)."""
    if bound is None:
        return ""
    key = bound.version.sort_key()
    # Keys end in "~" or "!"; the character just below ends no key, so nothing sorts between.
    return key if bound.inclusive else key[:-1] + chr(ord(key[-1]) - 1)
