"""Plugin code never acts with the marketplace's credentials: what a hostile plugin tries from
the sandboxed frames of the demo shell and of a preview, run by a staff member, and what it
gets."""

from __future__ import annotations

import pytest

from installs.models import PluginStorageEntry
from installs.services import install_plugin
from publishing.models import ApiToken
from registry.models import PluginVersion
from tests.factories import make_publisher, make_user
from tests.shell.helpers import (
    open_preview,
    open_shell,
    probe_bundle,
    publish_probe,
    sign_in,
    wait_for_state,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONTENT = "#naap-shell-content"

# What the reproduced attacks did, run in the frame as any plugin's code runs there.
ATTACKS = """async ({pendingId}) => {
  const result = {};
  const attempt = async (url, init = {}) => {
    try {
      const response = await fetch(url, {credentials: "include", ...init});
      if (response.type === "opaque") return "sent blind";
      return `${response.status} ${await response.text()}`;
    } catch (error) {
      return "refused";
    }
  };
  try { result.cookie = document.cookie; } catch (error) { result.cookie = error.name; }
  // The runtime's in-page stand-in, never the marketplace's own localStorage.
  result.marketplaceStorage = localStorage.getItem("marketplace-secret");
  result.origin = window.origin;
  result.queue = await attempt("/admin/publishing/pendingversion/");
  const approval = new FormData();
  approval.append("action", "approve");
  approval.append("_selected_action", String(pendingId));
  const csrf = /name="csrfmiddlewaretoken" value="([^"]+)"/.exec(result.queue);
  if (csrf) approval.append("csrfmiddlewaretoken", csrf[1]);
  result.approve = await attempt(
    "/admin/publishing/pendingversion/", {method: "POST", body: approval, mode: "no-cors"});
  const token = new FormData();
  token.append("name", "stolen");
  result.token = await attempt("/me/tokens/", {method: "POST", body: token, mode: "no-cors"});
  result.tokenApi = await attempt("/api/v1/tokens", {method: "POST", credentials: "omit",
    headers: {"Content-Type": "application/json"}, body: JSON.stringify({name: "stolen"})});
  result.otherStorage = await attempt("/api/v1/plugins/plugin-b/storage/secret");
  result.otherStorageWithoutCookies = await attempt(
    "/api/v1/plugins/plugin-b/storage/secret", {credentials: "omit"});
  result.bootstrap = await attempt("/api/v1/plugins/installed", {credentials: "omit"});
  return result;
}"""


def test_a_hostile_plugin_in_a_staff_members_shell_gets_no_marketplace_credentials(
    page, browser_context, live_server
):
    staff = make_user("root", staff=True)
    staff.is_superuser = True
    staff.save()
    sign_in(browser_context, live_server, staff)
    owner = make_user("newcomer-owner")
    unverified = make_publisher("newcomer", owner=owner, verified=False)
    pending = publish_probe("waiting-plugin", publisher=unverified, actor=owner)
    assert pending.status == PluginVersion.Status.PENDING_REVIEW
    publish_probe("plugin-a")
    publish_probe("plugin-b")
    for name in ("plugin-a", "plugin-b"):
        install_plugin(actor=staff, name=name, team_id=None, config=None)
    frame = open_shell(page, "/shell/plugins/plugin-b")
    wait_for_state(frame, CONTENT, "mounted")
    frame.evaluate("window.__probes['plugin-b@1.0.0'].storage.set('secret', {pin: 1234})")
    page.evaluate("localStorage.setItem('marketplace-secret', 'kept by the marketplace')")

    seen = frame.evaluate(ATTACKS, {"pendingId": pending.pk})

    assert seen["cookie"] == "SecurityError"
    assert seen["marketplaceStorage"] is None
    assert seen["origin"] == "null"
    assert seen["queue"] == "refused"  # no CORS from the admin, and no session sent anyway
    assert seen["approve"] == seen["token"] == "sent blind"
    assert seen["tokenApi"].startswith("401 ")
    assert seen["otherStorage"] == "refused"  # credentials with `*` are refused by the browser
    assert seen["otherStorageWithoutCookies"].startswith("401 ")
    assert seen["bootstrap"].startswith("401 ")
    pending.refresh_from_db()
    assert pending.status == PluginVersion.Status.PENDING_REVIEW
    assert not ApiToken.objects.exists()
    assert PluginStorageEntry.objects.get(package__name="plugin-b").value == {"pin": 1234}
    # The staff member's own session is untouched: the marketplace still knows them.
    page.goto("/admin/publishing/pendingversion/")
    assert page.locator("#result_list").count() == 1


def test_the_frame_opened_on_its_own_is_still_sandboxed(page, browser_context, live_server):
    user = make_user("ada")
    sign_in(browser_context, live_server, user)
    publish_probe("plugin-a")
    install_plugin(actor=user, name="plugin-a", team_id=None, config=None)

    page.goto("/sandbox/shell/plugins/plugin-a")  # as a popup escaping the iframe would

    wait_for_state(page, CONTENT, "mounted")
    assert page.evaluate("window.origin") == "null"
    assert page.evaluate(
        "(() => { try { return document.cookie; } catch (e) { return e.name; } })()"
    ) == ("SecurityError")


def test_a_pending_bundle_previewed_by_staff_cannot_approve_itself(
    page, browser_context, live_server
):
    # The reproduced attack: the bundle reads the moderation queue with the reviewer's session
    # and posts "approve" for its own version. Here it runs, as every preview does, in the frame.
    owner = make_user("newcomer-owner")
    unverified = make_publisher("newcomer", owner=owner, verified=False)
    attack = (
        "window.__attack = (" + ATTACKS + ")({pendingId: window.__pendingId || 0});"
        " window.__attack.then((result) => { window.__attackResult = result; });"
    )
    pending = publish_probe(
        "self-approver",
        bundle=probe_bundle("self-approver", body=attack),
        publisher=unverified,
        actor=owner,
    )
    assert pending.status == PluginVersion.Status.PENDING_REVIEW
    staff = make_user("reviewer", staff=True)
    staff.is_superuser = True
    staff.save()
    sign_in(browser_context, live_server, staff)
    page.add_init_script(f"window.__pendingId = {pending.pk};")  # as if read from the queue

    frame = open_preview(page, pending)

    wait_for_state(frame, "#naap-preview-host", "mounted")
    frame.wait_for_function("() => window.__attackResult !== undefined")
    seen = frame.evaluate("window.__attackResult")
    assert seen["cookie"] == "SecurityError"
    assert seen["queue"] == "refused"
    assert seen["approve"] == "sent blind"
    pending.refresh_from_db()
    assert pending.status == PluginVersion.Status.PENDING_REVIEW
    assert not ApiToken.objects.exists()


def test_plugins_in_the_sandbox_get_a_page_storage_in_place_of_the_blocked_one(
    page, browser_context, live_server
):
    user = make_user("ada")
    sign_in(browser_context, live_server, user)
    publish_probe("plugin-a")
    install_plugin(actor=user, name="plugin-a", team_id=None, config=None)
    frame = open_shell(page, "/shell/plugins/plugin-a")
    wait_for_state(frame, CONTENT, "mounted")

    kept = frame.evaluate(
        """() => {
          localStorage.setItem("theme", "dark");
          sessionStorage.setItem("tab", 2);
          localStorage.setItem("gone", "x");
          localStorage.removeItem("gone");
          return [localStorage.getItem("theme"), sessionStorage.getItem("tab"),
                  localStorage.getItem("gone"), localStorage.length, localStorage.key(0)];
        }"""
    )

    assert kept == ["dark", "2", None, 1, "theme"]
    assert page.evaluate("localStorage.getItem('theme')") is None  # the marketplace's own
