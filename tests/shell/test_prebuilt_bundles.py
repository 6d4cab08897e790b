"""Bundles built by NaaP's own vite tooling (../shared/naap-upstream/prebuilt/) run in the demo
shell: the shell loads the globals their UMD wrappers read, and its React carries the JSX
runtime those bundles call (React.jsx), so they render, not only report `mounted`."""

from __future__ import annotations

import pytest

from installs.services import install_plugin
from tests.factories import make_publisher, make_user
from tests.shell.helpers import open_preview, open_shell, publish_probe, sign_in, wait_for_state
from tests.upstream import publish_prebuilt

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTENT = "#naap-shell-content"


@pytest.fixture
def person(browser_context, live_server):
    user = make_user("grace")
    sign_in(browser_context, live_server, user)
    return user


def test_both_prebuilt_plugins_render_their_own_text_in_the_shell(
    page, person, tmp_path, react_files
):
    owner = make_user("naap-team")
    publisher = make_publisher("naap", owner=owner)
    for name in ("lightning-client", "my-dashboard"):
        version = publish_prebuilt(name, tmp_path, actor=owner, publisher=publisher)
        assert version.shell_globals == ["React", "ReactDOM"]
        install_plugin(actor=person, name=name, team_id=None, config=None)

    frame = open_shell(page, "/shell/lightning")
    wait_for_state(frame, CONTENT, "mounted")
    assert frame.locator(f"{CONTENT} h1").inner_text() == "Livepeer AI Video"
    assert frame.locator(f"{CONTENT} button", has_text="Start").count() >= 1

    frame.click("text=My Dashboard")
    page.wait_for_url("**/shell/plugins/my-dashboard")
    wait_for_state(frame, CONTENT, "mounted")
    heading = frame.locator(f"{CONTENT} h1")
    assert heading.inner_text() == "My Dashboard"
    assert frame.locator(f"{CONTENT} p", has_text="Your analytics at a glance").is_visible()
    # The stylesheet vite wrote beside the bundle was published and applies (text-2xl).
    assert heading.evaluate("h => getComputedStyle(h).fontSize") == "24px"
    assert frame.evaluate(
        "['jsx', 'jsxs', 'jsxDEV', 'Fragment'].map(name => typeof window.React[name])"
    ) == ["function", "function", "function", "symbol"]
    assert page.page_errors == []


def react_probe(name: str) -> bytes:
    """A plain script that reads the shell's React and ReactDOM the way the CLI's shims do."""
    global_name = "NaapPlugin" + "".join(part.title() for part in name.split("-"))
    return (
        f"var {global_name} = (function () {{\n"
        "  var React = window.React, ReactDOM = window.ReactDOM;\n"
        "  return { mount: function (container) {\n"
        "    container.textContent =\n"
        "      'React ' + React.version + ', ' + typeof ReactDOM.createRoot;\n"
        "  } };\n"
        "})();\n"
    ).encode()


JSX_CASES = """
const React = window.React, ReactDOM = window.ReactDOM;
const { jsx, jsxs, jsxDEV, Fragment } = React;
const host = document.createElement("div");
document.body.append(host);
const root = ReactDOM.createRoot(host);
const render = (element) => {
  ReactDOM.flushSync(() => root.render(element));
  return host.innerHTML;
};
const results = {};

// Keys: from the third argument, as strings, never in props; a key in props wins.
const keyed = jsx("li", { children: "a" }, 7);
results.key = [keyed.key, "key" in keyed.props, jsx("li", { key: "p" }, "arg").key,
               jsx("li", {}).key];

// Keys keep identity: reordering keyed children moves the same DOM nodes.
const list = (order) => jsx("ul", { children: order.map((id) => jsx("li", { children: id }, id)) });
render(list(["a", "b", "c"]));
const before = [...host.querySelectorAll("li")];
render(list(["c", "a", "b"]));
const after = [...host.querySelectorAll("li")];
results.reordered = [after[0] === before[2], after[1] === before[0], after[2] === before[1],
                     host.textContent];

// Children come from props: one, several (jsxs), nested, and none.
results.children = [
  render(jsx("p", { children: "one" })),
  render(jsxs("p", { children: ["a", jsx("b", { children: "c" }), 1] })),
  render(jsx("p", { className: "x" })),
];

// Fragments render their children without a wrapper, keyed fragments too.
results.fragment = [
  render(jsxs(Fragment, { children: [jsx("i", { children: "x" }), "y"] })),
  render(jsx("div", { children: ["k1", "k2"].map((k) =>
    jsxs(Fragment, { children: [jsx("dt", { children: k }), jsx("dd", { children: k })] }, k)) })),
];

// defaultProps fill in missing and undefined props, not given ones.
function Greeting(props) { return jsxs("span", { children: [props.word, " ", props.name] }); }
Greeting.defaultProps = { word: "Hello", name: "you" };
results.defaults = [
  render(jsx(Greeting, { name: "Ada" })),
  render(jsx(Greeting, { name: undefined, word: "Hi" })),
];

// ref is taken out of props and attached; jsxDEV ignores its extra arguments.
const ref = React.createRef();
const withRef = jsxDEV("input", { ref, defaultValue: "v" }, "r", false, { fileName: "x" }, null);
render(withRef);
results.ref = [ref.current === host.querySelector("input"), "ref" in withRef.props, withRef.key];
root.unmount();
return results;
"""


def test_the_shells_react_carries_a_jsx_runtime_that_renders_like_reacts(page, react_files):
    version = publish_probe("probe-jsx", bundle=react_probe("probe-jsx"))
    assert version.shell_globals == ["React", "ReactDOM"]

    frame = open_preview(page, version)
    wait_for_state(frame, "#naap-preview-host", "mounted")
    assert frame.locator("#naap-preview-host").inner_text().endswith(", function")

    results = frame.evaluate(f"() => {{ {JSX_CASES} }}")

    assert results["key"] == ["7", False, "p", None]
    assert results["reordered"] == [True, True, True, "cab"]
    assert results["children"] == ["<p>one</p>", "<p>a<b>c</b>1</p>", '<p class="x"></p>']
    assert results["fragment"] == [
        "<i>x</i>y",
        "<div><dt>k1</dt><dd>k1</dd><dt>k2</dt><dd>k2</dd></div>",
    ]
    assert results["defaults"] == ["<span>Hello Ada</span>", "<span>Hi you</span>"]
    assert results["ref"] == [True, False, "r"]
    assert page.page_errors == []
