"""The Content-Security-Policy in a real browser: injected scripts are blocked, our pages,
the admin and the API docs work under it."""

from __future__ import annotations

import pytest

from tests.factories import make_user
from tests.shell.helpers import (
    open_preview,
    probe_bundle,
    publish_probe,
    sign_in,
    wait_for_state,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LISTEN = """() => {
  window.__violations = [];
  document.addEventListener('securitypolicyviolation', (event) => {
    window.__violations.push({directive: event.effectiveDirective, blocked: event.blockedURI});
  });
}"""


def violations(page) -> list[dict]:
    return page.evaluate("window.__violations")


def test_an_injected_inline_script_is_blocked(page):
    page.add_init_script(f"({LISTEN})()")
    frame = open_preview(page, publish_probe("probe-csp"))
    wait_for_state(frame, "#naap-preview-host", "mounted")
    assert violations(frame) == []  # the page's own nonce'd module ran

    frame.evaluate(
        """() => {
          const script = document.createElement('script');
          script.textContent = 'window.__injected = true;';
          document.body.append(script);
          const holder = document.createElement('div');
          holder.innerHTML = '<img src="x" onerror="window.__injected = true">';
          document.body.append(holder);
        }"""
    )
    frame.wait_for_function("() => window.__violations.length >= 2")

    assert frame.evaluate("window.__injected") is None
    assert {item["directive"] for item in violations(frame)} == {
        "script-src-elem",
        "script-src-attr",
    }
    assert {item["blocked"] for item in violations(frame)} == {"inline"}


def test_a_plugin_cannot_eval(page):
    body = (
        "try { window.__evalResult = String(new Function('return 1')()); }"
        " catch (error) { window.__evalResult = error.name; }"
    )
    page.add_init_script(f"({LISTEN})()")
    frame = open_preview(
        page, publish_probe("probe-eval", bundle=probe_bundle("probe-eval", body=body))
    )
    wait_for_state(frame, "#naap-preview-host", "mounted")

    assert frame.evaluate("window.__evalResult") == "EvalError"
    assert [item["directive"] for item in violations(frame)] == ["script-src"]
    assert violations(frame)[0]["blocked"] == "eval"


def test_the_admin_works_under_the_policy(page, browser_context, live_server):
    sign_in(browser_context, live_server, make_user("root", staff=True))
    page.add_init_script(f"({LISTEN})()")

    for path in ["/admin/", "/admin/registry/pluginpackage/", "/admin/auth/user/add/"]:
        response = page.goto(path)
        assert response.status == 200, path
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("load")
        assert violations(page) == [], path
    assert page.page_errors == []


def test_the_sign_in_page_works_under_the_policy(page):
    page.add_init_script(f"({LISTEN})()")
    page.goto("/accounts/login/")
    page.wait_for_load_state("load")
    assert violations(page) == []


def test_the_api_docs_page_runs_swagger_ui_under_its_own_policy(page):
    # Swagger UI's files are our own static files (drf-spectacular-sidecar): the real UI runs.
    page.add_init_script(f"({LISTEN})()")

    response = page.goto("/api/v1/docs/")

    page.locator(".swagger-ui .info .title").wait_for()
    assert "NaaP Plugin Marketplace API" in page.locator(".swagger-ui .info .title").inner_text()
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "'unsafe-eval'" not in policy
    assert violations(page) == []
