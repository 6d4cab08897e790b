"""The demo shell at /shell/: its sandboxed frame boots from the installed plugins, routes
and recovers; the runtime's own bootstrap caches and starts offline."""

from __future__ import annotations

import pytest

from installs.models import PluginStorageEntry
from installs.services import install_plugin
from registry.names import global_name_for
from tests.factories import make_user
from tests.shell.helpers import (
    open_shell,
    probe_bundle,
    publish_example,
    publish_probe,
    shell,
    sign_in,
    wait_for_state,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTENT = "#naap-shell-content"


@pytest.fixture
def person(browser_context, live_server):
    user = make_user("ada")
    user.first_name, user.last_name = "Ada", "Lovelace"
    user.save()
    sign_in(browser_context, live_server, user)
    return user


def install(user, *names: str) -> None:
    for name in names:
        install_plugin(actor=user, name=name, team_id=None, config=None)


def test_the_shell_boots_from_the_installed_plugins_and_routes_between_them(page, person, tmp_path):
    hello = publish_example("hello-world", tmp_path)
    notes = publish_example("theme-notes", tmp_path)
    install(person, "hello-world", "theme-notes")

    frame = open_shell(page, "/shell/plugins/hello-world")

    wait_for_state(frame, CONTENT, "mounted")
    assert frame.locator(f"{CONTENT} h2").inner_text() == "Hello, Ada Lovelace!"
    links = frame.locator(".naap-shell__nav-link")
    assert links.all_inner_texts() == ["Hello", "Notes"]
    assert links.nth(0).get_attribute("aria-current") == "page"
    # Only the routed plugin is fetched ahead; theme-notes loads when it is opened.
    preloads = frame.locator('link[rel="preload"][as="script"]')
    assert preloads.evaluate_all("links => links.map(l => l.integrity)") == [hello.bundle_integrity]
    assert frame.locator(f'script[integrity="{notes.bundle_integrity}"]').count() == 0
    assert set(preloads.evaluate_all("links => links.map(l => l.crossOrigin)")) == {"anonymous"}

    frame.click("text=Notes")
    page.wait_for_url("**/shell/plugins/theme-notes")  # the address bar follows the frame
    wait_for_state(frame, CONTENT, "mounted")
    frame.fill(".theme-notes__input", "Buy milk")
    frame.click(".theme-notes__add")
    frame.wait_for_function("() => document.querySelector('.theme-notes__note') !== null")
    page.wait_for_timeout(300)  # the save is fire-and-forget in the plugin
    entry = PluginStorageEntry.objects.get(package__name="theme-notes", user=person)
    assert entry.value == ["Buy milk"]

    page.go_back()
    page.wait_for_url("**/shell/plugins/hello-world")
    wait_for_state(frame, CONTENT, "mounted")
    assert frame.locator('link[data-naap-styles^="theme-notes"]').count() == 0

    frame = open_shell(page, "/shell/plugins/theme-notes")
    wait_for_state(frame, CONTENT, "mounted")
    frame.wait_for_selector(".theme-notes__note")
    assert frame.locator(".theme-notes__note").first.inner_text().startswith("Buy milk")
    assert page.page_errors == []


def test_a_missing_global_shows_the_error_and_retry_recovers_once_it_is_fixed(page, person):
    broken = b"if (false) { var NaapPluginGhost = { mount: function () {} }; }\n"
    publish_probe("ghost", "1.0.0", bundle=broken)
    install(person, "ghost")

    frame = open_shell(page, "/shell/plugins/ghost")

    wait_for_state(frame, CONTENT, "error")
    message = frame.locator(f"{CONTENT} .naap-host__error-message").inner_text()
    assert message == "ghost@1.0.0: the bundle ran but did not define window.NaapPluginGhost."

    publish_probe("ghost", "1.0.1", bundle=probe_bundle("ghost", "1.0.1"))  # the fix
    frame.click(f"{CONTENT} button:has-text('Retry')")

    wait_for_state(frame, CONTENT, "mounted")
    assert frame.locator(f"{CONTENT} .probe").inner_text() == "Probe ghost@1.0.1"


def test_a_plugin_cannot_read_another_plugins_storage(page, person):
    publish_probe("plugin-a")
    publish_probe("plugin-b")
    install(person, "plugin-a", "plugin-b")
    frame = open_shell(page, "/shell/plugins/plugin-b")
    wait_for_state(frame, CONTENT, "mounted")
    frame.evaluate("window.__probes['plugin-b@1.0.0'].storage.set('secret', {pin: 1234})")
    frame.click("text=plugin-a")
    wait_for_state(frame, CONTENT, "mounted")

    seen = frame.evaluate(
        """async () => {
          const a = window.__probes['plugin-a@1.0.0'];
          return {
            own: await a.storage.get('secret'),
            direct: await a.api.fetch('/api/v1/plugins/plugin-b/storage/secret')
              .then(() => 'read', () => 'refused'),
            sneaky: await a.api.fetch('storage/../../plugin-b/storage/secret')
              .then(() => 'read', () => 'refused'),
          };
        }"""
    )

    assert seen == {"own": None, "direct": "refused", "sneaky": "refused"}
    assert PluginStorageEntry.objects.get(package__name="plugin-b", user=person).value == {
        "pin": 1234
    }
    assert not PluginStorageEntry.objects.filter(package__name="plugin-a").exists()


BOOT_RUNTIME = """
    const add = (id) => document.body.appendChild(Object.assign(document.createElement("div"),
      {id}));
    await shell.bootShell({
      bootstrapUrl: "/api/v1/plugins/installed",
      nav: add("boot-nav"), content: add("boot-content"), status: add("boot-status"),
    });
    """


def test_the_runtime_starts_from_cached_plugins_when_the_registry_is_unreachable(page, person):
    # The runtime as another NaaP shell uses it, on its own origin with the person's session
    # (the demo shell's frame gets its plugins inline instead).
    publish_probe("probe-offline")
    install(person, "probe-offline")
    page.goto("/me/plugins/")
    shell(page, BOOT_RUNTIME)
    assert page.locator("#boot-status").inner_text() == ""
    page.route("**/api/v1/plugins/installed*", lambda route: route.abort("internetdisconnected"))
    page.reload()

    shell(page, BOOT_RUNTIME)

    assert page.locator(".naap-shell__nav-link").all_inner_texts() == ["probe-offline"]
    assert page.locator("#boot-status").inner_text().startswith("Offline")


def test_the_runtime_asks_for_the_versions_its_shell_version_can_run(page, person):
    # 2.0.0 is deployed but needs a 2.x shell: a 1.x shell is given 1.0.0 instead.
    publish_probe("probe-ranged", "1.0.0", shell={"minVersion": "1.0.0", "maxVersion": "1.x"})
    publish_probe("probe-ranged", "2.0.0", shell={"minVersion": "2.0.0", "maxVersion": "2.x"})
    install(person, "probe-ranged")
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/plugins/installed" in r.url else None)
    page.goto("/me/plugins/")

    versions = shell(
        page,
        """
        const add = (id) => document.body.appendChild(Object.assign(document.createElement("div"),
          {id}));
        const booted = await shell.bootShell({
          bootstrapUrl: "/api/v1/plugins/installed", shellVersion: arg,
          nav: add("boot-nav"), content: add("boot-content"), status: add("boot-status"),
        });
        return booted.plugins.map((plugin) => plugin.manifest.version);
        """,
        "1.5.0",
    )

    assert versions == ["1.0.0"]
    assert [url.split("?", 1)[1] for url in asked] == ["shellVersion=1.5.0"]


def test_manifests_are_cached_in_indexeddb_and_revalidated_with_their_etag(page, person):
    publish_probe("probe-manifest")
    page.goto("/me/plugins/")
    responses: list[tuple[int, str | None]] = []
    page.on(
        "response",
        lambda response: (
            responses.append((response.status, response.request.headers.get("if-none-match")))
            if "/manifest" in response.url
            else None
        ),
    )

    result = shell(
        page,
        """
        const fetch = (options) => shell.fetchManifest('probe-manifest', '1.0.0', options);
        const first = await fetch();
        const cached = await fetch();
        const revalidated = await fetch({revalidate: true});
        return [first.version, cached.bundleHash === first.bundleHash, revalidated.name];
        """,
    )
    page.context.set_offline(True)
    offline = shell(
        page,
        "return (await shell.fetchManifest('probe-manifest', '1.0.0', {revalidate: true})).name",
    )
    page.context.set_offline(False)

    assert result == ["1.0.0", True, "probe-manifest"]
    assert offline == "probe-manifest"
    assert [status for status, _ in responses] == [200, 304]
    assert responses[0][1] is None and responses[1][1]  # the second carried If-None-Match


def test_the_react_example_mounts_with_the_shells_react(page, person, tmp_path, react_files):
    publish_example("react-counter", tmp_path)
    publish_example("hello-world", tmp_path)
    install(person, "react-counter", "hello-world")
    react_requests: list[str] = []
    page.on(
        "request",
        lambda request: react_requests.append(request.url) if "react" in request.url else None,
    )

    frame = open_shell(page, "/shell/plugins/hello-world")
    wait_for_state(frame, CONTENT, "mounted")
    assert frame.evaluate("typeof window.React") == "undefined"  # not needed yet

    frame.click("text=Counter")
    wait_for_state(frame, CONTENT, "mounted")
    frame.click(f"{CONTENT} button:has-text('+1')")
    frame.click(f"{CONTENT} button:has-text('+1')")

    assert frame.locator(f"{CONTENT} output").inner_text() == "2"
    assert frame.locator(f"{CONTENT} h2").inner_text() == "Clicks by Ada Lovelace"
    assert frame.evaluate("window.React.version").startswith("18.")
    vendor = [url for url in react_requests if "/static/vendor/react/" in url]
    assert {url.rsplit("/", 1)[1] for url in vendor} == {
        "react.production.min.js",
        "react-dom.production.min.js",
    }
    assert all(url.startswith(page.url.split("/shell/")[0]) for url in react_requests)
    assert page.page_errors == []


def init_bundle(name: str, init: str) -> bytes:
    """A plugin exporting the SDK's optional `init(context)` besides `mount`."""
    return (
        f"var {global_name_for(name)} = {{\n"
        f"  init: function (context) {{ {init} }},\n"
        "  mount: function (container, context) {\n"
        "    window.__steps = (window.__steps || []).concat(['mount ' + context.pluginName]);\n"
        "    var text = document.createElement('p');\n"
        "    text.className = 'init-probe';\n"
        "    text.textContent = 'Ready';\n"
        "    container.appendChild(text);\n"
        "  }\n"
        "};\n"
    ).encode()


def test_a_plugins_init_runs_before_mount_and_a_failing_init_keeps_mount_from_running(page, person):
    waits = (
        "return new Promise(function (resolve) { setTimeout(function () {"
        " window.__steps = (window.__steps || []).concat(['init ' + context.pluginName]);"
        " resolve(); }, 50); });"
    )
    publish_probe("init-probe", bundle=init_bundle("init-probe", waits))
    refuses = "return Promise.reject(new Error('no connection to the node'));"
    publish_probe("init-refused", bundle=init_bundle("init-refused", refuses))
    install(person, "init-probe", "init-refused")

    frame = open_shell(page, "/shell/plugins/init-probe")
    wait_for_state(frame, CONTENT, "mounted")
    assert frame.evaluate("window.__steps") == ["init init-probe", "mount init-probe"]

    frame.click("text=init-refused")
    wait_for_state(frame, CONTENT, "error")
    assert "no connection to the node" in frame.locator(CONTENT).inner_text()
    assert frame.evaluate("window.__steps") == ["init init-probe", "mount init-probe"]
