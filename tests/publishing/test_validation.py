"""The manifest, bundle and styles checks shared by the CLI and the publish service.

These tests need neither Django nor a database: the module runs on publishers' laptops.
"""

from __future__ import annotations

import copy
import subprocess
import sys
import time
from pathlib import Path

import pytest

from publishing.validation import (
    DEFAULT_MAX_BUNDLE_BYTES,
    KNOWN_CATEGORIES,
    MAX_STYLES_BYTES,
    PACKAGE_NAME_PATTERN,
    RESERVED_PACKAGE_NAMES,
    RESERVED_ROUTES,
    ValidationReport,
    check_bundle,
    check_styles,
    facet_category,
    global_name_for,
    scan_bundle,
    validate_manifest,
    validate_package_name,
)

PROJECT_ROOT = Path(__file__).resolve().parents[2]

# A real-world NaaP manifest: isCore false, list dependencies, permissions.browser,
# string RBAC permissions and a config schema.
GATEWAY_MANAGER = {
    "$schema": "https://naap.dev/schemas/plugin.json",
    "name": "gateway-manager",
    "displayName": "Gateway Manager",
    "version": "1.4.0",
    "description": "Manage gateways",
    "author": {"name": "NaaP", "email": "team@naap.dev"},
    "category": "operations",
    "icon": "Server",
    "isCore": False,
    "keywords": ["gateway", "ops"],
    "shell": {"minVersion": "0.1.0"},
    "dependencies": ["wallet"],
    "frontend": {
        "entry": "./frontend/src/App.tsx",
        "devPort": 3010,
        "routes": ["/plugins/gateway-manager", "/plugins/gateway-manager/*"],
        "navigation": {"label": "Gateways", "icon": "Server", "order": 3, "group": "operations"},
    },
    "backend": {
        "entry": "./backend/src/server.ts",
        "port": 4010,
        "apiPrefix": "/api/v1/gateway-manager",
    },
    "database": {"type": "postgresql", "schema": "plugin_gateway_manager"},
    "permissions": {
        "shell": ["navigation", "notifications"],
        "apis": ["/api/v1/gateways"],
        "external": ["https://api.example.com"],
        "browser": ["clipboard"],
    },
    "rbac": {"roles": ["gateway:admin"], "permissions": ["gateway:read", "gateway:write"]},
    "config": {
        "schema": {
            "type": "object",
            "properties": {"refreshSeconds": {"type": "integer", "minimum": 5}},
        }
    },
}

MINIMAL = {
    "name": "my-wallet",
    "displayName": "My Wallet",
    "version": "1.0.0",
    "frontend": {"routes": ["/plugins/my-wallet", "/plugins/my-wallet/*"]},
}


def manifest_with(base: dict = MINIMAL, *, drop: tuple[str, ...] = (), **changes) -> dict:
    """A deep copy of base with top-level keys replaced or dropped."""
    manifest = copy.deepcopy(base)
    for key in drop:
        del manifest[key]
    manifest.update(copy.deepcopy(changes))
    return manifest


def with_routes(*routes, base: dict = MINIMAL) -> dict:
    return manifest_with(base, frontend={**base["frontend"], "routes": list(routes)})


def with_frontend(base: dict = MINIMAL, **changes) -> dict:
    return manifest_with(base, frontend={**base["frontend"], **changes})


CORE_DASHBOARD_EXTRAS = manifest_with(
    name="dashboard-extras",
    displayName="Dashboard Extras",
    isCore=True,
    frontend={"routes": ["/dashboard-extras", "/dashboard-extras/*"]},
)

GOOD_MANIFESTS = [
    pytest.param(GATEWAY_MANAGER, False, id="real-world-naap-gateway-manager"),
    pytest.param(MINIMAL, False, id="minimal"),
    pytest.param(CORE_DASHBOARD_EXTRAS, True, id="core-with-top-level-routes"),
    pytest.param(with_routes(), False, id="headless-with-no-routes"),
    pytest.param(manifest_with(dependencies=["wallet", "ledger"]), False, id="list-dependencies"),
    pytest.param(manifest_with(dependencies={"wallet": "^1.0.0"}), False, id="object-dependencies"),
    pytest.param(manifest_with(author="Ada <ada@example.com>"), False, id="string-author"),
    pytest.param(
        manifest_with(repository={"type": "git", "url": "https://example.com/x.git"}),
        False,
        id="object-repository",
    ),
    pytest.param(manifest_with(version="2.0.0-beta.1+build.5"), False, id="prerelease-version"),
    pytest.param(
        manifest_with(shell={"minVersion": "0.1.0", "maxVersion": "0.1.0"}),
        False,
        id="shell-range-of-one-version",
    ),
    pytest.param(manifest_with(category="quantum-widgets"), False, id="unknown-category-slug"),
    pytest.param(
        with_frontend(navigation={"label": "Wallet", "path": "/plugins/my-wallet/send"}),
        False,
        id="navigation-path-under-wildcard-route",
    ),
    pytest.param(
        manifest_with(rbac={"permissions": ["wallet:read", {"name": "wallet:write"}]}),
        False,
        id="rbac-strings-and-objects",
    ),
    pytest.param(manifest_with(isolation="iframe"), False, id="isolation-mode-string"),
]


@pytest.mark.parametrize(("manifest", "is_core"), GOOD_MANIFESTS)
def test_good_manifest_validates(manifest: dict, is_core: bool) -> None:
    report = validate_manifest(manifest, is_core=is_core)

    assert report.errors == {}
    assert report.ok


BAD_MANIFESTS = [
    # Required fields
    pytest.param(manifest_with(drop=("name",)), False, "name", "required", id="missing-name"),
    pytest.param(
        manifest_with(drop=("displayName",)),
        False,
        "displayName",
        "required",
        id="missing-display-name",
    ),
    pytest.param(
        manifest_with(drop=("version",)), False, "version", "required", id="missing-version"
    ),
    pytest.param(
        manifest_with(drop=("frontend",)), False, "frontend", "required", id="missing-frontend"
    ),
    pytest.param(
        manifest_with(frontend={"entry": "./App.tsx"}),
        False,
        "frontend.routes",
        "required",
        id="missing-routes",
    ),
    pytest.param(manifest_with(displayName="  "), False, "displayName", "empty", id="blank-title"),
    pytest.param(
        manifest_with(displayName="x" * 101), False, "displayName", "at most 100", id="long-title"
    ),
    # Names
    pytest.param(manifest_with(name="My-Wallet"), False, "name", "lowercase", id="uppercase"),
    pytest.param(manifest_with(name="1wallet"), False, "name", "start with a letter", id="digit"),
    pytest.param(manifest_with(name="my..wallet"), False, "name", "dots", id="dot-dot"),
    pytest.param(manifest_with(name="my/wallet"), False, "name", "slashes", id="slash"),
    pytest.param(manifest_with(name="admin"), False, "name", "reserved", id="reserved-admin"),
    pytest.param(manifest_with(name="a" * 65), False, "name", "at most 64", id="65-characters"),
    pytest.param(manifest_with(name=42), False, "name", "string", id="name-not-a-string"),
    # Versions
    pytest.param(manifest_with(version="1.0"), False, "version", "MAJOR.MINOR.PATCH", id="1.0"),
    pytest.param(manifest_with(version="v1.0.0"), False, "version", "leading 'v'", id="v1.0.0"),
    pytest.param(manifest_with(version="01.0.0"), False, "version", "leading zeros", id="01.0.0"),
    pytest.param(manifest_with(version=1), False, "version", "not a number", id="numeric"),
    # Routes
    pytest.param(
        with_routes("/wallet"),
        False,
        "frontend.routes[0]",
        "/plugins/my-wallet/",
        id="route-outside-plugin-prefix",
    ),
    pytest.param(
        with_routes("/plugins/my-wallet", "/settings"),
        False,
        "frontend.routes[1]",
        "reserved",
        id="reserved-route-settings",
    ),
    pytest.param(
        with_routes("/settings", base=CORE_DASHBOARD_EXTRAS),
        True,
        "frontend.routes[0]",
        "reserved",
        id="reserved-route-settings-even-for-core",
    ),
    pytest.param(
        with_routes("/api/x", base=CORE_DASHBOARD_EXTRAS),
        True,
        "frontend.routes[0]",
        "under /api",
        id="route-under-api",
    ),
    pytest.param(
        with_routes("/plugins/other-plugin", base=CORE_DASHBOARD_EXTRAS),
        True,
        "frontend.routes[0]",
        "not this package's prefix",
        id="core-route-in-another-packages-namespace",
    ),
    pytest.param(
        with_routes("/plugins/*", base=CORE_DASHBOARD_EXTRAS),
        True,
        "frontend.routes[0]",
        "reserved",
        id="wildcard-over-all-plugins",
    ),
    pytest.param(
        with_routes("/*", base=CORE_DASHBOARD_EXTRAS),
        True,
        "frontend.routes[0]",
        "every page",
        id="wildcard-over-everything",
    ),
    pytest.param(
        with_frontend(routes="/plugins/my-wallet"),
        False,
        "frontend.routes",
        "must be a list",
        id="routes-not-a-list",
    ),
    pytest.param(
        with_routes("/plugins/my-wallet", 7),
        False,
        "frontend.routes[1]",
        "must be a path string",
        id="route-not-a-string",
    ),
    pytest.param(
        with_routes("plugins/my-wallet"),
        False,
        "frontend.routes[0]",
        "start with '/'",
        id="route-without-leading-slash",
    ),
    pytest.param(
        with_routes("/plugins/my-wallet/../admin"), False, "frontend.routes[0]", "..", id="dotdot"
    ),
    pytest.param(
        with_routes("/plugins/my-wallet//x"), False, "frontend.routes[0]", "'//'", id="double-slash"
    ),
    pytest.param(
        with_routes("/plugins/my-wallet/a b"),
        False,
        "frontend.routes[0]",
        "whitespace",
        id="route-with-space",
    ),
    pytest.param(
        with_routes("/plugins/my-wallet/*/x"),
        False,
        "frontend.routes[0]",
        "final '/*'",
        id="wildcard-in-the-middle",
    ),
    pytest.param(
        with_frontend(navigation={"label": "Wallet", "path": "/wallet"}),
        False,
        "frontend.navigation.path",
        "not one of the plugin's routes",
        id="navigation-path-outside-routes",
    ),
    # Optional fields with obvious types
    pytest.param(
        manifest_with(keywords="gateway"), False, "keywords", "list of strings", id="keywords-str"
    ),
    pytest.param(
        manifest_with(keywords=[f"k{i}" for i in range(21)]),
        False,
        "keywords",
        "at most 20",
        id="too-many-keywords",
    ),
    pytest.param(
        manifest_with(keywords=["ok", "x" * 51]),
        False,
        "keywords[1]",
        "at most 50",
        id="keyword-too-long",
    ),
    pytest.param(
        manifest_with(shell={"minVersion": "latest"}),
        False,
        "shell.minVersion",
        "not a Semantic Version",
        id="shell-min-not-semver",
    ),
    pytest.param(
        manifest_with(shell={"minVersion": "0.2.0", "maxVersion": "0.1.9"}),
        False,
        "shell.maxVersion",
        "lower than shell.minVersion",
        id="shell-min-above-max",
    ),
    pytest.param(
        with_frontend(devPort=70000), False, "frontend.devPort", "1 to 65535", id="port-too-high"
    ),
    pytest.param(with_frontend(devPort=0), False, "frontend.devPort", "1 to 65535", id="port-0"),
    pytest.param(
        with_frontend(devPort="3010"), False, "frontend.devPort", "whole number", id="port-string"
    ),
    pytest.param(
        manifest_with(dependencies="wallet"),
        False,
        "dependencies",
        "object or a list",
        id="dependencies-string",
    ),
    pytest.param(
        manifest_with(author={"name": 5}), False, "author.name", "string", id="author-name-number"
    ),
    pytest.param(
        manifest_with(permissions={"browser": "clipboard"}),
        False,
        "permissions.browser",
        "list of strings",
        id="permission-group-not-a-list",
    ),
    pytest.param(
        manifest_with(permissions={"apis": ["/api/v1/x", 3]}),
        False,
        "permissions.apis[1]",
        "string",
        id="permission-not-a-string",
    ),
    pytest.param(
        manifest_with(config={"schema": {"type": "array"}}),
        False,
        "config.schema.type",
        '"object"',
        id="config-schema-not-object-type",
    ),
    pytest.param(
        manifest_with(isCore="yes"), False, "isCore", "true or false", id="is-core-not-boolean"
    ),
    pytest.param(
        manifest_with(category="Developer Tools"), False, "category", "slug", id="category-spaces"
    ),
]


@pytest.mark.parametrize(("manifest", "is_core", "field", "fragment"), BAD_MANIFESTS)
def test_bad_manifest_names_the_field_and_the_reason(
    manifest: dict, is_core: bool, field: str, fragment: str
) -> None:
    report = validate_manifest(manifest, is_core=is_core)

    assert not report.ok
    assert field in report.errors, report.errors
    assert fragment in report.errors[field]


@pytest.mark.parametrize(
    "manifest", [None, [], "plugin.json", 3, True, ["name", "my-wallet"]], ids=repr
)
def test_manifest_that_is_not_an_object_is_refused_under_manifest(manifest: object) -> None:
    report = validate_manifest(manifest, is_core=False)

    assert list(report.errors) == ["manifest"]
    assert "JSON object" in report.errors["manifest"]


@pytest.mark.parametrize(
    "manifest",
    [
        {},
        {"frontend": None},
        {"frontend": {"routes": [None, {}, []], "navigation": "x", "devPort": True}},
        {"shell": [], "permissions": [], "config": {"schema": []}, "rbac": "admin"},
        {"name": None, "version": 1.0, "keywords": [1, None], "author": 3, "repository": []},
        {"config": {"schema": {"properties": {"a": 1}, "required": "a"}}},
    ],
)
def test_odd_manifests_are_reported_never_raised(manifest: dict) -> None:
    report = validate_manifest(manifest, is_core=False)

    assert isinstance(report, ValidationReport)
    assert not report.ok


def test_every_problem_is_reported_at_once() -> None:
    manifest = {
        "name": "Bad Name",
        "version": "v1",
        "frontend": {"routes": ["/wallet", "no-slash"], "devPort": -1},
        "keywords": "x",
    }

    report = validate_manifest(manifest, is_core=False)

    assert set(report.errors) >= {
        "name",
        "displayName",
        "version",
        "frontend.routes[0]",
        "frontend.routes[1]",
        "frontend.devPort",
        "keywords",
    }


def test_route_outside_plugin_prefix_is_refused_for_non_core() -> None:
    report = validate_manifest(CORE_DASHBOARD_EXTRAS, is_core=False)

    message = report.errors["frontend.routes[0]"]
    assert "/dashboard-extras" in message
    assert "/plugins/dashboard-extras" in message


def test_top_level_routes_are_accepted_when_staff_marked_the_package_core() -> None:
    assert validate_manifest(CORE_DASHBOARD_EXTRAS, is_core=True).ok


def test_manifest_is_core_flag_alone_does_not_allow_top_level_routes_and_warns() -> None:
    report = validate_manifest(CORE_DASHBOARD_EXTRAS, is_core=False)

    assert "frontend.routes[0]" in report.errors
    assert "frontend.routes[1]" in report.errors
    assert any("staff" in warning and "isCore" in warning for warning in report.warnings)


def test_headless_plugin_is_warned_that_it_gets_no_navigation() -> None:
    report = validate_manifest(with_routes(), is_core=False)

    assert report.ok
    assert any("headless" in warning and "navigation" in warning for warning in report.warnings)


def test_unknown_top_level_field_is_a_warning_and_the_manifest_stays_valid() -> None:
    manifest = manifest_with(homepage="https://example.com")

    report = validate_manifest(manifest, is_core=False)

    assert report.ok
    assert "unknown field 'homepage' is kept but ignored." in report.warnings
    assert manifest["homepage"] == "https://example.com"


def test_unknown_category_is_kept_but_warned_about() -> None:
    report = validate_manifest(manifest_with(category="quantum-widgets"), is_core=False)

    assert report.ok
    assert any("'other'" in warning for warning in report.warnings)


def test_real_world_manifest_has_no_warnings() -> None:
    report = validate_manifest(GATEWAY_MANAGER, is_core=False)

    assert report.warnings == []


def test_validation_does_not_change_the_manifest() -> None:
    manifest = copy.deepcopy(GATEWAY_MANAGER)

    validate_manifest(manifest, is_core=False)

    assert manifest == GATEWAY_MANAGER


# Names, globals and categories


@pytest.mark.parametrize("name", ["abc", "my-wallet", "web3-tools", "a" * 64, "x1y"])
def test_acceptable_package_names(name: str) -> None:
    assert validate_package_name(name) is None
    assert PACKAGE_NAME_PATTERN.match(name)


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


# Bundles

ESBUILD_IIFE = b"""\
"use strict";
var NaapPluginMyWallet = (() => {
  var __defProp = Object.defineProperty;
  var App_exports = {};
  __export(App_exports, { mount: () => mount, unmount: () => unmount });
  function mount(container, context) { container.textContent = "hi"; return () => {}; }
  function unmount() {}
  return __toCommonJS(App_exports);
})();
"""

WEBPACK_UMD = (
    b'!function(e,t){"object"==typeof exports&&"object"==typeof module?module.exports=t():'
    b'"function"==typeof define&&define.amd?define([],t):"object"==typeof exports?'
    b'exports.NaapPluginMyWallet=t():e["NaapPluginMyWallet"]=t()}(self,(()=>(()=>{"use strict";'
    b"var e={};return e.mount=function(n,o){n.innerHTML='ok'},e})()));"
)

ROLLUP_UMD = b"""\
(function (global, factory) {
  typeof exports === 'object' && typeof module !== 'undefined' ? factory(exports) :
  typeof define === 'function' && define.amd ? define(['exports'], factory) :
  (global = typeof globalThis !== 'undefined' ? globalThis : global || self,
   factory(global.NaapPluginMyWallet = {}));
})(this, (function (exports) { 'use strict';
  function mount(el) { el.textContent = 'x'; }
  exports.mount = mount;
}));
"""

PLAIN_WINDOW = b"window.NaapPluginMyWallet = { mount(el) { el.append('x'); } };"


@pytest.mark.parametrize(
    "bundle",
    [
        pytest.param(ESBUILD_IIFE, id="esbuild-iife"),
        pytest.param(WEBPACK_UMD, id="webpack-umd"),
        pytest.param(ROLLUP_UMD, id="rollup-umd"),
        pytest.param(PLAIN_WINDOW, id="window-assignment"),
        pytest.param(b"globalThis.NaapPluginMyWallet={mount:function(e){}};", id="globalthis"),
        pytest.param(b"self.NaapPluginMyWallet = {'mount': m};", id="self-and-quoted-mount"),
        pytest.param(b"NaapPluginMyWallet = { mount, unmount };", id="bare-and-shorthand"),
    ],
)
def test_bundle_with_global_and_mount_passes(bundle: bytes) -> None:
    report = check_bundle(bundle, package_name="my-wallet", max_bytes=DEFAULT_MAX_BUNDLE_BYTES)

    assert report.errors == {}


def test_bundle_without_the_global_tells_the_publisher_how_to_build() -> None:
    bundle = b"var Something = { mount: function () {} };"

    report = check_bundle(bundle, package_name="my-wallet", max_bytes=DEFAULT_MAX_BUNDLE_BYTES)

    message = report.errors["bundle"]
    assert "the bundle must assign the global NaapPluginMyWallet" in message
    assert "naap-plugin build" in message
    assert "output.library.name" in message


def test_bundle_assigning_another_packages_global_is_refused_and_named() -> None:
    bundle = b"var NaapPluginWallet = { mount() {} };"

    report = check_bundle(bundle, package_name="my-wallet", max_bytes=DEFAULT_MAX_BUNDLE_BYTES)

    assert "NaapPluginWallet instead" in report.errors["bundle"]


def test_bundle_declaring_the_global_with_const_is_refused_with_the_fix() -> None:
    bundle = b"const NaapPluginMyWallet = { mount() {} };"

    report = check_bundle(bundle, package_name="my-wallet", max_bytes=DEFAULT_MAX_BUNDLE_BYTES)

    assert "const or let" in report.errors["bundle"]


def test_global_mentioned_only_in_a_comment_does_not_count() -> None:
    bundle = (
        b"/* window.NaapPluginMyWallet = ... */\n// NaapPluginMyWallet = x\nvar a = {mount(){}};"
    )

    report = check_bundle(bundle, package_name="my-wallet", max_bytes=DEFAULT_MAX_BUNDLE_BYTES)

    assert "must assign the global" in report.errors["bundle"]


def test_global_with_a_longer_name_does_not_count() -> None:
    bundle = b"window.NaapPluginMyWalletExtra = { mount() {} };"

    report = check_bundle(bundle, package_name="my-wallet", max_bytes=DEFAULT_MAX_BUNDLE_BYTES)

    assert "must assign the global" in report.errors["bundle"]


def test_bundle_without_mount_is_refused() -> None:
    bundle = b"window.NaapPluginMyWallet = { unmount() {}, render: function () {} };"

    report = check_bundle(bundle, package_name="my-wallet", max_bytes=DEFAULT_MAX_BUNDLE_BYTES)

    assert "must define a mount function" in report.errors["bundle"]
    assert "must assign the global" not in report.errors["bundle"]


def test_bundle_missing_both_global_and_mount_reports_both() -> None:
    report = check_bundle(b"console.log(1);", package_name="my-wallet", max_bytes=1000)

    assert "must assign the global" in report.errors["bundle"]
    assert "must define a mount function" in report.errors["bundle"]


def test_non_utf8_bundle_is_refused_with_the_byte_offset() -> None:
    bundle = b"window.NaapPluginMyWallet = 1; // caf\xe9"

    report = check_bundle(bundle, package_name="my-wallet", max_bytes=DEFAULT_MAX_BUNDLE_BYTES)

    bad_byte_offset = len(b"window.NaapPluginMyWallet = 1; // caf")
    assert "UTF-8" in report.errors["bundle"]
    assert f"offset {bad_byte_offset}" in report.errors["bundle"]


def test_oversize_bundle_is_too_large_and_the_message_gives_both_sizes() -> None:
    bundle = PLAIN_WINDOW + b" " * 200

    report = check_bundle(bundle, package_name="my-wallet", max_bytes=100)

    assert report.too_large
    assert str(len(bundle)) in report.errors["bundle"]
    assert "100 bytes" in report.errors["bundle"]


def test_bundle_at_exactly_the_limit_is_accepted() -> None:
    report = check_bundle(PLAIN_WINDOW, package_name="my-wallet", max_bytes=len(PLAIN_WINDOW))

    assert report.ok
    assert not report.too_large


def test_empty_bundle_is_refused() -> None:
    report = check_bundle(b"", package_name="my-wallet", max_bytes=DEFAULT_MAX_BUNDLE_BYTES)

    assert "empty" in report.errors["bundle"]
    assert not report.too_large


@pytest.mark.parametrize(
    ("mount", "defined"),
    [
        ("{ mount }", True),
        ("{\n  render,\n  mount\n}", True),
        ("{render, mount , x}", True),
        ("exports.mount = start;", True),
        ("var o = {'mount': start};", True),
        ("function mount (el) {}", True),
        ("call(mount)", False),
        ("var amount = 1; var $mount = 2; x.mount == y; var f = mount => 1;", False),
        ("( mount }", False),
    ],
)
def test_mount_is_found_in_each_form_and_only_as_a_whole_word(mount: str, defined: bool) -> None:
    # Most bundles define mount last, so the search is arranged to jump between occurrences.
    bundle = f"window.NaapPluginMyWallet = plugin; {mount}".encode()

    report = check_bundle(bundle, package_name="my-wallet", max_bytes=DEFAULT_MAX_BUNDLE_BYTES)

    assert ("must define a mount function" not in report.errors.get("bundle", "")) is defined


def test_scan_counts_eval_and_hosts_only_as_whole_words_and_schemes() -> None:
    bundle = PLAIN_WINDOW.decode() + (
        " $eval(a); x.evaluate(b); o.eval(c); renew Function(d); new  Function (e);"
        ' fetch("git+https://npm.example.com/x"); u = "xhttps://fake.example.com";'
        ' w = "HTTPS://Upper.Example.com/a"; s = "ws://socket.example.com";'
    )

    by_check = findings_by_check(scan_bundle(bundle, package_name="my-wallet", manifest=MINIMAL))

    assert by_check["eval"]["detail"] == {"count": 1}
    assert by_check["new-function"]["detail"] == {"count": 1}
    assert by_check["external-url"]["detail"]["hosts"] == [
        "socket.example.com",
        "upper.example.com",
    ]


def test_checking_a_five_mebibyte_bundle_is_quick() -> None:
    # The scan uses regular expressions only, so an unterminated string or comment cannot
    # make it quadratic.
    filler = b"var a = \"x\"; /* c */ b = 'y' + `z`; " * (DEFAULT_MAX_BUNDLE_BYTES // 40)
    bundle = PLAIN_WINDOW + filler + b"'\"`/*"

    started = time.monotonic()
    report = check_bundle(bundle, package_name="my-wallet", max_bytes=DEFAULT_MAX_BUNDLE_BYTES)
    scan_bundle(bundle.decode(), package_name="my-wallet", manifest=MINIMAL)

    assert report.ok
    assert time.monotonic() - started < 10


# Styles


def test_styles_in_utf8_under_the_limit_pass() -> None:
    assert check_styles(b".wallet { color: red; }").ok


def test_empty_styles_are_refused() -> None:
    assert "empty" in check_styles(b"").errors["styles"]


def test_oversize_styles_are_too_large() -> None:
    report = check_styles(b"a{}" + b" " * MAX_STYLES_BYTES)

    assert report.too_large
    assert str(MAX_STYLES_BYTES) in report.errors["styles"]


def test_non_utf8_styles_are_refused_with_the_byte_offset() -> None:
    report = check_styles(b"a { content: '\xff'; }")

    assert "offset 14" in report.errors["styles"]


def test_styles_importing_external_stylesheets_are_warned_about() -> None:
    report = check_styles(b"@import url('https://fonts.googleapis.com/css?family=Inter');")

    assert report.ok
    assert any("fonts.googleapis.com" in warning for warning in report.warnings)


# Automated findings


def findings_by_check(findings: list[dict]) -> dict[str, dict]:
    return {finding["check"]: finding for finding in findings}


def test_scan_of_a_clean_bundle_reports_size_permissions_global_and_mount() -> None:
    findings = scan_bundle(PLAIN_WINDOW.decode(), package_name="my-wallet", manifest=MINIMAL)

    by_check = findings_by_check(findings)
    assert set(by_check) == {"size", "permission", "global", "mount"}
    assert by_check["size"]["severity"] == "info"
    assert by_check["size"]["detail"] == {"bytes": len(PLAIN_WINDOW)}
    assert by_check["global"]["severity"] == "info"
    assert by_check["mount"]["severity"] == "info"
    assert by_check["permission"]["message"] == "The manifest asks for no permissions."
    for finding in findings:
        assert set(finding) == {"check", "severity", "message", "detail"}
        assert finding["message"][0].isupper() and finding["message"].endswith(".")


def test_scan_warns_about_eval_and_new_function() -> None:
    bundle = PLAIN_WINDOW.decode() + " eval(code); eval (x); var f = new Function('a', 'b');"

    by_check = findings_by_check(scan_bundle(bundle, package_name="my-wallet", manifest=MINIMAL))

    assert by_check["eval"]["severity"] == "warning"
    assert by_check["eval"]["detail"] == {"count": 2}
    assert by_check["new-function"]["severity"] == "warning"
    assert by_check["new-function"]["detail"] == {"count": 1}


def test_scan_ignores_eval_inside_comments_and_longer_names() -> None:
    bundle = PLAIN_WINDOW.decode() + " // eval(x)\n/* new Function() */ safeEval(y);"

    by_check = findings_by_check(scan_bundle(bundle, package_name="my-wallet", manifest=MINIMAL))

    assert "eval" not in by_check
    assert "new-function" not in by_check


def test_scan_lists_external_hosts_once_and_names_undeclared_ones() -> None:
    bundle = PLAIN_WINDOW.decode() + (
        ' fetch("https://api.example.com/v1/gateways");'
        ' fetch("https://api.example.com/v1/other");'
        " new WebSocket('wss://stream.tracker.io:8443/live');"
        ' const ns = "http://www.w3.org/2000/svg";'
        " /*! see https://license.example.org */"
        " // https://in-a-comment.example.net\n"
        " var u = `https://${host}/x`;"
    )

    by_check = findings_by_check(
        scan_bundle(bundle, package_name="my-wallet", manifest=GATEWAY_MANAGER)
    )

    finding = by_check["external-url"]
    assert finding["severity"] == "warning"
    assert finding["detail"] == {
        "hosts": ["api.example.com", "stream.tracker.io"],
        "undeclared": ["stream.tracker.io"],
    }
    assert "stream.tracker.io" in finding["message"]


def test_scan_lists_the_permissions_the_manifest_asks_for() -> None:
    findings = scan_bundle(
        PLAIN_WINDOW.decode(), package_name="my-wallet", manifest=GATEWAY_MANAGER
    )

    finding = findings_by_check(findings)["permission"]
    assert finding["severity"] == "info"
    assert finding["detail"] == GATEWAY_MANAGER["permissions"]
    assert "browser: clipboard" in finding["message"]


def test_scan_reports_missing_global_and_mount_as_errors() -> None:
    findings = scan_bundle("console.log(1)", package_name="my-wallet", manifest=MINIMAL)

    by_check = findings_by_check(findings)
    assert by_check["global"]["severity"] == "error"
    assert "NaapPluginMyWallet" in by_check["global"]["message"]
    assert by_check["mount"]["severity"] == "error"


def test_scan_warns_when_the_bundle_is_large() -> None:
    bundle = PLAIN_WINDOW.decode() + " " * (1024 * 1024)

    finding = findings_by_check(scan_bundle(bundle, package_name="my-wallet", manifest=MINIMAL))[
        "size"
    ]

    assert finding["severity"] == "warning"


def test_scan_tolerates_a_manifest_with_odd_permissions() -> None:
    findings = scan_bundle(
        PLAIN_WINDOW.decode(), package_name="my-wallet", manifest={"permissions": ["x"]}
    )

    assert findings_by_check(findings)["permission"]["detail"] == {}


def test_module_imports_without_django() -> None:
    # The CLI runs on publishers' laptops where no Django settings exist.
    code = "import sys, publishing.validation; assert 'django' not in sys.modules"

    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
