"""Staff work in the admin: moderation, package and version actions, rollback, dashboard."""

import html
import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from publishing.models import ApiToken
from registry.models import (
    AuditEvent,
    DeploymentEvent,
    PluginDeployment,
    PluginPackage,
    PluginVersion,
    Publisher,
)
from tests.factories import make_publisher, make_user, publish
from tests.publishing.helpers import stored_files, token_for

pytestmark = pytest.mark.django_db
QUEUE = "/admin/publishing/pendingversion/"


@pytest.fixture
def staff(client):
    user = make_user("reviewer", staff=True)
    client.force_login(user)
    return user


@pytest.fixture
def pending():
    owner = make_user()
    publisher = make_publisher("newcomer", owner=owner, verified=False)
    first = publish("first-plugin", "1.0.0", actor=owner, publisher=publisher)
    second = publish("second-plugin", "1.0.0", actor=owner, publisher=publisher)
    return first.version, second.version


def act(client, url, action, objects, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [obj.pk for obj in objects], **extra}
    return client.post(url, data, follow=True)


def test_the_queue_lists_pending_versions_oldest_first_with_what_reviewers_need(
    client, staff, pending
):
    response = client.get(QUEUE)
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("first-plugin@1.0.0") < page.index("second-plugin@1.0.0")
    assert "newcomer (unverified)" in page
    assert "/plugins/first-plugin/1.0.0/preview/" in page
    detail = client.get(f"{QUEUE}{pending[0].pk}/change/").content.decode()
    assert "Automated checks" in detail
    assert "notifications" in detail  # the permissions it asks for


def test_a_pending_versions_bundle_link_in_the_admin_is_a_temporary_url_that_serves_it(
    client, staff, pending
):
    version = pending[0]
    page = client.get(f"/admin/registry/pluginversion/{version.pk}/change/").content.decode()

    link = re.search(r'<a href="(/cdn/review/first-plugin/1\.0\.0/[^"]+)">', page)
    assert link is not None
    url = html.unescape(link.group(1))
    assert "signature=" in url
    assert client.get(url).status_code == 200
    assert client.get(version.bundle_url).status_code == 404


def test_bulk_approve_publishes_and_deploys(client, staff, pending):
    response = act(client, QUEUE, "approve", pending)
    assert "Approved: 2." in response.content.decode()
    assert set(PluginVersion.objects.values_list("status", flat=True)) == {"published"}
    assert PluginDeployment.objects.filter(version__isnull=False).count() == 2
    assert AuditEvent.objects.filter(action="version.approve", actor=staff).count() == 2
    assert client.get(QUEUE).content.decode().count("@1.0.0") == 0


def test_reject_asks_for_a_reason_then_deletes_the_files(
    client, staff, pending, plugin_storage_in_tmp
):
    ask = act(client, QUEUE, "reject", pending[:1])
    assert "Why are they rejected?" in ask.content.decode()
    assert PluginVersion.objects.get(pk=pending[0].pk).status == "pending_review"
    done = act(client, QUEUE, "reject", pending[:1], apply="1", text="Loads a cryptominer")
    assert "Rejected: 1." in done.content.decode()
    version = PluginVersion.objects.get(pk=pending[0].pk)
    assert version.status == "rejected"
    assert version.rejection_reason == "Loads a cryptominer"
    assert not any(
        key.startswith("review/first-plugin/") for key in stored_files(plugin_storage_in_tmp)
    )
    assert any(
        key.startswith("review/second-plugin/") for key in stored_files(plugin_storage_in_tmp)
    )


def test_reject_without_a_reason_changes_nothing(client, staff, pending):
    response = act(client, QUEUE, "reject", pending[:1], apply="1", text="")
    assert "This field is required" in response.content.decode()
    assert PluginVersion.objects.get(pk=pending[0].pk).status == "pending_review"


def test_package_actions_list_unlist_deprecate_feature_and_core(client, staff):
    package = publish("my-wallet", "1.0.0").package
    url = "/admin/registry/pluginpackage/"
    act(client, url, "unlist", [package])
    assert PluginPackage.objects.get().status == "unlisted"
    act(client, url, "list_packages", [package])
    assert PluginPackage.objects.get().status == "published"
    act(client, url, "feature", [package])
    act(client, url, "mark_core", [package])
    package.refresh_from_db()
    assert (package.featured, package.is_core) == (True, True)
    act(client, url, "deprecate", [package], apply="1", text="Use new-wallet")
    package.refresh_from_db()
    assert package.deprecated and package.deprecation_message == "Use new-wallet"
    actions = set(AuditEvent.objects.filter(actor=staff).values_list("action", flat=True))
    assert actions >= {
        "package.unlist",
        "package.list",
        "package.featured",
        "package.is_core",
        "package.deprecate",
    }


def test_version_actions_deprecate_and_yank(client, staff):
    result = publish("my-wallet", "1.0.0")
    url = "/admin/registry/pluginversion/"
    act(client, url, "deprecate", [result.version], apply="1", text="Old")
    act(client, url, "yank", [result.version], apply="1", text="Broken")
    version = PluginVersion.objects.get()
    assert (version.deprecated, version.status, version.yank_reason) == (True, "yanked", "Broken")


def test_rollback_lists_earlier_versions_confirms_and_records(client, staff):
    first = publish("my-wallet", "1.0.0", marker="a")
    owner, publisher = first.version.published_by, first.package.publisher
    publish("my-wallet", "1.1.0", actor=owner, publisher=publisher, marker="b")
    latest = publish("my-wallet", "1.2.0", actor=owner, publisher=publisher, marker="c")
    deployment = PluginDeployment.objects.get()
    url = reverse("admin:registry_plugindeployment_rollback", args=[deployment.pk])
    page = client.get(url).content.decode()
    assert "1.1.0" in page and "1.0.0" in page and 'value="1.2.0"' not in page
    confirm = client.post(url, {"version": "1.0.0", "reason": "1.2 is slow"})
    assert "Roll my-wallet back from 1.2.0 to" in confirm.content.decode()
    assert PluginDeployment.objects.get().version == latest.version  # not yet
    done = client.post(
        url, {"version": "1.0.0", "reason": "1.2 is slow", "confirm": "1"}, follow=True
    )
    assert PluginDeployment.objects.get().version.version == "1.0.0"
    event = DeploymentEvent.objects.filter(kind="rollback").get()
    assert (event.actor, event.reason) == (staff, "1.2 is slow")
    assert AuditEvent.objects.filter(action="deployment.rollback", actor=staff).exists()
    history = done.content.decode()
    assert "my-wallet now runs 1.0.0" in history.lower()
    assert "rollback" in history  # the change page shows the event history


def test_rollback_from_the_package_page_refuses_unknown_versions(client, staff):
    result = publish("my-wallet", "1.0.0")
    url = reverse("admin:registry_pluginpackage_rollback", args=[result.package.pk])
    page = client.get(url).content.decode()
    assert "no earlier published, non-yanked version" in page
    response = client.post(url, {"version": "0.0.1", "confirm": "1"}, follow=True)
    assert "Choose one of the versions listed" in response.content.decode()
    assert PluginDeployment.objects.get().version == result.version


def test_non_staff_cannot_reach_admin_actions(client, pending):
    client.force_login(make_user())
    response = act(client, QUEUE, "approve", pending)
    assert set(PluginVersion.objects.values_list("status", flat=True)) == {"pending_review"}
    assert response.redirect_chain and "/admin/login/" in response.redirect_chain[-1][0]


def test_verify_publishers_and_revoke_tokens(client, staff):
    publisher = make_publisher("acme", verified=False)
    act(client, "/admin/registry/publisher/", "verify", [publisher])
    assert Publisher.objects.get(name="acme").verified
    _, _, token, _ = token_for()
    act(client, "/admin/publishing/apitoken/", "revoke", [token])
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert AuditEvent.objects.filter(action="publisher.verify").exists()
    assert AuditEvent.objects.filter(action="token.revoke", actor=staff).exists()


def test_the_audit_log_filters_by_actor_action_and_date(client, staff):
    publish("my-wallet", "1.0.0")
    response = client.get("/admin/registry/auditevent/", {"action": "version.publish"})
    assert response.status_code == 200
    assert "my-wallet@1.0.0" in response.content.decode()


def test_the_admin_index_shows_the_dashboard(client, staff, pending):
    from installs.services import install_plugin

    install_plugin(actor=make_user(), name=publish("counted-plugin", "1.0.0").package.name)
    response = client.get("/admin/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Versions awaiting review" in page
    assert '<td id="naap-pending">2</td>' in page
    assert '<td id="naap-publishes">3</td>' in page
    assert '<td id="naap-installs">1</td>' in page
    assert "<svg" in page and "Downloads per day" in page
