"""The context's services in Chromium: notifications, theme, logger, permissions,
integrations and capabilities (docs/shell-runtime.md, "createPluginContext")."""

from __future__ import annotations

import pytest

from tests.shell.test_context import mount_beside, mounted_probe

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_notifications_are_the_plugins_own_and_rendered_as_text(page):
    frame, first = mounted_probe(page, "probe-notify")
    second = mount_beside(frame, "probe-other")

    result = frame.evaluate(
        f"""async () => {{
          const ids = [
            {first}.notifications.success('Saved <b>everything</b>', {{id: 'save'}}),
            {first}.notifications.success('Saved again', {{id: 'save'}}),
            {first}.notifications.error('Could not sync', {{duration: 0}}),
            {second}.notifications.warning('Mine', {{id: 'save'}}),
          ];
          let clicked = 0;
          {first}.notifications.info('Undo?', {{id: 'undo', action: {{label: 'Undo',
            onClick: () => {{ clicked += 1; }}}}}});
          const texts = () => [...document.querySelectorAll('#naap-notifications .naap-toast')]
            .map((toast) => [toast.dataset.plugin,
                             toast.querySelector('.naap-toast__message').textContent]);
          const before = texts();
          document.querySelector('.naap-toast__action').click();
          const afterAction = texts();
          const dismissedOthers = {second}.notifications.dismiss(ids[2]);  // not its toast
          {first}.notifications.dismissAll();
          const afterAll = texts();
          // Upstream's way to ask the shell for a toast: an event, shown as the plugin's own.
          const viaEvent = {first}.eventBus.emit('notification:show',
            {{id: 'ev', type: 'success', message: 'From an event'}});
          const shown = texts().some(([, text]) => text === 'From an event');
          {first}.eventBus.emit('notification:dismiss', {{id: 'ev'}});
          const gone = !texts().some(([, text]) => text === 'From an event');
          return {{ids, before, clicked, afterAction, dismissedOthers, afterAll,
                   viaEvent, shown, gone,
                   roles: [...document.querySelectorAll('.naap-toast')]
                     .map((toast) => toast.getAttribute('role'))}};
        }}"""
    )

    assert result["ids"][0] == result["ids"][1] == "save"
    assert result["before"] == [
        ["Probe Notify", "Saved again"],  # the same id replaced the first toast
        ["Probe Notify", "Could not sync"],
        ["Probe Other", "Mine"],
        ["Probe Notify", "Undo?"],
    ]
    assert "<b>" not in result["before"][0][1]
    assert result["clicked"] == 1
    assert ["Probe Notify", "Undo?"] not in result["afterAction"]
    assert result["dismissedOthers"] is False
    assert result["afterAll"] == [["Probe Other", "Mine"]]  # only the caller's own toasts
    assert result["roles"] == ["status"]
    assert [result["viaEvent"], result["shown"], result["gone"]] == [True, True, True]


def test_the_theme_reads_switches_and_reports_the_mode(page):
    frame, context = mounted_probe(page, "probe-theme")

    result = frame.evaluate(
        f"""async () => {{
          const shell = await import('/static/naap/shell.js');
          const seen = [];
          const upstream = [];
          const before = {context}.theme.mode;
          {context}.theme.onChange((mode) => seen.push(mode));
          {context}.eventBus.on('theme:change',
            (payload, meta) => upstream.push([payload.mode, meta.sender]));
          shell.setTheme('dark');
          const dark = {{mode: {context}.theme.mode, colors: {context}.theme.colors,
                         html: document.documentElement.dataset.naapTheme,
                         dark: document.documentElement.classList.contains('dark')}};
          {context}.theme.toggle();
          const lightClass = document.documentElement.classList.contains('dark');
          {context}.theme.setMode('dark');
          let refused = null;
          try {{ {context}.theme.setMode('purple'); }} catch (error) {{ refused = error.name; }}
          return {{before, dark, lightClass, seen, upstream, refused,
                   after: {context}.theme.mode}};
        }}"""
    )

    assert result["before"] == "light"
    assert result["dark"]["mode"] == "dark" and result["dark"]["html"] == "dark"
    # `dark` on <html>, as NaaP's shell does: Tailwind's dark: variants in plugins follow it.
    assert result["dark"]["dark"] is True and result["lightClass"] is False
    colors = result["dark"]["colors"]
    sdk_keys = {"primary", "secondary", "accent", "background", "text", "error", "warning"}
    assert sdk_keys | {"success", "info"} <= set(colors)
    assert colors["accent"] == "#7fb0ff"
    assert result["seen"] == ["dark", "light", "dark"]  # the SDK passes the mode
    assert result["upstream"] == [["dark", "shell"], ["light", "shell"], ["dark", "shell"]]
    assert result["refused"] == "TypeError"
    assert result["after"] == "dark"


def test_the_logger_prefixes_lines_and_children_carry_their_meta(page):
    frame, context = mounted_probe(page, "probe-log")
    lines: list[tuple[str, str]] = []
    page.on("console", lambda message: lines.append((message.type, message.text)))

    frame.evaluate(
        f"""() => {{
          const child = {context}.logger.child({{part: 'sync'}});
          {context}.logger.info('Loaded');
          child.error('Sync failed', new Error('offline'), {{attempt: 2}});
        }}"""
    )

    assert ("info", "[plugin probe-log] Loaded") in lines
    error = next(text for kind, text in lines if kind == "error" and "Sync failed" in text)
    assert error.startswith("[plugin probe-log] Sync failed")
    assert "offline" in error


def test_permissions_follow_the_manifest_and_a_guest_holds_none(page):
    frame, context = mounted_probe(page, "probe-perm")

    result = frame.evaluate(
        f"""() => {{
          const permissions = {context}.permissions;
          let error = null;
          try {{ permissions.require('shell', 'notifications'); }}
          catch (caught) {{ error = [caught.name, caught.code, caught.message]; }}
          let undeclared = null;
          try {{ permissions.require('wallet', 'write'); }}
          catch (caught) {{ undeclared = caught.message; }}
          return {{can: permissions.can('shell', 'notifications'),
                   list: permissions.getPermissions(),
                   hasPermission: {context}.auth.hasPermission('shell', 'notifications'),
                   error, undeclared}};
        }}"""
    )

    # The probe declares shell/notifications, but a preview's guest has no role.
    assert result["can"] is False and result["hasPermission"] is False
    assert result["list"] == []
    assert result["error"] == [
        "PermissionDeniedError",
        "PERMISSION_DENIED",
        "probe-perm may not notifications shell: your role does not allow it.",
    ]
    assert result["undeclared"] == (
        "probe-perm may not write wallet: its manifest does not declare it."
    )


def test_integrations_and_capabilities_answer_truthfully(page):
    frame, context = mounted_probe(page, "probe-caps")

    result = frame.evaluate(
        f"""async () => {{
          const {{integrations, capabilities}} = {context};
          const refusal = (promise) =>
            promise.then(() => 'resolved', (e) => [e.name, e.code, e.message]);
          return {{
            configured: ['ai', 'storage', 'email'].map((type) => integrations.isConfigured(type)),
            own: [integrations.ai.isConfigured(), integrations.email.isConfigured(),
                  integrations.storage.isConfigured()],
            available: integrations.getAvailable(),
            complete: await refusal(integrations.ai.complete('hello')),
            upload: await refusal(integrations.storage.upload(new Blob(['x']), 'a.txt')),
            send: await refusal(integrations.email.send({{email: 'a@b.c'}}, 'Hi', 'Body')),
            has: ['notifications', 'teams', 'tenants', 'ai', 'storage', 'payments', 'unknown']
              .map((name) => capabilities.has(name)),
            info: capabilities.info('ai'),
            hasAll: [capabilities.hasAll(['teams', 'notifications']),
                     capabilities.hasAll(['teams', 'ai'])],
            hasAny: [capabilities.hasAny(['ai', 'teams']), capabilities.hasAny(['ai', 'email'])],
            all: Object.keys(capabilities.getAll()).includes('websocket'),
          }};
        }}"""
    )

    assert result["configured"] == [False, False, False]
    assert result["own"] == [False, False, False]
    assert result["available"] == [
        {"type": "ai", "configured": False},
        {"type": "storage", "configured": False},
        {"type": "email", "configured": False},
    ]
    for refusal in (result["complete"], result["upload"], result["send"]):
        assert refusal[:2] == ["ShellServiceError", "NOT_AVAILABLE"]
    assert result["complete"][2].startswith("This shell has no AI integration (complete).")
    assert result["has"] == [True, True, True, False, False, False, False]
    assert result["info"] == {"available": False, "configured": False}
    assert result["hasAll"] == [True, False]
    assert result["hasAny"] == [True, False]
    assert result["all"] is True
