"""The manifest checker: good manifests pass, and each problem is named at its field."""

from __future__ import annotations

import copy

import pytest

from publishing.validation import ValidationReport, validate_manifest
from tests.config_schemas import ACCEPTED_SCHEMAS, REFUSED_SCHEMAS
from tests.publishing.validation.samples import GATEWAY_MANAGER, MINIMAL


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
        with_routes("/plugins/my-wallet", "/plugins/other-plugin"),
        True,
        "frontend.routes[1]",
        "use /plugins/my-wallet or below",
        id="route-in-another-packages-prefix",
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
        "not a version range",
        id="shell-min-not-semver",
    ),
    pytest.param(
        manifest_with(shell={"minVersion": "0.2.0", "maxVersion": "0.1.9"}),
        False,
        "shell.maxVersion",
        "ends below where shell.minVersion 0.2.0 starts",
        id="shell-min-above-max",
    ),
    pytest.param(
        manifest_with(shell={"minVersion": "3.x", "maxVersion": "^2.1.0"}),
        False,
        "shell.maxVersion",
        "no shell version fits both",
        id="shell-ranges-apart",
    ),
    pytest.param(
        manifest_with(shell={"maxVersion": ">3 <2"}),
        False,
        "shell.maxVersion",
        "admits no version",
        id="shell-range-empty",
    ),
    pytest.param(
        manifest_with(shell={"maxVersion": 2}),
        False,
        "shell.maxVersion",
        "not a number",
        id="shell-range-not-string",
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
        "frontend": {"routes": ["/settings", "no-slash"], "devPort": -1},
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


def test_top_level_routes_validate_and_warn_that_staff_must_grant_them() -> None:
    report = validate_manifest(CORE_DASHBOARD_EXTRAS, is_core=False)

    assert report.ok, report.errors
    (warning,) = [w for w in report.warnings if "/dashboard-extras/*" in w]
    assert "/dashboard-extras, /dashboard-extras/*" in warning
    assert "outside /plugins/dashboard-extras" in warning
    assert "moderation queue" in warning


def test_top_level_routes_are_accepted_when_staff_marked_the_package_core() -> None:
    assert validate_manifest(CORE_DASHBOARD_EXTRAS, is_core=True).ok


def test_manifest_is_core_flag_is_accepted_and_warns_that_staff_decide() -> None:
    report = validate_manifest(CORE_DASHBOARD_EXTRAS, is_core=False)

    assert report.ok
    assert any("isCore" in w and "moderation queue" in w for w in report.warnings)
    assert not any(
        "isCore" in w for w in validate_manifest(CORE_DASHBOARD_EXTRAS, is_core=True).warnings
    )


def test_headless_plugin_is_warned_that_it_gets_no_navigation() -> None:
    report = validate_manifest(with_routes(), is_core=False)

    assert report.ok
    assert any("headless" in warning and "navigation" in warning for warning in report.warnings)


@pytest.mark.parametrize(
    ("schema", "path"), [pytest.param(s, p, id=i) for i, s, p in REFUSED_SCHEMAS]
)
def test_a_config_schema_the_install_forms_cannot_use_is_refused_at_its_path(
    schema: dict, path: str
) -> None:
    report = validate_manifest(manifest_with(config={"schema": schema}), is_core=False)

    assert path in report.errors, report.errors
    assert report.errors[path].startswith(path)


@pytest.mark.parametrize("schema", [pytest.param(s, id=i) for i, s in ACCEPTED_SCHEMAS if s])
def test_a_config_schema_the_checker_accepts_publishes(schema: dict) -> None:
    report = validate_manifest(manifest_with(config={"schema": schema}), is_core=False)

    assert report.errors == {}


def test_naaps_field_map_schema_validates_as_shipped_without_a_warning() -> None:
    field_map = {"network": {"type": "string", "enum": ["mainnet"], "default": "mainnet"}}
    report = validate_manifest(manifest_with(config={"schema": field_map}), is_core=False)

    assert report.ok
    assert not [warning for warning in report.warnings if "config" in warning]


def test_a_field_map_problem_is_named_in_the_field_maps_words() -> None:
    field_map = {"apiKey": {"type": "string", "min": 8, "max": 4}}
    report = validate_manifest(manifest_with(config={"schema": field_map}), is_core=False)

    assert report.errors == {
        "config.schema.apiKey.max": "config.schema.apiKey.max is 4, below min (8)"
    }


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


@pytest.mark.parametrize(
    ("manifest", "field", "limit"),
    [
        pytest.param(manifest_with(description="d" * 2001), "description", 2000, id="description"),
        pytest.param(manifest_with(icon="i" * 201), "icon", 200, id="icon"),
        pytest.param(manifest_with(license="l" * 101), "license", 100, id="license"),
        pytest.param(manifest_with(repository="r" * 501), "repository", 500, id="repository"),
        pytest.param(manifest_with(author={"name": "a" * 201}), "author.name", 200, id="author"),
        pytest.param(
            with_frontend(navigation={"label": "n" * 2001}),
            "frontend.navigation.label",
            2000,
            id="any-string",
        ),
        pytest.param(
            manifest_with(permissions={"apis": ["/api/v1/x", "p" * 2001]}),
            "permissions.apis[1]",
            2000,
            id="a-string-in-a-list",
        ),
    ],
)
def test_a_string_over_its_limit_is_refused_at_its_path(manifest: dict, field: str, limit: int):
    report = validate_manifest(manifest, is_core=False)

    assert report.errors[field].endswith(f"may be at most {limit}")
    assert not report.too_large


def test_a_manifest_over_64_kib_is_too_large_and_checked_no_further() -> None:
    manifest = manifest_with(rbac={"permissions": ["p" * 1000] * 70}, name="Bad Name")

    report = validate_manifest(manifest, is_core=False)

    assert list(report.errors) == ["manifest"]
    assert "over the limit of 65536 bytes (64.0 KiB)" in report.errors["manifest"]
    assert report.too_large


def test_a_manifest_nested_past_40_levels_is_refused_before_it_is_walked() -> None:
    deep: list = []
    for _ in range(45):
        deep = [deep]

    report = validate_manifest(manifest_with(backend={"x": deep}), is_core=False)

    assert report.errors == {"manifest": "the manifest nests lists and objects more than 40 deep"}


def test_unknown_fields_are_kept_within_their_count_and_size() -> None:
    many = manifest_with(**{f"extra{index}": index for index in range(21)})
    big = manifest_with(homepage="h" * 1000, notes=["n" * 1000] * 9)

    many_report = validate_manifest(many, is_core=False)
    big_report = validate_manifest(big, is_core=False)

    assert "at most 20 are kept" in many_report.errors["extra20"]
    assert len(many_report.warnings) == 20
    assert list(big_report.errors) == ["notes"]
    assert "may hold at most 8192 bytes" in big_report.errors["notes"]
