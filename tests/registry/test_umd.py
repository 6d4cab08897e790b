"""Reading which shell globals a bundle needs from its UMD wrapper (registry/umd.py)."""

from __future__ import annotations

import time

import pytest

from registry.umd import BundleGlobals, read_bundle_globals, shell_globals_of_bundle
from tests.upstream import upstream_path

VITE = (
    '/** NAAP Plugin: X | Global: NaapPluginX */\n(function(C,e){typeof exports=="object"&&'
    'typeof module<"u"?e(exports,require("react"),require("react-dom/client"),'
    'require("react/jsx-runtime")):typeof define=="function"&&define.amd?define(["exports",'
    '"react","react-dom/client","react/jsx-runtime"],e):(C=typeof globalThis<"u"?globalThis:'
    "C||self,e(C.NaapPluginX={},C.React,C.ReactDOM,C.React))})(this,function(C,e,q,t){"
    'C.mount=function(n){q.createRoot(n).render(t.jsx("p",{children:"hi"}))}});'
)
ROLLUP = """(function (global, factory) {
  typeof exports === 'object' && typeof module !== 'undefined'
    ? factory(exports, require('react-dom'))
    : typeof define === 'function' && define.amd
      ? define(['exports', 'react-dom'], factory)
      : (global = typeof globalThis !== 'undefined' ? globalThis : global || self,
         factory(global.NaapPluginX = {}, global.ReactDOM));
})(this, (function (exports, ReactDOM) { 'use strict'; exports.mount = function () {}; }));
"""
WEBPACK = """(function webpackUniversalModuleDefinition(root, factory) {
  if(typeof exports === 'object' && typeof module === 'object')
    module.exports = factory(require("react"), require("lodash"));
  else if(typeof define === 'function' && define.amd)
    define(["react", "lodash"], factory);
  else if(typeof exports === 'object')
    exports["NaapPluginX"] = factory(require("react"), require("lodash"));
  else
    root["NaapPluginX"] = factory(root["React"], root["lodash"]);
})(self, (__WEBPACK_EXTERNAL_MODULE_react__, __WEBPACK_EXTERNAL_MODULE_lodash__) =>
  ({ mount() {} }));
"""
# What `naap-plugin build` emits for a React plugin: esbuild's IIFE around the shims of
# publishing/cli/esbuild.py, minified.
OUR_CLI = (
    "var NaapPluginX=(()=>{var r=(e,n)=>()=>(n||e((n={exports:{}}).exports,n),n.exports);"
    'var o=r((e,n)=>{var t=typeof window>"u"?void 0:window.React;if(!t)throw new Error("This '
    "NaaP plugin needs the shell's global React.\");n.exports=t});var d=r((e,n)=>{var "
    't=typeof window>"u"?void 0:window.ReactDOM;n.exports=t});return{mount(){}}})();\n'
)
PLAIN_IIFE = (
    "var NaapPluginX = (function () {\n"
    "  return { mount: function (c) { c.textContent = 'hi'; } };\n"
    "})();\n"
)
IN_A_STRING = (
    "var NaapPluginX = (function () {\n"
    '  var help = "This plugin does not use window.React";\n'
    "  var also = `window.ReactDOM ${1}`; // window.React in a comment\n"
    "  /* globalThis.React */\n"
    "  return { mount: function (c) { c.textContent = help + also; } };\n"
    "})();\n"
)

CASES = {
    # name: (bundle, what the wrapper hands the factory, read directly, what the shell loads)
    "vite's UMD (NaaP's plugin-build)": (VITE, ("React", "ReactDOM"), (), ["React", "ReactDOM"]),
    "rollup's UMD, ReactDOM only": (ROLLUP, ("ReactDOM",), (), ["React", "ReactDOM"]),
    "webpack's UMD with root[...]": (WEBPACK, ("React", "lodash"), (), ["React"]),
    "our CLI's shims (window.React)": (OUR_CLI, (), ("React", "ReactDOM"), ["React", "ReactDOM"]),
    "a plain IIFE": (PLAIN_IIFE, (), (), []),
    "window.React only in strings and comments": (IN_A_STRING, (), (), []),
    "an arrow wrapper called with globalThis": (
        "((g, f) => { f(g.NaapPluginX = {}, g.React); })(globalThis, (x, React) => {});",
        ("React",),
        (),
        ["React"],
    ),
    "a !function wrapper": (
        "!function(e,t){t(e.NaapPluginX={},e.ReactDOM,e.React)}(this,function(n,d,r){});",
        ("ReactDOM", "React"),
        (),
        ["React", "ReactDOM"],
    ),
    "self['React'] and globalThis.ReactDOM read directly": (
        "var NaapPluginX=(function(){var a=self['React'],b=globalThis.ReactDOM;return{}})();",
        (),
        ("React", "ReactDOM"),
        ["React", "ReactDOM"],
    ),
    "a bundle that provides window.React itself": (
        "var NaapPluginX=(function(){window.React=makeReact();return{mount(){}}})();",
        (),
        (),
        [],
    ),
    "a wrapper whose factory is not called with globals": (
        "(function(g,f){f(g)})(this,function(g){g.React.createElement('p')});",
        (),
        (),
        [],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_globals_a_bundle_reads(case):
    bundle, factory, direct, shell_globals = CASES[case]

    found = read_bundle_globals(bundle)

    assert found.factory == factory
    assert found.direct == direct
    assert found.shell_globals == shell_globals
    assert shell_globals_of_bundle(bundle.encode()) == shell_globals


def test_globals_the_shell_does_not_provide_are_named():
    assert read_bundle_globals(WEBPACK).unprovided == ("lodash",)
    assert read_bundle_globals(VITE).unprovided == ()


def test_a_bundle_with_a_byte_order_mark_or_broken_syntax_still_reads():
    assert shell_globals_of_bundle(b"\xef\xbb\xbf" + VITE.encode()) == ["React", "ReactDOM"]
    assert shell_globals_of_bundle(OUR_CLI + "var = ;") == ["React", "ReactDOM"]
    assert shell_globals_of_bundle(b"") == []


@pytest.mark.parametrize(
    "path",
    ["prebuilt/lightning-client/lightning-client.js", "prebuilt/my-dashboard/my-dashboard.js"],
)
def test_upstreams_prebuilt_bundles_need_react_and_react_dom(path):
    found = read_bundle_globals(upstream_path(path).read_bytes())

    assert found == BundleGlobals(factory=("React", "ReactDOM"), direct=(), has_wrapper=True)
    assert found.shell_globals == ["React", "ReactDOM"]


def test_a_five_megabyte_bundle_is_read_in_seconds():
    body = "var a" + ";var a".join(str(n) for n in range(20)) + "=window.React&&x.React.y;"
    bundle = "var NaapPluginX=(function(){" + body * (5_000_000 // len(body)) + "})();"
    started = time.monotonic()

    assert shell_globals_of_bundle(bundle) == ["React"]
    assert time.monotonic() - started < 15
