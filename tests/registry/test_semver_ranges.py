"""npm-style ranges in shell.minVersion / shell.maxVersion, as NaaP's manifests write them."""

import pytest

from registry import semver

# range -> (start, start included, end, end included); None: unbounded.
RANGES = [
    ("0.1.0", ("0.1.0", True), ("0.1.0", True)),
    ("2.x", ("2.0.0", True), ("3.0.0-0", False)),
    ("2.X", ("2.0.0", True), ("3.0.0-0", False)),
    ("2", ("2.0.0", True), ("3.0.0-0", False)),
    ("2.*", ("2.0.0", True), ("3.0.0-0", False)),
    ("1.2.x", ("1.2.0", True), ("1.3.0-0", False)),
    ("^1.2.0", ("1.2.0", True), ("2.0.0-0", False)),
    ("^0.2.3", ("0.2.3", True), ("0.3.0-0", False)),
    ("^0.0.3", ("0.0.3", True), ("0.0.4-0", False)),
    ("^0.x", ("0.0.0", True), ("1.0.0-0", False)),
    ("^1.x", ("1.0.0", True), ("2.0.0-0", False)),
    ("~1.2", ("1.2.0", True), ("1.3.0-0", False)),
    ("~1.2.3", ("1.2.3", True), ("1.3.0-0", False)),
    ("~1", ("1.0.0", True), ("2.0.0-0", False)),
    (">=1.0.0 <3", ("1.0.0", True), ("3.0.0-0", False)),
    (">= 1.0.0  < 3.0.0", ("1.0.0", True), ("3.0.0", False)),
    (">1.2.3", ("1.2.3", False), None),
    (">1.2", ("1.3.0", True), None),
    ("<1.2", None, ("1.2.0-0", False)),
    ("<=1.2", None, ("1.3.0-0", False)),
    ("<=1.2.3", None, ("1.2.3", True)),
    ("=1.2.3", ("1.2.3", True), ("1.2.3", True)),
    ("v1.2.3", ("1.2.3", True), ("1.2.3", True)),
    ("1.2 - 2", ("1.2.0", True), ("3.0.0-0", False)),
    ("1.2.3 - 2.3.4", ("1.2.3", True), ("2.3.4", True)),
    ("1.x || 3.x", ("1.0.0", True), ("4.0.0-0", False)),
    ("2.0.0-beta.1", ("2.0.0-beta.1", True), ("2.0.0-beta.1", True)),
    ("*", None, None),
    ("x", None, None),
    (">=0.1.0 || *", None, None),
]


def shown(bound):
    return None if bound is None else (str(bound.version), bound.inclusive)


@pytest.mark.parametrize(("text", "start", "end"), RANGES, ids=[r[0] for r in RANGES])
def test_a_range_spans_what_npm_says(text, start, end):
    parsed = semver.parse_range(text)
    assert (shown(parsed.low), shown(parsed.high)) == (start, end)


REFUSED = [
    ("abc", "not a version such as"),
    ("1.2.3.4", "not a version such as"),
    ("01.2", "not a version such as"),
    (">3 <2", "admits no version"),
    (">*", "admits no version"),
    ("1.0.0 - 0.5", "admits no version"),
    ("^" + "1" * 11, "at most"),
    ("1." * 70, "at most 128"),
]


@pytest.mark.parametrize(("text", "fragment"), REFUSED, ids=[r[0][:20] for r in REFUSED])
def test_a_range_that_is_not_one_is_refused_saying_why(text, fragment):
    with pytest.raises(semver.InvalidVersion, match=fragment):
        semver.parse_range(text)


# (shell version, minVersion, maxVersion, admitted)
SHELLS = [
    ("1.0.0", "0.1.0", "2.x", True),
    ("2.9.9", "0.1.0", "2.x", True),
    ("3.0.0", "0.1.0", "2.x", False),
    ("3.0.0-rc.1", "0.1.0", "2.x", False),
    ("0.0.9", "0.1.0", "2.x", False),
    ("2.0.0", "2", "2", True),
    ("1.9.0", "^1.2.0", None, True),
    ("1.1.0", "^1.2.0", None, False),
    ("2.5.0", None, "^1.2.0", False),
    ("1.2.9", "~1.2", "~1.2", True),
    ("1.3.0", None, "~1.2", False),
    ("2.9.0", ">=1.0.0 <3", ">=1.0.0 <3", True),
    ("3.0.0", None, ">=1.0.0 <3", False),
    ("0.5.0", ">=1.0.0 <3", None, False),
    ("9.9.9", "*", "*", True),
    ("1.2.3", "1.2.3", "1.2.3", True),
    ("2.0.0-rc.1", None, "2.0.0", True),
    ("2.0.0", None, "1.9.9", False),
]


@pytest.mark.parametrize(("version", "minimum", "maximum", "admitted"), SHELLS)
def test_a_shell_version_is_admitted_between_the_start_of_min_and_the_end_of_max(
    version, minimum, maximum, admitted
):
    assert semver.satisfies_range(version, minimum=minimum, maximum=maximum) is admitted


@pytest.mark.parametrize(("version", "minimum", "maximum", "admitted"), SHELLS)
def test_the_stored_keys_admit_exactly_what_the_range_admits(version, minimum, maximum, admitted):
    # The registry's shellVersion filter compares these keys in the database.
    low, high = semver.shell_bounds(minimum=minimum, maximum=maximum)
    key = semver.parse(version).sort_key()
    by_keys = (semver.low_key(low) <= key) and (not high or key <= semver.high_key(high))
    assert by_keys is admitted


@pytest.mark.parametrize(
    "version", ["2.9.9", "3.0.0-0", "3.0.0-0.0", "3.0.0-alpha", "3.0.0", "2.99.0-rc.1"]
)
def test_an_exclusive_end_key_sorts_between_its_neighbours(version):
    high = semver.parse_range("2.x").high
    key = semver.parse(version).sort_key()
    assert (key <= semver.high_key(high)) is (semver.parse(version) < semver.parse("3.0.0-0"))
