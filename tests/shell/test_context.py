"""The sandboxed context plugins get: routes, freezing, events, api scope, notifications."""

from __future__ import annotations

import pytest

from tests.shell.helpers import open_preview, publish_probe, shell, wait_for_state

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

HOST = "#naap-preview-host"


def mounted_probe(page, name: str = "probe-ctx", **manifest_overrides):
    """The preview's sandboxed frame with the probe mounted, and its context's JS expression."""
    frame = open_preview(page, publish_probe(name, **manifest_overrides))
    wait_for_state(frame, HOST, "mounted")
    return frame, f"window.__probes['{name}@1.0.0']"


def test_navigate_outside_the_plugins_routes_is_refused_with_a_warning(page):
    frame, context = mounted_probe(page)
    warnings: list[str] = []
    page.on(
        "console",
        lambda message: warnings.append(message.text) if message.type == "warning" else None,
    )

    refused = frame.evaluate(
        f"['/admin/', '/plugins/other', '//evil.example/x', 'relative']"
        f".map((path) => {context}.navigate(path))"
    )
    allowed = frame.evaluate(f"{context}.navigate('/plugins/probe-ctx/settings?tab=2')")

    assert refused == [False, False, False, False]
    assert any("outside the plugin's routes" in text and "/admin/" in text for text in warnings)
    assert allowed is True
    assert frame.locator("#naap-preview-route").inner_text() == "/plugins/probe-ctx/settings?tab=2"


def test_the_context_is_frozen_and_carries_no_token(page):
    frame, context = mounted_probe(page)

    facts = frame.evaluate(
        f"""() => {{
          'use strict';
          const context = {context};
          const attempt = (change) => {{
            try {{ change(); return 'changed'; }} catch (error) {{ return error.name; }}
          }};
          const replaced = attempt(() => {{ context.storage = {{}}; }});
          const renamed = attempt(() => {{ context.auth.username = 'root'; }});
          return {{
            frozen: [context, context.auth, context.api, context.storage, context.eventBus,
                     context.notifications, context.theme].every(Object.isFrozen),
            replaced, renamed,
            auth: context.auth,
            sameUser: context.user === context.auth,
            fields: [context.pluginName, context.version, context.shellVersion,
                     context.pluginBasePath],
          }};
        }}"""
    )

    assert facts["frozen"] is True
    assert facts["replaced"] == "TypeError"
    assert facts["renamed"] == "TypeError"
    assert facts["auth"] == {
        "id": None,
        "username": "",
        "displayName": "Guest",
        "isAuthenticated": False,
    }
    assert facts["sameUser"] is True
    assert facts["fields"] == ["probe-ctx", "1.0.0", "1.0.0", "/plugins/probe-ctx"]


def test_the_event_bus_is_namespaced_and_the_shell_channel_is_read_only(page):
    frame, sender = mounted_probe(page, "probe-sender")
    publish_probe("probe-listener")
    from registry.models import PluginVersion
    from registry.selectors import production_manifest

    listener_manifest = production_manifest(
        PluginVersion.objects.get(package__name="probe-listener")
    )
    shell(
        frame,
        "const host = document.createElement('div'); document.body.append(host);"
        "await shell.mountPlugin(host, arg);",
        listener_manifest,
    )
    listener = "window.__probes['probe-listener@1.0.0']"

    result = frame.evaluate(
        f"""async () => {{
          const shell = await import('/static/naap/shell.js');
          const heard = [];
          const record = (payload, event) => heard.push([event, payload]);
          {listener}.eventBus.on('plugin:probe-sender:saved', record);
          {listener}.eventBus.on('shell:hello', record);
          const sent = {sender}.eventBus.emit('saved', {{id: 7}});
          const spoofShell = {sender}.eventBus.emit('shell:hello', {{}});
          const spoofOther = {listener}.eventBus.emit('plugin:probe-sender:saved', {{id: 666}});
          shell.emitShellEvent('hello', {{from: 'shell'}});
          return {{sent, spoofShell, spoofOther, heard, frozen: Object.isFrozen(heard[0][1])}};
        }}"""
    )

    assert result["sent"] is True
    assert result["spoofShell"] is False
    assert result["spoofOther"] is False
    assert result["heard"] == [
        ["plugin:probe-sender:saved", {"id": 7}],
        ["shell:hello", {"from": "shell"}],
    ]
    assert result["frozen"] is True


def test_api_calls_are_limited_to_the_plugins_own_api(page):
    frame, context = mounted_probe(page, "probe-api")

    outcomes = frame.evaluate(
        f"""async () => {{
          const tries = ['/api/v1/plugins/other/storage/x', '/api/v1/tokens',
            'https://example.com/api/v1/plugins/probe-api/x',
            '/api/v1/plugins/probe-api/../other/storage/x',
            '/api/v1/plugins/probe-api/%2e%2e/other/storage/x',
            '/api/v1/plugins/probe-api/storage%2F..%2F..%2Fother/x'];
          const results = [];
          for (const path of tries) {{
            results.push(await {context}.api.fetch(path).then((r) => 'sent', (e) => 'refused'));
          }}
          const own = await {context}.api.fetch('storage/x').then((r) => r.status);
          return {{results, own}};
        }}"""
    )

    assert outcomes["results"] == ["refused"] * 6
    assert outcomes["own"] in {401, 403}  # it reached the API (the preview visitor is anonymous)


def test_notifications_are_rendered_by_the_shell(page):
    frame, context = mounted_probe(page, "probe-notify")

    frame.evaluate(f"{context}.notifications.success('Saved <b>everything</b>')")
    frame.evaluate(f"{context}.notifications.error('Could not save')")

    toasts = frame.locator("#naap-notifications .naap-toast")
    assert toasts.count() == 2
    assert toasts.nth(0).get_attribute("class") == "naap-toast naap-toast--success"
    assert "Saved <b>everything</b>" in toasts.nth(0).inner_text()  # text, never HTML
    assert toasts.nth(1).get_attribute("role") == "alert"


def test_the_theme_is_readable_and_reports_changes(page):
    frame, context = mounted_probe(page, "probe-theme")

    result = frame.evaluate(
        f"""async () => {{
          const shell = await import('/static/naap/shell.js');
          const seen = [];
          const before = {context}.theme.mode;
          {context}.theme.onChange((theme) => seen.push(theme.mode));
          shell.setTheme('dark');
          return {{before, after: {context}.theme.mode, seen,
                   accent: {context}.theme.colors.accent,
                   html: document.documentElement.dataset.naapTheme}};
        }}"""
    )

    assert result == {
        "before": "light",
        "after": "dark",
        "seen": ["dark"],
        "accent": "#7fb0ff",
        "html": "dark",
    }
