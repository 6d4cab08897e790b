import itertools

import pytest

from registry import semver

ORDERED = [
    "0.0.1",
    "0.1.0",
    "0.9.0",
    "0.10.0",
    "1.0.0-0",
    "1.0.0-0.3.7",
    "1.0.0-1",
    "1.0.0-2",
    "1.0.0-10",
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
    "1.0.1",
    "1.9.0",
    "1.10.0",
    "1.10.1-x-y-z.--",
    "1.10.1",
    "2.0.0",
    "10.0.0",
]


@pytest.mark.parametrize(("lower", "higher"), list(itertools.pairwise(ORDERED)))
def test_precedence_follows_the_semver_spec(lower, higher):
    assert semver.parse(lower) < semver.parse(higher)
    assert semver.parse(lower).sort_key() < semver.parse(higher).sort_key()


def test_sort_key_orders_a_shuffled_list_like_precedence():
    shuffled = sorted(ORDERED, key=lambda text: hash(text) % 97)
    assert sorted(shuffled, key=lambda text: semver.parse(text).sort_key()) == ORDERED
    assert sorted(shuffled, key=semver.parse) == ORDERED
    assert sorted(shuffled, key=semver.parse, reverse=True) == ORDERED[::-1]


@pytest.mark.parametrize(
    ("left", "right"),
    [("1.0.0+build.1", "1.0.0+build.2"), ("1.0.0-rc.1+sha.5114f85", "1.0.0-rc.1")],
)
def test_build_metadata_does_not_change_precedence(left, right):
    assert semver.parse(left) == semver.parse(right)
    assert semver.parse(left).sort_key() == semver.parse(right).sort_key()


def test_parse_keeps_every_part():
    version = semver.parse("1.2.3-beta.4+exp.sha.5114f85")
    assert (version.major, version.minor, version.patch) == (1, 2, 3)
    assert version.prerelease == ("beta", "4")
    assert version.build == ("exp", "sha", "5114f85")
    assert version.is_prerelease
    assert str(version) == "1.2.3-beta.4+exp.sha.5114f85"


@pytest.mark.parametrize(
    "text",
    [
        "1.0",
        "v1.0.0",
        "01.0.0",
        "1.01.0",
        "1.0.0-01",
        "1.0.0-",
        "1.0.0+",
        "1..0",
        "",
        " 1.0.0",
        "1.0.0-alpha..1",
        "1.0.0-alpha_1",
        "a.b.c",
        "1.0.0.0",
    ],
)
def test_invalid_versions_are_refused_with_a_reason(text):
    assert not semver.is_valid(text)
    with pytest.raises(semver.InvalidVersion, match=r"Semantic Version|MAJOR"):
        semver.parse(text)


def test_non_string_and_overlong_versions_are_refused():
    with pytest.raises(semver.InvalidVersion, match="string"):
        semver.parse(100)
    with pytest.raises(semver.InvalidVersion, match="at most 64"):
        semver.parse("1.0.0-" + "a" * 70)


@pytest.mark.parametrize(
    ("version", "minimum", "maximum", "expected"),
    [
        ("1.2.0", "1.0.0", None, True),
        ("0.9.0", "1.0.0", None, False),
        ("2.0.0", None, "1.9.9", False),
        ("1.5.0", "1.0.0", "2.0.0", True),
        ("2.0.0-rc.1", None, "2.0.0", True),
    ],
)
def test_satisfies_range_is_inclusive(version, minimum, maximum, expected):
    assert semver.satisfies_range(version, minimum=minimum, maximum=maximum) is expected
