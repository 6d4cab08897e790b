"""Registering endpoints (refusals, the secret shown once), who may manage them, the
publisher's page with its delivery log and test button, and the admin."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.factories import make_publisher, make_user
from tests.publishing.helpers import bearer, token_for
from tests.webhooks.conftest import run_worker
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import register_endpoint
from webhooks.signing import decrypt_secret

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(client):
    user = make_user()
    publisher = make_publisher(owner=user)
    client.force_login(user)
    return user, publisher


def post(client, publisher, url, events=()):
    return client.post(
        f"/api/v1/publishers/{publisher.name}/webhooks",
        {"url": url, "events": list(events)},
        content_type="application/json",
    )


def test_the_secret_is_shown_once_and_stored_encrypted(client, owner):
    _, publisher = owner
    response = post(client, publisher, "https://hooks.example.com/naap", ["version.published"])
    assert response.status_code == 201
    data = response.json()["data"]
    secret = data["secret"]
    assert secret.startswith("whsec_") and len(secret) > 40
    endpoint = WebhookEndpoint.objects.get()
    assert secret not in endpoint.secret_encrypted
    assert decrypt_secret(endpoint.secret_encrypted) == secret
    assert data["secretPrefix"] == endpoint.secret_prefix == secret[:12]
    listed = client.get(f"/api/v1/publishers/{publisher.name}/webhooks").json()["data"]
    assert [row["url"] for row in listed] == ["https://hooks.example.com/naap"]
    assert "secret" not in listed[0]
    assert secret not in client.get("/me/webhooks/").content.decode()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.com/", "The URL must be an https:// address."),
        ("ftp://hooks.example.com/", "The URL must be an https:// address."),
        ("https://127.0.0.1/hooks", "The URL must name a public address."),
        ("https://10.1.2.3/hooks", "The URL must name a public address."),
        ("https://169.254.169.254/latest", "The URL must name a public address."),
        ("https://[::1]/hooks", "The URL must name a public address."),
        ("https://[::ffff:127.0.0.1]/hooks", "The URL must name a public address."),
        ("https://2130706433/hooks", "The URL must name a public address."),  # 127.0.0.1
        ("https://100.64.0.1/hooks", "The URL must name a public address."),
        ("https://localhost/hooks", "The URL must name a public host."),
        ("https://localhost./hooks", "The URL must name a public host."),
        ("https://printer.local/hooks", "The URL must name a public host."),
        ("https://hooks.example.invalid/", "The host hooks.example.invalid does not resolve."),
        ("https://user:pw@hooks.example.com/", "The URL may not carry a user name or password."),
        ("https://hooks.example.com/" + "a" * 500, "The URL is longer than 500 characters."),
    ],
)
def test_production_refuses_unsafe_urls(client, owner, settings, url, message):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    response = post(client, owner[1], url)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR"
    assert error["message"] == message
    assert error["details"]["fields"] == {"url": message}
    assert not WebhookEndpoint.objects.exists()


def test_unknown_events_and_too_many_endpoints_are_refused(client, owner, settings):
    _, publisher = owner
    response = post(client, publisher, "https://hooks.example.com/", ["version.eaten"])
    assert response.status_code == 400
    assert response.json()["error"]["details"]["fields"] == {
        "events[0]": '"version.eaten" is not a valid choice.'
    }
    settings.WEBHOOK_MAX_ENDPOINTS = 2
    assert post(client, publisher, "https://a.example.com/").status_code == 201
    assert post(client, publisher, "https://b.example.com/").status_code == 201
    response = post(client, publisher, "https://c.example.com/")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        f"{publisher.name} already has 2 webhooks, the most allowed; remove one first."
    )
    assert WebhookEndpoint.objects.count() == 2


def test_only_members_and_permitted_staff_manage_webhooks(client, owner, receiver):
    user, publisher = owner
    endpoint_id = post(client, publisher, receiver.url).json()["data"]["id"]
    base = f"/api/v1/publishers/{publisher.name}/webhooks"
    routes = [
        ("get", base),
        ("post", base),
        ("get", f"{base}/{endpoint_id}/deliveries"),
        ("post", f"{base}/{endpoint_id}/test"),
        ("delete", f"{base}/{endpoint_id}"),
    ]
    stranger = make_user()
    plain_staff = make_user()
    plain_staff.is_staff = True
    plain_staff.save()
    for person in (stranger, plain_staff):
        client.force_login(person)
        for method, path in routes:
            response = getattr(client, method)(
                path, {"url": "https://x.example.com/"}, content_type="application/json"
            )
            assert response.status_code == 403, (person, path)
            assert response.json()["error"]["code"] == "FORBIDDEN"
        # The page's test button refuses them too.
        client.post(f"/me/webhooks/{endpoint_id}/test/")
    # An API token (even the publisher's own) cannot manage webhooks.
    client.logout()
    _, _, _, secret = token_for(publisher, user=user, scopes=("admin",))
    assert client.get(base, **bearer(secret)).status_code == 403
    assert not WebhookDelivery.objects.exists()
    assert WebhookEndpoint.objects.count() == 1

    plain_staff.user_permissions.add(Permission.objects.get(codename="change_webhookendpoint"))
    client.force_login(plain_staff)
    assert client.get(base).status_code == 200
    assert client.post(f"{base}/{endpoint_id}/test").status_code == 201
    assert client.delete(f"{base}/{endpoint_id}").status_code == 200
    assert not WebhookEndpoint.objects.exists()


# The worker and the after-commit queueing need real transactions.
@pytest.mark.django_db(transaction=True)
def test_the_page_registers_sends_a_test_event_and_shows_the_log(client, owner, receiver):
    _, publisher = owner
    response = client.post("/me/webhooks/", {"publisher": publisher.name, "url": receiver.url})
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    endpoint = WebhookEndpoint.objects.get()
    secret = decrypt_secret(endpoint.secret_encrypted)
    assert secret in response.content.decode()  # shown this once
    page = client.get("/me/webhooks/").content.decode()
    assert secret not in page
    assert receiver.url in page and "No deliveries yet." in page

    receiver.statuses.extend([500])
    response = client.post(f"/me/webhooks/{endpoint.pk}/test/", follow=True)
    assert "Test event queued" in response.content.decode()
    assert DBTaskResult.objects.count() == 1
    run_worker()
    assert len(receiver.requests) == 1
    page = client.get("/me/webhooks/").content.decode()
    assert "webhook.test" in page and "Retrying" in page and "500" in page

    log = client.get(
        f"/api/v1/publishers/{publisher.name}/webhooks/{endpoint.pk}/deliveries"
    ).json()["data"]
    assert len(log) == 1
    assert log[0]["event"] == "webhook.test"
    assert (log[0]["status"], log[0]["attempts"], log[0]["responseStatus"]) == ("retrying", 1, 500)
    assert log[0]["responseMs"] is not None and log[0]["nextAttemptAt"]

    client.post(f"/me/webhooks/{endpoint.pk}/delete/")
    assert not WebhookEndpoint.objects.exists()


def test_the_page_shows_refusals_next_to_the_field(client, owner, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    response = client.post(
        "/me/webhooks/", {"publisher": owner[1].name, "url": "https://192.168.1.1/"}
    )
    assert response.status_code == 200
    assert "The URL must name a public address." in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_the_admin_shows_deliveries_to_operators(client, owner, receiver):
    _, publisher = owner
    endpoint_id = post(client, publisher, receiver.url).json()["data"]["id"]
    client.post(f"/api/v1/publishers/{publisher.name}/webhooks/{endpoint_id}/test")
    staff = make_user()
    staff.is_staff = True
    staff.save()
    client.force_login(staff)
    assert client.get("/admin/webhooks/webhookdelivery/").status_code == 403
    staff.groups.add(Group.objects.get(name="Operators"))  # Operators read the log
    page = client.get("/admin/webhooks/webhookdelivery/").content.decode()
    assert "webhook.test" in page and receiver.url in page
    delivery = WebhookDelivery.objects.get()
    detail = client.get(f"/admin/webhooks/webhookdelivery/{delivery.pk}/change/")
    assert detail.status_code == 200
    assert decrypt_secret(delivery.endpoint.secret_encrypted) not in detail.content.decode()


def test_operators_cannot_change_endpoints_in_the_admin(client, owner):
    _, publisher = owner
    endpoint_id = post(client, publisher, "https://hooks.example.com/").json()["data"]["id"]
    staff = make_user()
    staff.is_staff = True
    staff.save()
    staff.groups.add(Group.objects.get(name="Operators"))
    client.force_login(staff)
    url = f"/admin/webhooks/webhookendpoint/{endpoint_id}/change/"
    assert client.get(url).status_code == 200
    client.post(url, {"is_active": ""})
    assert WebhookEndpoint.objects.get().is_active
    # …nor through the API: only members and staff allowed to manage webhooks.
    response = client.get(f"/api/v1/publishers/{publisher.name}/webhooks")
    assert response.status_code == 403


def test_pruning_deletes_only_old_finished_deliveries(owner):
    user, publisher = owner
    endpoint, _ = register_endpoint(
        actor=user, publisher=publisher, url="https://hooks.example.com/", events=[]
    )
    statuses = ["succeeded", "failed", "retrying", "succeeded"]
    rows = [
        WebhookDelivery.objects.create(
            endpoint=endpoint, event="webhook.test", payload={}, status=s
        )
        for s in statuses
    ]
    old = timezone.now() - timedelta(days=31)
    WebhookDelivery.objects.filter(pk__in=[r.pk for r in rows[:3]]).update(updated_at=old)
    out = StringIO()
    call_command("prune_webhook_deliveries", stdout=out)
    assert out.getvalue().startswith("Deleted 2 webhook deliveries")
    assert sorted(WebhookDelivery.objects.values_list("status", flat=True)) == [
        "retrying",
        "succeeded",
    ]
