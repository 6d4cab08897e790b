"""The sandboxed context plugins get (the SDK's ShellContext): shape, freezing, routes, events,
requests between plugins, api scope."""

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


def test_the_context_has_the_sdks_shape_and_is_frozen_all_the_way_down(page, settings):
    settings.NAAP_SHELL_VERSION = "1.4.2"
    frame, context = mounted_probe(page)

    facts = frame.evaluate(
        f"""async () => {{
          'use strict';
          const context = {context};
          const attempt = (change) => {{
            try {{ change(); return 'changed'; }} catch (error) {{ return error.name; }}
          }};
          const members = {{
            auth: ['getUser', 'getToken', 'hasRole', 'hasPermission', 'isAuthenticated',
                   'onAuthStateChange'],
            eventBus: ['emit', 'on', 'off', 'once', 'request', 'handleRequest'],
            theme: ['toggle', 'setMode', 'onChange'],
            notifications: ['success', 'error', 'info', 'warning', 'dismiss', 'dismissAll'],
            logger: ['debug', 'info', 'warn', 'error', 'child'],
            permissions: ['can', 'getPermissions', 'require'],
            integrations: ['isConfigured', 'getAvailable'],
            capabilities: ['has', 'info', 'getAll', 'hasAll', 'hasAny'],
            api: ['get', 'post', 'put', 'patch', 'delete', 'fetch'],
            tenant: ['listInstallations', 'getInstallation', 'getInstallationByPlugin',
                     'install', 'uninstall', 'updatePreferences', 'getConfig', 'updateConfig',
                     'hasPlugin'],
            team: ['setCurrentTeam', 'hasTeamPermission', 'refreshTeam'],
            storage: ['get', 'set', 'remove'],
          }};
          const missing = [];
          for (const [service, names] of Object.entries(members)) {{
            for (const name of names) {{
              if (typeof context[service][name] !== 'function') missing.push(service + '.' + name);
            }}
          }}
          const token = await context.auth.getToken().then(() => 'token', (e) => [e.name, e.code]);
          return {{
            missing,
            navigate: typeof context.navigate,
            frozen: [context, context.auth, context.api, context.storage, context.eventBus,
                     context.notifications, context.theme, context.permissions, context.team,
                     context.tenant, context.integrations.ai, context.capabilities,
                     context.logger.child({{part: 'x'}}), context.user].every(Object.isFrozen),
            replaced: attempt(() => {{ context.storage = {{}}; }}),
            renamed: attempt(() => {{ context.user.username = 'root'; }}),
            patched: attempt(() => {{ context.auth.getUser = () => ({{id: 1}}); }}),
            user: context.user,
            getUser: context.auth.getUser(),
            authenticated: context.auth.isAuthenticated(),
            token,
            team: [context.team.currentTeam, context.team.isTeamContext, context.team.memberRole],
            facts: [context.pluginName, context.version, context.shellVersion,
                    context.pluginVersion, context.pluginBasePath],
          }};
        }}"""
    )

    assert facts["missing"] == []
    assert facts["navigate"] == "function"
    assert facts["frozen"] is True
    assert facts["replaced"] == facts["renamed"] == facts["patched"] == "TypeError"
    assert facts["user"]["isAuthenticated"] is False
    assert facts["user"]["displayName"] == "Guest"
    assert facts["getUser"] is None  # a guest on a public preview
    assert facts["authenticated"] is False
    # Previews run without the person's credentials: no token, and a clear error saying so.
    assert facts["token"] == ["ShellServiceError", "NO_TOKEN"]
    assert facts["team"] == [None, False, None]
    # version is the shell's (settings.NAAP_SHELL_VERSION); the plugin's is pluginVersion.
    assert facts["facts"] == [
        "probe-ctx",
        settings.NAAP_SHELL_VERSION,
        settings.NAAP_SHELL_VERSION,
        "1.0.0",
        "/plugins/probe-ctx",
    ]


def mount_beside(frame, name: str, **manifest_overrides) -> str:
    """Publish another probe and mount it in the same frame; its context's JS expression."""
    from registry.models import PluginVersion
    from registry.selectors import production_manifest

    publish_probe(name, **manifest_overrides)
    manifest = production_manifest(PluginVersion.objects.get(package__name=name))
    shell(
        frame,
        "const host = document.createElement('div'); host.id = 'host-' + arg.name;"
        "document.body.append(host); await shell.mountPlugin(host, arg);",
        manifest,
    )
    return f"window.__probes['{name}@1.0.0']"


def test_the_event_bus_carries_the_sender_and_guards_the_shells_and_others_names(page):
    frame, sender = mounted_probe(page, "probe-sender")
    listener = mount_beside(frame, "probe-listener")

    result = frame.evaluate(
        f"""async () => {{
          const shell = await import('/static/naap/shell.js');
          const heard = [];
          const record = (payload, meta) => heard.push([meta.event, meta.sender, payload]);
          for (const event of ['plugin:probe-sender:saved', 'shell:hello', 'dashboard:updated',
                               'theme:change', 'auth:logout']) {{
            {listener}.eventBus.on(event, record);
          }}
          const sent = {sender}.eventBus.emit('saved', {{id: 7}});
          const global = {sender}.eventBus.emit('dashboard:updated', {{rows: 3}});
          const spoofShell = {sender}.eventBus.emit('shell:hello', {{}});
          const spoofTheme = {sender}.eventBus.emit('theme:change', {{mode: 'dark'}});
          const spoofAuth = {sender}.eventBus.emit('auth:logout', {{}});
          const spoofOther = {listener}.eventBus.emit('plugin:probe-sender:saved', {{id: 666}});
          shell.emitShellEvent('hello', {{from: 'shell'}});
          return {{sent, global, spoofShell, spoofTheme, spoofAuth, spoofOther, heard,
                   frozen: Object.isFrozen(heard[0][2]) && Object.isFrozen(heard[1][2])}};
        }}"""
    )

    assert result["sent"] is True and result["global"] is True
    assert [result["spoofShell"], result["spoofTheme"], result["spoofAuth"]] == [False] * 3
    assert result["spoofOther"] is False
    assert result["heard"] == [
        ["plugin:probe-sender:saved", "probe-sender", {"id": 7}],
        ["dashboard:updated", "probe-sender", {"rows": 3}],
        ["shell:hello", "shell", {"from": "shell"}],
    ]
    assert result["frozen"] is True


def test_once_and_off(page):
    frame, context = mounted_probe(page, "probe-once")

    result = frame.evaluate(
        f"""() => {{
          const bus = {context}.eventBus;
          const seen = [];
          bus.once('ping', (payload) => seen.push(['once', payload.n]));
          const handler = (payload) => seen.push(['on', payload.n]);
          bus.on('ping', handler);
          bus.emit('ping', {{n: 1}});
          bus.emit('ping', {{n: 2}});
          bus.off('ping', handler);
          const cancelled = (payload) => seen.push(['cancelled', payload.n]);
          bus.once('ping', cancelled);
          bus.off('ping', cancelled);
          bus.emit('ping', {{n: 3}});
          return seen;
        }}"""
    )

    assert result == [["once", 1], ["on", 1], ["on", 2]]


def test_request_and_handle_request_between_plugins(page):
    frame, asker = mounted_probe(page, "probe-asker")
    answerer = mount_beside(frame, "probe-answerer")

    result = frame.evaluate(
        f"""async () => {{
          const shell = await import('/static/naap/shell.js');
          const ask = {asker}.eventBus;
          const code = (promise) => promise.then((value) => ['ok', value],
            (error) => [error.name, error.code, error.event, error.message]);
          const seen = [];
          const stop = {answerer}.eventBus.handleRequest('dashboard:query', async (data, meta) => {{
            seen.push([meta.sender, meta.event, Object.isFrozen(data)]);
            return {{data: {{echo: data.query}}}};
          }});
          const bus = {answerer}.eventBus;
          bus.handleRequest('dashboard:broken', () => {{ throw new Error('boom'); }});
          bus.handleRequest('dashboard:slow', () => new Promise(() => {{}}));
          const answered = await code({asker}.eventBus.request('dashboard:query', {{query: 'q'}}));
          const takeover = (() => {{
            try {{ ask.handleRequest('dashboard:query', () => 'mine'); return 'taken'; }}
            catch (error) {{ return error.message; }}
          }})();
          const shellName = (() => {{
            try {{ {asker}.eventBus.handleRequest('auth:get-token', () => 'x'); return 'taken'; }}
            catch (error) {{ return error.message; }}
          }})();
          const broken = await code({asker}.eventBus.request('dashboard:broken', {{}}));
          const slow = await code(ask.request('dashboard:slow', {{}}, {{timeout: 100}}));
          const none = await code({asker}.eventBus.request('dashboard:none', {{}}));
          // A provider that starts answering later is found by a retry.
          setTimeout(() => {{ bus.handleRequest('dashboard:late', () => 'late'); }}, 150);
          const late = await code({asker}.eventBus.request('dashboard:late', null,
            {{retries: 3, retryDelay: 100}}));
          stop();
          const stopped = await code({asker}.eventBus.request('dashboard:query', {{query: 'q'}}));
          const badOptions = await code(ask.request('dashboard:late', null, {{timeout: -1}}));
          // Unmounting the answering plugin drops its handlers.
          await shell.unmountPlugin(document.getElementById('host-probe-answerer'));
          const unmounted = await code({asker}.eventBus.request('dashboard:late'));
          return {{answered, seen, takeover, shellName, broken, slow, none, late, stopped,
                   badOptions, unmounted, isClass: typeof shell.EventRequestError}};
        }}"""
    )

    assert result["answered"] == ["ok", {"data": {"echo": "q"}}]
    assert result["seen"] == [["probe-asker", "dashboard:query", True]]
    assert result["takeover"] == (
        'probe-asker cannot answer "dashboard:query": probe-answerer already does.'
    )
    assert "may not answer" in result["shellName"]
    assert result["broken"][:3] == ["EventRequestError", "HANDLER_ERROR", "dashboard:broken"]
    assert (
        "probe-answerer failed to answer" in result["broken"][3] and "boom" in result["broken"][3]
    )
    assert result["slow"][:2] == ["EventRequestError", "TIMEOUT"]
    assert result["none"][:2] == ["EventRequestError", "NO_HANDLER"]
    assert result["late"] == ["ok", "late"]
    assert result["stopped"][1] == "NO_HANDLER"
    assert result["badOptions"][0] == "TypeError"
    assert result["unmounted"][1] == "NO_HANDLER"
    assert result["isClass"] == "function"


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
          // The SDK's IApiClient: (url, body?, options?), errors carry the HTTP status.
          const sdk = [];
          for (const call of [() => {context}.api.get('storage/x', {{cache: 'no-store'}}),
                              () => {context}.api.patch('storage/x', {{value: 1}}),
                              () => {context}.api.delete('/api/v1/tokens')]) {{
            sdk.push(await call().then(() => 'resolved', (e) => e.status || 'refused'));
          }}
          return {{results, own, sdk}};
        }}"""
    )

    assert outcomes["results"] == ["refused"] * 6
    assert outcomes["own"] in {401, 403}  # it reached the API (the preview visitor is anonymous)
    assert outcomes["sdk"][0] in {401, 403}
    assert outcomes["sdk"][1] in {401, 403, 405}
    assert outcomes["sdk"][2] == "refused"
