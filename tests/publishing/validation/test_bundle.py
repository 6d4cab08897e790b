"""The bundle and stylesheet checks: size, encoding, plugin global and mount function."""

from __future__ import annotations

import time

import pytest

from publishing.validation import (
    DEFAULT_MAX_BUNDLE_BYTES,
    MAX_STYLES_BYTES,
    check_bundle,
    check_styles,
    scan_bundle,
)
from tests.publishing.validation.samples import MINIMAL, PLAIN_WINDOW

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


@pytest.mark.parametrize(
    "styles",
    [
        b"@import url('https://fonts.googleapis.com/css?family=Inter');\n.a { color: red; }",
        b'@import "https://fonts.googleapis.com/css?family=Inter" screen;',
        b"@import url(https://fonts.googleapis.com/css?family=Inter);",
        b"/* fonts */\n@IMPORT url( '//fonts.googleapis.com/css?family=Inter' );",
    ],
)
def test_styles_importing_a_remote_stylesheet_are_refused_naming_it(styles: bytes) -> None:
    report = check_styles(styles)

    message = report.errors["styles"]
    assert "//fonts.googleapis.com/css?family=Inter" in message
    assert "Content-Security-Policy" in message
    assert "Remove the @import" in message


@pytest.mark.parametrize(
    "styles",
    [
        b"@import 'local.css';\n.a { color: red; }",
        b"@import url(data:text/css,.a{color:red});",
        # Not an @import rule: a string or a comment that mentions one.
        b".a::before { content: '@import url(https://fonts.googleapis.com/x)'; }",
        b"/* @import url(https://fonts.googleapis.com/x); */ .a { color: red; }",
        b".a { background: url(https://cdn.example.com/x.png); }",
    ],
)
def test_styles_without_a_remote_import_pass(styles: bytes) -> None:
    assert check_styles(styles).ok


@pytest.mark.parametrize(
    "source",
    [
        "export function mount(el) {}\nvar NaapPluginMyWallet = { mount };\n",
        "import React from 'react';\nvar NaapPluginMyWallet = { mount: function () {} };\n",
        'import "./styles.css";\nvar NaapPluginMyWallet = { mount: function () {} };\n',
        "var NaapPluginMyWallet = { mount: function () {} };\nexport { NaapPluginMyWallet };\n",
        "var NaapPluginMyWallet = { mount: function () {} };\n  export default 1;\n",
    ],
)
def test_an_es_module_is_refused_because_the_shell_loads_classic_scripts(source: str) -> None:
    report = check_bundle(
        source.encode(), package_name="my-wallet", max_bytes=DEFAULT_MAX_BUNDLE_BYTES
    )

    assert "ES module" in report.errors["bundle"]
    assert "UMD or IIFE" in report.errors["bundle"]


@pytest.mark.parametrize(
    "source",
    [
        "var NaapPluginMyWallet = { mount: function () { import('./lazy.js'); } };\n",
        "var NaapPluginMyWallet = {};\nexports.mount = 1;\nNaapPluginMyWallet.mount = 1;\n",
        "var NaapPluginMyWallet = { mount: function () {} };\n// export default nothing\n",
    ],
)
def test_dynamic_imports_commonjs_exports_and_comments_are_not_module_statements(
    source: str,
) -> None:
    report = check_bundle(
        source.encode(), package_name="my-wallet", max_bytes=DEFAULT_MAX_BUNDLE_BYTES
    )

    assert report.errors == {}


def test_a_bundle_with_a_nul_byte_is_refused_naming_where() -> None:
    bundle = b"var NaapPluginMyWallet = { mount: function () {} };\x00\n"

    report = check_bundle(bundle, package_name="my-wallet", max_bytes=DEFAULT_MAX_BUNDLE_BYTES)

    assert "NUL byte (at offset 51)" in report.errors["bundle"]
