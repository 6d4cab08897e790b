"""The context of plugins in the signed-in demo shell, in Chromium: the person (roles, teams),
short-lived tokens renewed through the shell page, sign-out, permissions by role, team and
tenant."""

from __future__ import annotations

import pytest
from django.contrib.sessions.backends.cached_db import SessionStore

from installs.models import Team, TeamMembership, TenantPluginInstall
from installs.services import install_plugin
from tests.factories import make_user
from tests.shell.helpers import open_shell, publish_probe, sign_in, wait_for_state

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTENT = "#naap-shell-content"
PERMISSIONS = {"shell": ["notifications"], "wallet": ["read", "admin"]}
SCHEMA = {"label": {"type": "string"}, "apiKey": {"type": "string", "secret": True}}
ROUTED = "window.__probes['probe-a@1.0.0']"
HEADLESS = "window.__probes['probe-b@1.0.0']"


@pytest.fixture
def grace(browser_context, live_server):
    """Grace, signed in, admin of team ops; probe-a installed for her, probe-b (headless)
    for the team."""
    person = make_user("grace")
    team = Team.objects.create(name="ops", display_name="Operations")
    TeamMembership.objects.create(team=team, user=person, role="admin")
    publish_probe("probe-a", permissions=PERMISSIONS, config={"schema": SCHEMA})
    frontend = {"entry": "bundle.js", "routes": []}
    publish_probe("probe-b", permissions=PERMISSIONS, frontend=frontend)
    config = {"label": "first", "apiKey": "s3cret"}
    install_plugin(actor=person, name="probe-a", team_id=None, config=config)
    install_plugin(actor=person, name="probe-b", team_id=team.pk, config=None)
    sign_in(browser_context, live_server, person)
    return person, team


def open_probes(page):
    frame = open_shell(page, "/shell/plugins/probe-a")
    wait_for_state(frame, CONTENT, "mounted")
    frame.wait_for_selector('.naap-shell__headless[data-naap-state="mounted"]', state="attached")
    return frame


def test_auth_describes_the_person_and_their_roles(page, grace):
    person, _ = grace
    frame = open_probes(page)

    result = frame.evaluate(
        f"""() => {{
          const auth = {ROUTED}.auth;
          return {{user: auth.getUser(), frozen: Object.isFrozen(auth.getUser()),
                   authenticated: auth.isAuthenticated(),
                   roles: ['user', 'team:ops:admin', 'staff', 'system:admin'].map(auth.hasRole)}};
        }}"""
    )

    user = result["user"]
    assert user["id"] == str(person.pk)
    assert user["username"] == "grace" and user["displayName"] == "grace"
    assert user["email"] is None  # not shared with plugins
    assert user["roles"] == ["user", "team:ops:admin"]
    assert {"resource": "wallet", "action": "read"} in user["permissions"]
    assert "teams" not in user
    assert result["frozen"] is True and result["authenticated"] is True
    assert result["roles"] == [True, True, False, False]


def test_a_plugins_token_works_on_its_own_routes_and_is_renewed_through_the_page(
    page, grace, settings
):
    # Renewed when half a second is left; Fernet counts whole seconds, so the old token is
    # surely over after 3.2 s.
    settings.NAAP_PLUGIN_TOKEN_LIFETIME = 2
    frame = open_probes(page)

    result = frame.evaluate(
        f"""async () => {{
          const context = {ROUTED};
          // What any plugin of the frame could overhear: its window's messages.
          const overheard = [];
          window.addEventListener('message', (event) => overheard.push(JSON.stringify(event.data)));
          const first = await context.auth.getToken();
          // Plugin code can import the runtime, but not swap another plugin's token.
          const shell = await import('/static/naap/shell.js');
          shell.configureShell({{grants: {{'probe-a': 'forged'}}}});
          const again = await context.auth.getToken();
          await context.storage.set('k', 41);
          await new Promise((resolve) => setTimeout(resolve, 3200));
          const fresh = await context.auth.getToken();
          const read = await context.storage.get('k');
          const url = '/api/v1/plugins/probe-a/storage/k';
          const status = async (token) =>
            (await fetch(url, {{headers: {{Authorization: 'NaapPlugin ' + token}}}})).status;
          return {{same: first === again, renewed: fresh !== first, read,
                   leaked: overheard.some((text) => text.includes(fresh)),
                   old: await status(first), current: await status(fresh),
                   other: (await fetch('/api/v1/plugins/probe-b/storage/k',
                     {{headers: {{Authorization: 'NaapPlugin ' + fresh}}}})).status}};
        }}"""
    )

    assert result["same"] is True  # one token while it is fresh, and not replaced
    assert result["renewed"] is True
    assert result["leaked"] is False  # the page answers on a port only the runtime holds
    assert result["read"] == 41
    assert result["old"] == 401  # the short lifetime is over
    assert result["current"] == 200
    assert result["other"] == 403  # probe-a's token is no credential for probe-b


def test_when_the_session_ends_plugins_are_told(page, grace, browser_context, settings):
    settings.NAAP_PLUGIN_TOKEN_LIFETIME = 2
    frame = open_probes(page)
    frame.evaluate(
        f"""() => {{
          window.__auth = [];
          {ROUTED}.auth.onAuthStateChange((user) => window.__auth.push(['callback', user]));
          {HEADLESS}.eventBus.on('auth:logout', (payload, meta) =>
            window.__auth.push(['event', meta.sender]));
        }}"""
    )
    session = next(
        c for c in browser_context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME
    )
    SessionStore(session_key=session["value"]).delete()  # signed out elsewhere

    result = frame.evaluate(
        f"""async () => {{
          await new Promise((resolve) => setTimeout(resolve, 3200));
          const refused = await {ROUTED}.auth.getToken()
            .then(() => 'token', (error) => error.message);
          return {{refused, heard: window.__auth, user: {ROUTED}.auth.getUser(),
                   authenticated: {HEADLESS}.auth.isAuthenticated()}};
        }}"""
    )

    assert "could not be renewed" in result["refused"]
    assert result["heard"] == [["callback", None], ["event", "shell"]]
    assert result["user"] is None
    assert result["authenticated"] is False


def test_permissions_and_team_follow_the_installation_and_the_persons_role(page, grace):
    _, team = grace
    frame = open_probes(page)

    result = frame.evaluate(
        f"""async () => {{
          const routed = {ROUTED};
          const headless = {HEADLESS};
          const view = (context) => ({{
            read: context.permissions.can('wallet', 'read'),
            admin: context.permissions.can('wallet', 'admin'),
            listed: context.permissions.getPermissions().length,
            team: context.team.currentTeam, member: context.team.currentMember,
            role: context.team.memberRole, isTeam: context.team.isTeamContext,
            install: context.team.hasTeamPermission('plugins.install'),
          }});
          // The SDK's useTeam() follows team:change: a new listener hears the plugin's team
          // at once, and a switch tells only the plugin that switched.
          const heard = [];
          const listen = (label, context) => context.eventBus.on('team:change',
            (payload, meta) => heard.push(
              [label, payload.teamId, payload.member && payload.member.role, meta.sender]));
          listen('routed', routed);
          listen('headless', headless);
          await new Promise((resolve) => setTimeout(resolve, 0));
          const atOnce = [...heard];
          const before = view(routed);
          await routed.team.setCurrentTeam({team.pk});
          const switched = view(routed);
          const stranger = await routed.team.setCurrentTeam(999999).then(() => 'switched',
            (error) => error.code);
          return {{before, headless: view(headless), switched, stranger, atOnce, heard}};
        }}"""
    )

    assert result["before"] == {
        "read": True,
        "admin": False,  # an admin action needs staff or the admin of the installing team
        "listed": 2,
        "team": None,
        "member": None,
        "role": None,
        "isTeam": False,
        "install": False,
    }
    headless = result["headless"]
    assert headless["read"] is True and headless["admin"] is True
    assert headless["team"]["id"] == str(team.pk)
    assert headless["team"]["slug"] == "ops" and headless["team"]["name"] == "Operations"
    assert headless["member"]["role"] == "admin" and headless["isTeam"] is True
    assert headless["install"] is True
    assert result["switched"]["team"]["slug"] == "ops"
    # Switching the context's team does not make the plugin an admin of that team.
    assert result["switched"]["admin"] is False
    assert result["stranger"] == "PERMISSION_DENIED"
    assert result["atOnce"] == [["headless", str(team.pk), "admin", "shell"]]
    assert result["heard"] == [
        ["headless", str(team.pk), "admin", "shell"],
        ["routed", str(team.pk), "admin", "shell"],
    ]


def test_tenant_lists_installations_and_changes_only_the_plugins_own_config(page, grace):
    frame = open_probes(page)

    result = frame.evaluate(
        f"""async () => {{
          const tenant = {ROUTED}.tenant;
          const code = (promise) => promise.then(() => 'done', (error) => [error.name, error.code]);
          const all = await tenant.listInstallations();
          return {{
            names: all.map((item) => [item.id, item.deployment.package.name, 'config' in item]),
            own: await tenant.getConfig('probe-a'),
            byPlugin: (await tenant.getInstallationByPlugin('probe-b')).teamId,
            has: [await tenant.hasPlugin('probe-b'), await tenant.hasPlugin('nothing')],
            missing: await tenant.getInstallation('nothing'),
            other: await code(tenant.getConfig('probe-b')),
            otherUpdate: await code(tenant.updateConfig('probe-b', {{settings: {{}}}})),
            updated: await tenant.updateConfig('probe-a', {{settings: {{label: 'second'}}}}),
            reread: await tenant.getConfig('probe-a'),
            install: await code(tenant.install('probe-c')),
            uninstall: await code(tenant.uninstall('probe-a')),
          }};
        }}"""
    )

    assert result["names"] == [
        ["probe-a", "probe-a", True],
        ["probe-b", "probe-b", False],  # another plugin's config is never shown
    ]
    assert result["own"] == {"settings": {"label": "first", "apiKey": "s3cret"}}
    assert result["byPlugin"] is not None
    assert result["has"] == [True, False]
    assert result["missing"] is None
    assert (
        result["other"] == result["otherUpdate"] == ["PermissionDeniedError", "PERMISSION_DENIED"]
    )
    # The API answers with the secret masked; the plugin's own config keeps it.
    assert (
        result["updated"]
        == result["reread"]
        == {"settings": {"label": "second", "apiKey": "s3cret"}}
    )
    stored = TenantPluginInstall.objects.get(package__name="probe-a")
    assert stored.config["label"] == "second"
    assert "apiKey" in stored.config  # left out of the update: kept
    assert result["install"] == result["uninstall"] == ["ShellServiceError", "NOT_AVAILABLE"]

    # Mounted again (away and back), the plugin's context has the config it changed.
    for path in ["/sandbox/shell/", "/sandbox/shell/plugins/probe-a"]:
        frame.evaluate(
            "(path) => { history.pushState(null, '', path);"
            " dispatchEvent(new PopStateEvent('popstate')); }",
            path,
        )
        wait_for_state(frame, CONTENT, "unmounted" if path.endswith("/") else "mounted")
    assert frame.evaluate(f"{ROUTED}.config") == {"label": "second", "apiKey": "s3cret"}


def test_plugin_code_importing_the_runtime_gets_no_other_plugins_token_or_config(
    page, grace, settings
):
    settings.NAAP_PLUGIN_TOKEN_LIFETIME = 2
    frame = open_probes(page)
    shell_url = page.url

    # The shell page keeps its address inside /shell whatever the frame says.
    frame.evaluate("parent.postMessage({type: 'naap:navigated', path: '/../admin/'}, '*')")
    page.wait_for_timeout(300)
    assert page.url == shell_url

    result = frame.evaluate(
        f"""async () => {{
          const shell = await import('/static/naap/shell.js');
          const contextModule = await import('/static/naap/shell-context.js');
          const outcome = (promise) =>
            promise.then(() => 'done', (error) => error.code || error.message);
          // A context made by plugin code under another plugin's name holds nothing of it.
          const forged = shell.createPluginContext({{name: 'probe-a', version: '1.0.0'}});
          const forgedToken = await outcome(forged.auth.getToken());
          const forgedConfig = await forged.tenant.getConfig('probe-a');
          const forgedList = await forged.tenant.listInstallations();
          // The runtime's privileged handle and settings are taken.
          const rebound = contextModule.bindShell({{}});
          const reboot = await outcome(shell.bootShell({{bootstrap: {{plugins: []}}}}));
          shell.configureShell({{user: {{id: 1, username: 'x', roles: ['staff']}},
                                grants: {{'probe-b': 'forged'}}}});
          const roles = shell.createPluginContext({{name: 'x'}}).auth.getUser().roles;
          // A made-up error naming probe-b's bundle does not take probe-b down.
          const bundle = document.querySelector('script[data-naap-plugin="probe-b@1.0.0"]').src;
          const made = new ErrorEvent('error', {{filename: bundle, error: new Error('x')}});
          window.dispatchEvent(made);
          // Replacing window.parent does not divert a token renewal.
          const stolen = [];
          window.parent = {{postMessage: (message) => stolen.push(message)}};
          const first = await {ROUTED}.auth.getToken();
          await new Promise((resolve) => setTimeout(resolve, 3200));
          const fresh = await {ROUTED}.auth.getToken();
          const headlessToken = await {HEADLESS}.auth.getToken();
          return {{forgedToken, forgedConfig, forgedList, rebound, reboot, roles,
                   stolen: stolen.length, renewed: fresh !== first,
                   headlessForged: headlessToken === 'forged',
                   headlessState: document.querySelector('.naap-shell__headless')
                     .dataset.naapState}};
        }}"""
    )

    assert result["forgedToken"] == "NO_TOKEN"
    assert result["forgedConfig"] == {"settings": {}}
    assert result["forgedList"] == []
    assert result["rebound"] is None
    assert result["reboot"] == "The shell has already booted on this page."
    assert "staff" not in result["roles"]
    assert result["headlessState"] == "mounted"
    assert result["stolen"] == 0 and result["renewed"] is True
    assert result["headlessForged"] is False
