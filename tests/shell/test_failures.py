"""One plugin's failure stays in its host: React plugins sharing the shell's React that throw
in `mount`, in a render, in an effect or later in a timer or a promise, next to plugins that
must keep rendering, in the demo shell in Chromium."""

from __future__ import annotations

import json

import pytest

from installs.services import install_plugin
from registry.names import global_name_for
from tests.factories import make_user
from tests.shell.helpers import (
    open_preview,
    open_shell,
    publish_probe,
    shell,
    sign_in,
    wait_for_state,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTENT = "#naap-shell-content"


def react_bundle(name: str, component: str, *, mount_body: str = "") -> bytes:
    """A plugin built against the shell's React (window.React, window.ReactDOM): `component`
    defines `function App()` with `h` (createElement), `useState` and `useEffect` in scope;
    `mount_body` runs in mount before the root renders. `window.__fixed` is the tests' switch
    that mends a plugin before Retry."""
    return (
        f"var {global_name_for(name)} = (function () {{\n"
        "  var React = window.React, ReactDOM = window.ReactDOM;\n"
        "  var h = React.createElement, useState = React.useState, useEffect = React.useEffect;\n"
        f"  var NAME = {json.dumps(name)};\n"
        f"  {component}\n"
        "  function mount(container) {\n"
        f"    {mount_body}\n"
        "    var root = ReactDOM.createRoot(container);\n"
        "    root.render(h(App));\n"
        "    return function () { root.unmount(); };\n"
        "  }\n"
        "  return { mount: mount };\n"
        "})();\n"
    ).encode()


# A routed page whose own effect must run: proof that its commit was not dropped.
STEADY = """
  function App() {
    var state = useState("rendered, effects pending");
    useEffect(function () { state[1]("rendered, effects ran"); }, []);
    return h("div", null, h("h1", null, "Steady page"), h("p", {className: "steady"}, state[0]));
  }
"""
# A headless helper (renders into its hidden host) whose effect must run too.
HELPER = """
  function App() {
    useEffect(function () { window.__helperReady = true; }, []);
    return h("span", {className: "helper-ready"}, "helper");
  }
"""
EFFECT_BOMB = """
  function App() {
    useEffect(function () {
      if (!window.__fixed) throw new Error(NAME + " effect went off");
    }, []);
    return null;
  }
"""
RENDER_BOMB = """
  function App() {
    if (!window.__fixed) throw new Error(NAME + " render went off");
    return h("h1", null, "Mended " + NAME);
  }
"""
MOUNT_BOMB = """
  function App() { return h("h1", null, "Mended " + NAME); }
"""
LATE_BOMB = """
  function App() {
    var broken = useState(false);
    // A thrown string has no stack to name the plugin: its emptied container does.
    if (broken[0] && !window.__fixed) throw NAME + " render string went off";
    function later() {
      setTimeout(function () { throw new Error(NAME + " timer went off"); }, 0);
    }
    function rejected() {
      Promise.reject(new Error(NAME + " promise went off"));
    }
    return h("div", null,
      h("h1", null, "Late " + NAME),
      h("button", {className: "late-timer", onClick: later}, "timer"),
      h("button", {className: "late-promise", onClick: rejected}, "promise"),
      h("button", {className: "late-render", onClick: function () { broken[1](true); }}, "render"));
  }
"""


def publish_react(name: str, component: str, *, headless: bool = False, mount_body: str = ""):
    overrides = {}
    if headless:
        overrides["frontend"] = {"entry": "bundle.js", "routes": []}
    version = publish_probe(
        name, bundle=react_bundle(name, component, mount_body=mount_body), **overrides
    )
    assert version.shell_globals == ["React", "ReactDOM"]
    return version


@pytest.fixture
def person(browser_context, live_server, react_files):
    user = make_user("ada")
    sign_in(browser_context, live_server, user)
    return user


def install(user, *names: str) -> None:
    for name in names:
        install_plugin(actor=user, name=name, team_id=None, config=None)


def headless_host(frame, name: str):
    return frame.locator(f'.naap-shell__headless[data-plugin="{name}"]')


def wait_for_headless(frame, name: str, state: str) -> None:
    """Wait for a headless plugin's host (hidden unless in error) to reach `state`."""
    frame.wait_for_selector(
        f'.naap-shell__headless[data-plugin="{name}"][data-naap-state="{state}"]',
        state="attached",
    )


def assert_steady(frame) -> None:
    assert frame.locator(f"{CONTENT}").get_attribute("data-naap-state") == "mounted"
    assert frame.locator(f"{CONTENT} h1").inner_text() == "Steady page"
    assert frame.locator(f"{CONTENT} .steady").inner_text() == "rendered, effects ran"


@pytest.mark.parametrize(
    ("bomb", "component", "mount_body", "message"),
    [
        ("effect-bomb", EFFECT_BOMB, "", "effect-bomb effect went off"),
        ("render-bomb", RENDER_BOMB, "", "render-bomb render went off"),
        (
            "mount-bomb",
            MOUNT_BOMB,
            "if (!window.__fixed) throw new Error('mount-bomb mount went off');",
            "mount-bomb mount went off",
        ),
    ],
)
def test_a_failing_headless_plugin_shows_its_error_and_the_routed_plugin_renders(
    page, person, bomb, component, mount_body, message
):
    publish_react("steady-page", STEADY)
    publish_react(bomb, component, headless=True, mount_body=mount_body)
    # Mounted after the failing one (names in order): it must render and run its effects too.
    publish_react("quiet-helper", HELPER, headless=True)
    install(person, "steady-page", bomb, "quiet-helper")

    frame = open_shell(page, "/shell/plugins/steady-page")

    wait_for_state(frame, CONTENT, "mounted")
    bomb_host = headless_host(frame, bomb)
    wait_for_headless(frame, bomb, "error")
    wait_for_headless(frame, "quiet-helper", "mounted")
    # The failed headless plugin's host becomes visible, names it and offers Retry.
    assert bomb_host.is_visible()
    assert message in bomb_host.locator(".naap-host__error-message").inner_text()
    title = bomb_host.locator(".naap-host__error-title").inner_text()
    assert title.startswith(bomb.replace("-", " ").title())
    assert headless_host(frame, "quiet-helper").is_hidden()
    assert frame.locator(".helper-ready").count() == 1
    assert frame.evaluate("() => window.__helperReady") is True
    page.wait_for_timeout(300)
    assert_steady(frame)

    frame.evaluate("() => { window.__fixed = true; }")
    bomb_host.locator(".naap-host__retry").click()
    wait_for_headless(frame, bomb, "mounted")
    assert bomb_host.is_hidden()
    assert_steady(frame)


def test_a_routed_plugin_whose_render_throws_shows_retry_not_mounted_over_an_empty_pane(
    page, person
):
    publish_react("render-bomb", RENDER_BOMB)
    publish_react("quiet-helper", HELPER, headless=True)
    install(person, "render-bomb", "quiet-helper")

    frame = open_shell(page, "/shell/plugins/render-bomb")

    wait_for_state(frame, CONTENT, "error")
    assert frame.locator(f"{CONTENT} .naap-host__error-title").inner_text() == (
        "Render Bomb stopped working"
    )
    assert "render-bomb render went off" in frame.locator(f"{CONTENT}").inner_text()
    wait_for_headless(frame, "quiet-helper", "mounted")
    assert frame.locator(".helper-ready").count() == 1

    frame.evaluate("() => { window.__fixed = true; }")
    frame.click(f"{CONTENT} .naap-host__retry")
    wait_for_state(frame, CONTENT, "mounted")
    assert frame.locator(f"{CONTENT} h1").inner_text() == "Mended render-bomb"
    assert frame.locator(".helper-ready").count() == 1


@pytest.mark.parametrize(
    ("button", "message"),
    [
        ("late-timer", "late-bomb timer went off"),
        ("late-promise", "late-bomb promise went off"),
        ("late-render", "late-bomb render string went off"),
    ],
)
def test_an_error_a_plugin_raises_later_is_shown_in_its_own_host_only(
    page, person, button, message
):
    publish_react("late-bomb", LATE_BOMB)
    publish_react("quiet-helper", HELPER, headless=True)
    install(person, "late-bomb", "quiet-helper")

    frame = open_shell(page, "/shell/plugins/late-bomb")
    wait_for_state(frame, CONTENT, "mounted")
    wait_for_headless(frame, "quiet-helper", "mounted")

    frame.click(f"{CONTENT} .{button}")

    wait_for_state(frame, CONTENT, "error")
    assert message in frame.locator(f"{CONTENT} .naap-host__error-message").inner_text()
    assert frame.locator(".helper-ready").count() == 1
    helper = frame.locator('.naap-shell__headless[data-plugin="quiet-helper"]')
    assert helper.get_attribute("data-naap-state") == "mounted"

    frame.click(f"{CONTENT} .naap-host__retry")
    wait_for_state(frame, CONTENT, "mounted")
    assert frame.locator(f"{CONTENT} h1").inner_text() == "Late late-bomb"


def test_mounts_started_in_one_task_each_get_their_own_and_a_throwing_effect_drops_nothing(
    page, react_files
):
    """React 18 drops a root's render when another root's pending effect throws first: the
    runtime mounts one plugin per task, so the steady page still renders and runs its
    effects even when both mounts are asked for in the same task, the failing one first."""
    from registry.selectors import production_manifest

    steady = publish_react("steady-page", STEADY)
    bomb = publish_react("effect-bomb", EFFECT_BOMB, headless=True)
    frame = open_preview(page, steady)
    wait_for_state(frame, "#naap-preview-host", "mounted")
    frame.click("#naap-preview-unmount")

    states = shell(
        frame,
        """
        const hosts = ["bomb-host", "steady-host"].map((id) => {
          const host = document.createElement("div");
          host.id = id;
          document.body.append(host);
          return host;
        });
        await Promise.all(arg.map((manifest) => shell.loadPlugin(manifest)));
        const results = await Promise.all(
          arg.map((manifest, index) => shell.mountPlugin(hosts[index], manifest)));
        return results.map((result) => result.state);
        """,
        [production_manifest(bomb), production_manifest(steady)],
    )

    assert states == ["error", "mounted"]
    assert "effect-bomb effect went off" in frame.locator("#bomb-host").inner_text()
    assert frame.locator("#steady-host h1").inner_text() == "Steady page"
    assert frame.locator("#steady-host .steady").inner_text() == "rendered, effects ran"
