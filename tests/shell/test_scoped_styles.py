"""A plugin's stylesheet styles that plugin only: with a Tailwind reset (the preflight of a real
NaaP plugin's build) and rules on html, body and :root, the shell's own elements and another
plugin look exactly as before it was mounted, while the plugin's classes apply inside its host
and in the dialogs it portals to <body>."""

from __future__ import annotations

import pytest

from installs.services import install_plugin
from tests.factories import make_user
from tests.shell.helpers import open_shell, probe_bundle, publish_probe, sign_in, wait_for_state
from tests.upstream import upstream_path

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTENT = "#naap-shell-content"

# A React plugin (the shell's React 18) with a dialog portalled to <body> the way upstream's
# @naap/ui Modal does (createPortal(content, document.body)), and a menu its own code appends
# to <body> without React.
RESET_BUNDLE = b"""
var NaapPluginResetPlugin = (function () {
  var React = window.React, ReactDOM = window.ReactDOM, h = React.createElement;
  function App() {
    var state = React.useState(false), open = state[0], setOpen = state[1];
    return h("div", null,
      h("h1", {className: "rp-title"}, "Reset plugin"),
      h("h2", {id: "rp-plain-heading"}, "A heading the reset styles"),
      h("button", {id: "rp-open", onClick: function () { setOpen(true); }}, "Open dialog"),
      h("button", {id: "rp-menu", onClick: function () {
        var menu = document.createElement("div");
        menu.id = "rp-vanilla-menu";
        menu.className = "rp-modal-title";
        menu.textContent = "Menu";
        document.body.appendChild(menu);
      }}, "Open menu"),
      open && ReactDOM.createPortal(
        h("div", {className: "rp-modal", id: "rp-dialog"},
          h("h2", {className: "rp-modal-title"}, "Dialog")),
        document.body));
  }
  return { mount: function (container) {
    var root = ReactDOM.createRoot(container);
    ReactDOM.flushSync(function () { root.render(h(App)); });
    return function () { root.unmount(); };
  } };
})();
"""
OWN_RULES = """
:root { --ink: rgb(255, 0, 0); --paper: rgb(0, 255, 0); }
body { background-color: rgb(200, 0, 0); font-family: monospace; }
html { color: rgb(0, 0, 200); }
h1 { margin: 40px; }
:root { --rp-accent: rgb(9, 9, 9); }
.dark { --rp-accent: rgb(1, 1, 1); }
.rp-title { font-size: 1.5rem; font-weight: 700; text-decoration-color: var(--rp-accent); }
.rp-modal { position: fixed; top: 0; left: 0; padding: 12px; }
.rp-modal-title { font-size: 30px; font-weight: 800; }
.probe { font-size: 40px; }
"""
OTHER_STYLES = b".other-title { font-style: italic; }\n"
OTHER_BODY = (
    "var t = document.createElement('h1'); t.className = 'other-title'; t.textContent = 'Other';"
    " container.appendChild(t);"
    " var b = document.createElement('button'); b.textContent = 'Other button';"
    " container.appendChild(b);"
)

# Computed styles of the elements given by selector, property by property.
READ_STYLES = """([selectors, properties]) => Object.fromEntries(selectors.map((selector) => {
  const found = document.querySelector(selector);
  if (!found) return [selector, null];
  const style = getComputedStyle(found);
  return [selector, Object.fromEntries(properties.map((name) => [name, style[name]]))];
}))"""
PROPERTIES = [
    "fontFamily",
    "fontSize",
    "fontWeight",
    "fontStyle",
    "lineHeight",
    "color",
    "backgroundColor",
    "marginTop",
    "marginLeft",
    "paddingTop",
    "borderTopWidth",
    "boxSizing",
    "textTransform",
]
# The shell's own parts, plus elements the shell's stylesheet styles by tag (added once, out of
# any plugin's host), and another plugin mounted in a host of its own.
SHELL_PARTS = [
    "html",
    "body",
    ".naap-shell__nav",
    ".naap-shell__nav-link",
    ".naap-shell__content",
    "#shell-h1",
    "#shell-button",
    "#shell-link",
    "#other-host .other-title",
    "#other-host button",
    "#other-host .probe",
]
ADD_SHELL_ELEMENTS = """async () => {
  const main = document.querySelector(".naap-shell__main");
  main.insertAdjacentHTML("beforeend",
    '<h1 id="shell-h1">Shell heading</h1><button id="shell-button">Shell button</button>' +
    '<a id="shell-link" href="#">Shell link</a><div id="other-host"></div>');
  const shell = await import("/static/naap/shell.js");
  const response = await fetch("/api/v1/plugins/registry/other-plugin/latest/manifest");
  const manifest = await response.json();
  return (await shell.mountPlugin(document.getElementById("other-host"), manifest)).state;
}"""


def publish_plugins():
    preflight = upstream_path("prebuilt/my-dashboard/my-dashboard-frontend.css").read_text()
    reset = publish_probe(
        "reset-plugin", bundle=RESET_BUNDLE, styles=(preflight + OWN_RULES).encode()
    )
    other = publish_probe(
        "other-plugin",
        bundle=probe_bundle("other-plugin", body=OTHER_BODY),
        styles=OTHER_STYLES,
    )
    return reset, other


def test_a_plugins_tailwind_reset_leaves_the_shell_and_other_plugins_as_they_were(
    page, browser_context, live_server, react_files
):
    person = make_user("ada")
    sign_in(browser_context, live_server, person)
    reset, _ = publish_plugins()
    assert reset.scoped_styles_url
    for name in ("reset-plugin", "other-plugin"):
        install_plugin(actor=person, name=name, team_id=None, config=None)
    frame = open_shell(page, "/shell/")
    frame.wait_for_selector(".naap-shell__nav-link")
    assert frame.evaluate(ADD_SHELL_ELEMENTS) == "mounted"
    before = frame.evaluate(READ_STYLES, [SHELL_PARTS, PROPERTIES])
    assert all(before.values()), before
    assert before["#other-host .other-title"]["fontStyle"] == "italic"  # its own scoped rule
    outer = page.evaluate(READ_STYLES, [["body", ".site-header", "main"], PROPERTIES])

    frame.click("text=reset-plugin")
    wait_for_state(frame, CONTENT, "mounted")
    title = frame.locator(f"{CONTENT} .rp-title")
    title.wait_for()

    # The scoped copy was loaded, not the stylesheet as published.
    links = frame.evaluate(
        "[...document.querySelectorAll('link[rel=stylesheet][data-naap-styles]')].map(l => l.href)"
    )
    assert any(href.endswith(".scoped.css") for href in links), links
    assert not any(href.endswith(reset.styles_key.rsplit("/", 1)[1]) for href in links)
    after = frame.evaluate(READ_STYLES, [SHELL_PARTS, PROPERTIES])
    for selector in SHELL_PARTS:
        assert after[selector] == before[selector], selector
    assert page.evaluate(READ_STYLES, [["body", ".site-header", "main"], PROPERTIES]) == outer

    # Inside its host the plugin's own rules and its reset apply.
    plugin_parts = [f"{CONTENT} .rp-title", "#rp-plain-heading", "#rp-open", "[data-naap-scope]"]
    inside = frame.evaluate(READ_STYLES, [plugin_parts, PROPERTIES])
    assert inside[f"{CONTENT} .rp-title"]["fontSize"] == "24px"  # .rp-title, 1.5rem
    assert inside[f"{CONTENT} .rp-title"]["fontWeight"] == "700"
    assert inside[f"{CONTENT} .rp-title"]["marginTop"] == "40px"  # its own h1 rule
    assert inside["#rp-plain-heading"]["marginTop"] == "0px"  # the preflight's h2 reset
    assert inside["#rp-open"]["backgroundColor"] == "rgba(0, 0, 0, 0)"  # preflight's button
    assert inside["#rp-open"]["textTransform"] == "none"
    # Its body rule and :root variables land on the host, which its content inherits.
    assert inside["[data-naap-scope]"]["fontFamily"] == "monospace"
    assert inside["[data-naap-scope]"]["backgroundColor"] == "rgb(200, 0, 0)"
    assert inside[f"{CONTENT} .rp-title"]["color"] == "rgb(0, 0, 200)"  # html { color }

    # Tailwind's class dark mode, `.dark` on <html> as NaaP's shell sets it: the plugin's
    # `.dark { --var }` reaches its content; the shell still looks as it did.
    accent = "t => getComputedStyle(t).textDecorationColor"
    assert title.evaluate(accent) == "rgb(9, 9, 9)"
    frame.evaluate("document.documentElement.classList.add('dark')")
    assert title.evaluate(accent) == "rgb(1, 1, 1)"
    assert frame.evaluate(READ_STYLES, [SHELL_PARTS, PROPERTIES]) == before
    frame.evaluate("document.documentElement.classList.remove('dark')")

    # A dialog React portals to <body> is tagged with the plugin's scope and styled by it.
    frame.click("#rp-open")
    dialog = frame.locator("body > #rp-dialog")
    dialog.wait_for()
    assert dialog.get_attribute("data-naap-scope") == "reset-plugin"
    styled = frame.evaluate(READ_STYLES, [["#rp-dialog", "#rp-dialog .rp-modal-title"], PROPERTIES])
    assert styled["#rp-dialog"]["paddingTop"] == "12px"
    assert styled["#rp-dialog"]["fontFamily"] == "monospace"  # the host's body rule
    assert styled["#rp-dialog .rp-modal-title"]["fontSize"] == "30px"
    assert styled["#rp-dialog .rp-modal-title"]["fontWeight"] == "800"
    # An element its own code appends to <body> goes with the plugin the person clicked in.
    frame.click("#rp-menu")
    menu = frame.locator("body > #rp-vanilla-menu")
    menu.wait_for()
    assert menu.get_attribute("data-naap-scope") == "reset-plugin"
    assert menu.evaluate("m => getComputedStyle(m).fontSize") == "30px"
    # Still nothing of the shell's changed.
    assert frame.evaluate(READ_STYLES, [SHELL_PARTS, PROPERTIES]) == before


def test_body_elements_go_with_the_routed_plugin_and_the_shells_own_keep_its_styles(
    page, browser_context, live_server, react_files
):
    person = make_user("ada")
    sign_in(browser_context, live_server, person)
    publish_plugins()
    install_plugin(actor=person, name="reset-plugin", team_id=None, config=None)
    frame = open_shell(page, "/shell/plugins/reset-plugin")
    wait_for_state(frame, CONTENT, "mounted")

    seen = frame.evaluate(
        """async () => {
          const settle = () => new Promise((resolve) => setTimeout(resolve, 50));
          // What a plugin's timer adds, before anyone interacted: the routed plugin's.
          const toast = document.createElement("div");
          toast.className = "rp-modal-title";
          document.body.append(toast);
          // The shell's own notification area, added while the plugin is on show.
          document.getElementById("naap-notifications").remove();
          const shell = await import("/static/naap/shell.js");
          shell.createPluginContext({name: "reset-plugin", version: "1.0.0"})
            .notifications.info("Saved");
          await settle();
          const area = document.getElementById("naap-notifications");
          return {
            toastScope: toast.getAttribute("data-naap-scope"),
            toastSize: getComputedStyle(toast).fontSize,
            areaInBody: area.parentElement === document.body,
            areaScope: area.getAttribute("data-naap-scope"),
            areaFont: getComputedStyle(area).fontFamily,
            bodyFont: getComputedStyle(document.body).fontFamily,
          };
        }"""
    )

    assert seen["toastScope"] == "reset-plugin"
    assert seen["toastSize"] == "30px"
    assert seen["areaInBody"] is True
    assert seen["areaScope"] is None
    assert seen["areaFont"] == seen["bodyFont"] != "monospace"


def test_a_manifest_without_a_scoped_stylesheet_loads_the_one_as_published(
    page, browser_context, live_server, react_files
):
    person = make_user("ada")
    sign_in(browser_context, live_server, person)
    _, other = publish_plugins()
    frame = open_shell(page, "/shell/")
    frame.wait_for_selector(".naap-shell__status")

    href = frame.evaluate(
        """async () => {
          const shell = await import("/static/naap/shell.js");
          const response = await fetch("/api/v1/plugins/registry/other-plugin/latest/manifest");
          const manifest = await response.json();
          delete manifest.scopedStylesUrl;  // as for a version published before scoping
          const host = document.createElement("div");
          document.body.append(host);
          await shell.mountPlugin(host, manifest);
          return document.querySelector("link[data-naap-styles]").href;
        }"""
    )

    assert href.endswith(other.styles_key)


NESTED_STYLES = b"""
:root { & ~ * { font-style: oblique; } & + * { color: rgb(255, 0, 0); } }
body { @media all { & ~ * * { font-weight: 900; } } }
.nest-title { &:hover, & { font-style: italic; } @media all { font-weight: 700; } }
"""


def test_rules_nested_in_a_plugins_rules_stay_inside_its_host(
    page, browser_context, live_server, react_files
):
    person = make_user("ada")
    sign_in(browser_context, live_server, person)
    publish_probe(
        "nest-plugin",
        bundle=probe_bundle(
            "nest-plugin",
            body="var t = document.createElement('h1'); t.className = 'nest-title';"
            " t.textContent = 'Nested'; container.appendChild(t);",
        ),
        styles=NESTED_STYLES,
    )
    install_plugin(actor=person, name="nest-plugin", team_id=None, config=None)
    frame = open_shell(page, "/shell/plugins/nest-plugin")
    wait_for_state(frame, CONTENT, "mounted")

    seen = frame.evaluate(
        """() => {
          // The host's siblings and what is inside them: the page's, not the plugin's.
          const host = document.querySelector("[data-naap-scope='nest-plugin']");
          const sibling = document.createElement("p");
          sibling.innerHTML = "Page <b>text</b>";
          host.after(sibling);
          const read = (element) => {
            const style = getComputedStyle(element);
            return [style.fontStyle, style.color, style.fontWeight];
          };
          return {
            sibling: read(sibling),
            inSibling: read(sibling.querySelector("b")),
            title: read(host.querySelector(".nest-title")),
          };
        }"""
    )

    assert seen["sibling"][0] == "normal"
    assert seen["sibling"][1] != "rgb(255, 0, 0)"
    assert seen["inSibling"][2] != "900"
    # The plugin's own nested rules still apply inside its host.
    assert seen["title"][0] == "italic"
    assert seen["title"][2] == "700"
