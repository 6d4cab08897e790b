"""The loader and host in a real Chromium: mounting, caching, integrity, errors, cleanup."""

from __future__ import annotations

import pytest

from tests.factories import make_publisher, make_user
from tests.shell.helpers import (
    open_preview,
    publish_example,
    publish_probe,
    shell,
    sign_in,
    wait_for_state,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOST = "#naap-preview-host"


def test_a_published_plugin_mounts_and_renders_on_its_preview_page(page, tmp_path):
    version = publish_example("hello-world", tmp_path)

    frame = open_preview(page, version)

    wait_for_state(frame, HOST, "mounted")
    assert frame.locator(f"{HOST} h2").inner_text() == "Hello, Guest!"
    script = frame.locator('script[data-naap-plugin="hello-world@1.0.0"]')
    assert script.get_attribute("integrity") == version.bundle_integrity
    assert script.get_attribute("crossorigin") == "anonymous"
    assert page.page_errors == []


def manifest_of(version) -> dict:
    from registry.selectors import production_manifest

    return production_manifest(version)


def requests_to(page, url_part: str) -> list[str]:
    seen: list[str] = []
    page.on(
        "request", lambda request: seen.append(request.url) if url_part in request.url else None
    )
    return seen


def add_host(page, host_id: str) -> str:
    page.evaluate(
        "(id) => { const host = document.createElement('div'); host.id = id;"
        " document.body.append(host); }",
        host_id,
    )
    return f"#{host_id}"


def test_a_version_in_review_mounts_on_its_preview_page_from_a_temporary_url(
    page, browser_context, live_server
):
    maker = make_user("maker")
    version = publish_probe(
        "probe-review", actor=maker, publisher=make_publisher(owner=maker, verified=False)
    )
    assert version.bundle_key.startswith("review/")
    sign_in(browser_context, live_server, make_user("moderator", staff=True))
    bundle_requests = requests_to(page, f"/cdn/{version.bundle_key}")

    frame = open_preview(page, version)

    wait_for_state(frame, HOST, "mounted")
    assert frame.locator(f"{HOST} .probe").inner_text() == "Probe probe-review@1.0.0"
    assert len(bundle_requests) == 1 and "signature=" in bundle_requests[0]
    # The same file at its plain URL is refused: only the signed one serves it.
    assert page.request.get(version.bundle_url).status == 404
    assert page.page_errors == []


def test_loading_the_same_version_again_makes_no_second_request(page):
    first = publish_probe("probe-cache", "1.0.0")
    second = publish_probe("probe-cache", "1.1.0")
    first_requests = requests_to(page, first.bundle_url)
    second_requests = requests_to(page, second.bundle_url)
    frame = open_preview(page, first)
    wait_for_state(frame, HOST, "mounted")

    same = shell(
        frame,
        "const again = await shell.loadPlugin(arg[0]);"
        "const [a, b] = await Promise.all([shell.loadPlugin(arg[1]), shell.loadPlugin(arg[1])]);"
        "const c = await shell.loadPlugin(arg[1]);"
        "return [again === await shell.loadPlugin(arg[0]), a === b && b === c];",
        [manifest_of(first), manifest_of(second)],
    )

    assert same == [True, True]
    assert len(first_requests) == 1
    assert len(second_requests) == 1  # two concurrent calls shared one load


def test_two_versions_of_one_plugin_keep_their_own_exports(page):
    old = publish_probe("probe-twin", "1.0.0")
    new = publish_probe("probe-twin", "2.0.0")
    frame = open_preview(page, old)
    wait_for_state(frame, HOST, "mounted")
    other = add_host(frame, "second-host")

    shell(
        frame,
        "await shell.mountPlugin(document.querySelector('#second-host'), arg)",
        manifest_of(new),
    )

    assert frame.locator(f"{HOST} .probe").inner_text() == "Probe probe-twin@1.0.0"
    assert frame.locator(f"{other} .probe").inner_text() == "Probe probe-twin@2.0.0"
    # Remounting the old version uses its own captured exports, not the global 2.0.0 left.
    frame.click("#naap-preview-unmount")
    frame.click("#naap-preview-mount")
    wait_for_state(frame, HOST, "mounted")
    assert frame.locator(f"{HOST} .probe").inner_text() == "Probe probe-twin@1.0.0"
    assert frame.evaluate("window.NaapPluginProbeTwin") is None


def test_a_bundle_changed_after_publishing_is_refused_by_sri(page, plugin_storage_in_tmp):
    version = publish_probe("probe-tampered")
    bundle_file = plugin_storage_in_tmp / version.bundle_key
    bundle_file.write_bytes(bundle_file.read_bytes().replace(b"Probe ", b"Pwned "))

    frame = open_preview(page, version)

    wait_for_state(frame, HOST, "error")
    message = frame.locator(f"{HOST} .naap-host__error-message").inner_text()
    assert "integrity check failed" in message
    assert version.bundle_integrity in message
    assert frame.locator(f"{HOST} button", has_text="Retry").is_visible()
    assert frame.evaluate("window.__probes") is None  # the tampered code never ran


def test_styles_apply_before_mount_and_leave_with_the_last_user(page):
    probe = (
        "var probe = document.createElement('p'); probe.className = 'probe';"
        " container.appendChild(probe);"
        " window.__colorAtMount = getComputedStyle(probe).color; probe.remove();"
    )
    from tests.shell.helpers import probe_bundle

    version = publish_probe(
        "probe-styled",
        bundle=probe_bundle("probe-styled", body=probe),
        styles=b".probe { color: rgb(1, 2, 3); }\n",
    )
    frame = open_preview(page, version)
    wait_for_state(frame, HOST, "mounted")
    assert frame.evaluate("window.__colorAtMount") == "rgb(1, 2, 3)"
    links = frame.locator('link[rel="stylesheet"][data-naap-styles="probe-styled@1.0.0"]')
    assert links.count() == 1
    # The copy scoped to the plugin's host (docs/shell-runtime.md, "Styles").
    assert links.get_attribute("integrity") == version.scoped_styles_integrity
    assert links.get_attribute("href").endswith(version.scoped_styles_key)
    assert links.get_attribute("crossorigin") == "anonymous"

    other = add_host(frame, "second-host")
    shell(
        frame,
        "await shell.mountPlugin(document.querySelector('#second-host'), arg)",
        manifest_of(version),
    )
    assert links.count() == 1  # shared, counted twice

    shell(frame, "await shell.unmountPlugin(document.querySelector('#second-host'))")
    assert links.count() == 1
    assert frame.evaluate("window.__cleanups") == ["probe-styled@1.0.0"]
    assert frame.locator(other).inner_html() == ""

    frame.click("#naap-preview-unmount")
    frame.wait_for_function(
        "() => document.querySelectorAll('link[data-naap-styles]').length === 0"
    )
    assert frame.evaluate("window.__cleanups") == ["probe-styled@1.0.0", "probe-styled@1.0.0"]
    assert frame.locator(f"{HOST} .probe").count() == 0


def test_a_plugin_throwing_in_mount_is_contained_in_its_host(page):
    from tests.shell.helpers import probe_bundle

    good = publish_probe("probe-good")
    bad = publish_probe(
        "probe-bad", bundle=probe_bundle("probe-bad", body="throw new Error('boom in mount');")
    )
    frame = open_preview(page, good)
    wait_for_state(frame, HOST, "mounted")
    other = add_host(frame, "second-host")

    result = shell(
        frame,
        "return (await shell.mountPlugin(document.querySelector('#second-host'), arg)).state",
        manifest_of(bad),
    )

    assert result == "error"
    wait_for_state(frame, other, "error")
    assert "boom in mount" in frame.locator(f"{other} .naap-host__error-message").inner_text()
    assert frame.locator(f"{HOST}[data-naap-state='mounted'] .probe").is_visible()


def test_network_failures_are_retried_with_backoff(page):
    version = publish_probe("probe-flaky")
    attempts: list[str] = []

    def flaky(route):
        attempts.append(route.request.url)
        if len(attempts) <= 2:
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route(f"**{version.bundle_url}", flaky)
    frame = open_preview(page, version)

    wait_for_state(frame, HOST, "mounted")
    assert len(attempts) >= 3


def test_a_bundle_that_never_arrives_times_out_into_the_error_state(page):
    version = publish_probe("probe-slow")
    frame = open_preview(page, publish_probe("probe-fast"))
    wait_for_state(frame, HOST, "mounted")
    page.route(f"**{version.bundle_url}", lambda route: None)  # never answered
    other = add_host(frame, "second-host")

    shell(
        frame,
        "await shell.mountPlugin(document.querySelector('#second-host'), arg,"
        " {timeoutMs: 300, retries: 1, backoffMs: 10})",
        manifest_of(version),
    )

    wait_for_state(frame, other, "error")
    assert (
        "did not load within 0.3 s"
        in frame.locator(f"{other} .naap-host__error-message").inner_text()
    )


def test_a_manifest_without_integrity_is_refused(page):
    version = publish_probe("probe-unsigned")
    frame = open_preview(page, publish_probe("probe-signed"))
    wait_for_state(frame, HOST, "mounted")
    manifest = manifest_of(version)
    manifest["integrity"] = {"bundle": None, "styles": None}

    error = shell(
        frame, "return shell.loadPlugin(arg).then(() => 'loaded', (e) => e.message)", manifest
    )

    assert error == (
        "probe-unsigned@1.0.0: the manifest has no integrity.bundle, "
        "so the bundle cannot be verified."
    )
