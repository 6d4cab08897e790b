"""Package names, plugin globals, reserved routes and browse categories."""

from __future__ import annotations

import pytest

from publishing.validation import (
    KNOWN_CATEGORIES,
    PACKAGE_NAME_PATTERN,
    RESERVED_PACKAGE_NAMES,
    RESERVED_ROUTES,
    facet_category,
    global_name_for,
    validate_package_name,
)


@pytest.mark.parametrize("name", ["abc", "my-wallet", "web3-tools", "a" * 64, "x1y"])
def test_acceptable_package_names(name: str) -> None:
    assert validate_package_name(name) is None
    assert PACKAGE_NAME_PATTERN.fullmatch(name)


@pytest.mark.parametrize(
    ("name", "fragment"),
    [
        ("ab", "at least 3"),
        ("my-wallet-", "end with a letter or digit"),
        ("my_wallet", "only a-z, 0-9 and '-'"),
        ("my--wallet", "'--'"),
        ("-wallet", "start with a letter"),
        ("", "required"),
        (None, "required"),
    ],
)
def test_refused_package_names_say_why(name: object, fragment: str) -> None:
    problem = validate_package_name(name)

    assert problem is not None
    assert fragment in problem


def test_reserved_names_cover_the_shell_and_registry_paths() -> None:
    expected = {"admin", "api", "cdn", "plugins", "static", "settings", "auth", "login", "naap"}
    assert expected | {"shell", "signup", "dashboard", "profile"} <= RESERVED_PACKAGE_NAMES
    assert all("reserved" in validate_package_name(name) for name in expected)


def test_reserved_routes_are_the_shells_own_pages() -> None:
    assert {"/settings", "/admin", "/api", "/plugins", "/cdn"} <= RESERVED_ROUTES


@pytest.mark.parametrize(
    ("name", "global_name"),
    [
        ("my-wallet", "NaapPluginMyWallet"),
        ("gateway-manager", "NaapPluginGatewayManager"),
        ("wallet", "NaapPluginWallet"),
        ("web3-tools", "NaapPluginWeb3Tools"),
        ("a-b-c", "NaapPluginABC"),
    ],
)
def test_global_name_is_naap_plugin_plus_pascal_case(name: str, global_name: str) -> None:
    assert global_name_for(name) == global_name


@pytest.mark.parametrize(
    ("category", "facet"),
    [
        ("operations", "operations"),
        ("finance", "finance"),
        ("Developer-Tools", "developer-tools"),
        ("quantum-widgets", "other"),
        ("", "other"),
        (None, "other"),
    ],
)
def test_facet_category_maps_unknown_categories_to_other(category: str | None, facet: str) -> None:
    assert facet_category(category) == facet


def test_other_is_a_known_category() -> None:
    assert "other" in KNOWN_CATEGORIES
