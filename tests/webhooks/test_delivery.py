"""Deliveries: signed, sent after commit from the audit log, retried with backoff."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from publishing.services import (
    approve_version,
    reject_version,
    rollback_deployment,
    yank_version,
)
from registry import rollouts
from registry.models import PluginVersion
from tests.factories import make_publisher, make_user, publish
from tests.webhooks.conftest import run_worker
from webhooks import services
from webhooks.models import WebhookDelivery

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def owner():
    user = make_user()
    return user, make_publisher(owner=user)


def register(client, owner, url, events=()):
    user, publisher = owner
    client.force_login(user)
    response = client.post(
        f"/api/v1/publishers/{publisher.name}/webhooks",
        {"url": url, "events": list(events)},
        content_type="application/json",
    )
    assert response.status_code == 201, response.content
    return response.json()["data"]


def verify(secret: str, received) -> dict:
    """Check the signature and timestamp headers as a receiver would; the parsed body."""
    timestamp = received.headers["X-Naap-Timestamp"]
    assert abs(int(timestamp) - time.time()) < 60
    expected = hmac.new(
        secret.encode(), timestamp.encode() + b"." + received.body, hashlib.sha256
    ).hexdigest()
    assert hmac.compare_digest(received.headers["X-Naap-Signature"], f"v1={expected}")
    return json.loads(received.body)


def test_a_publish_is_delivered_signed_after_commit(client, owner, receiver):
    created = register(client, owner, receiver.url, ["version.published"])
    user, publisher = owner
    publish("my-wallet", "1.0.0", actor=user, publisher=publisher)
    assert receiver.requests == []  # queued, not sent inside the request
    run_worker()

    assert len(receiver.requests) == 1
    received = receiver.requests[0]
    body = verify(created["secret"], received)
    assert body["event"] == "version.published"
    assert body["package"] == "my-wallet"
    assert body["target"] == "my-wallet@1.0.0"
    assert received.headers["X-Naap-Event"] == "version.published"
    delivery = WebhookDelivery.objects.get()
    assert received.headers["X-Naap-Delivery"] == str(delivery.pk)
    assert delivery.status == "succeeded"
    assert delivery.attempts == 1
    assert delivery.response_status == 200
    assert delivery.response_ms is not None
    # A wrong secret does not verify.
    with pytest.raises(AssertionError):
        verify("whsec_wrong", received)


def test_a_failed_attempt_is_retried_with_backoff_then_succeeds(client, owner, receiver):
    created = register(client, owner, receiver.url)
    receiver.statuses.extend([500])
    user, publisher = owner
    services.send_test_event(actor=user, publisher=publisher, endpoint_id=created["id"])
    run_worker()

    delivery = WebhookDelivery.objects.get()
    assert len(receiver.requests) == 1
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("retrying", 1, 500)
    assert delivery.error == "HTTP 500"
    wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=25) < wait <= timedelta(seconds=30)
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after == delivery.next_attempt_at

    run_worker()  # not due yet: nothing is sent
    assert len(receiver.requests) == 1

    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())  # time passes
    run_worker()
    delivery.refresh_from_db()
    assert len(receiver.requests) == 2
    assert (delivery.status, delivery.attempts, delivery.response_status) == ("succeeded", 2, 200)
    assert verify(created["secret"], receiver.requests[1])["event"] == "webhook.test"
    # Both attempts carry the same delivery id, so receivers can drop duplicates.
    assert {r.headers["X-Naap-Delivery"] for r in receiver.requests} == {str(delivery.pk)}


def test_a_delivery_gives_up_after_the_last_attempt(client, owner, receiver, settings):
    settings.WEBHOOK_MAX_ATTEMPTS = 2
    created = register(client, owner, receiver.url)
    receiver.statuses.extend([503, 503, 503])
    user, publisher = owner
    services.send_test_event(actor=user, publisher=publisher, endpoint_id=created["id"])
    run_worker()
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    run_worker()
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("failed", 2, None)
    assert not DBTaskResult.objects.filter(status="READY").exists()
    assert len(receiver.requests) == 2


def test_nothing_is_sent_when_the_transaction_rolls_back(client, owner, receiver):
    register(client, owner, receiver.url)
    user, publisher = owner
    with pytest.raises(RuntimeError), transaction.atomic():
        publish("my-wallet", "1.0.0", actor=user, publisher=publisher)
        # Written with the audit row, its task too…
        assert WebhookDelivery.objects.count() == DBTaskResult.objects.count() == 1
        raise RuntimeError("the change fails")
    run_worker()
    assert WebhookDelivery.objects.count() == 0  # …and gone with it
    assert DBTaskResult.objects.count() == 0
    assert receiver.requests == []


def test_moderation_yank_and_rollback_events_reach_subscribed_endpoints_only(
    client, owner, receiver
):
    subscribed = [
        "version.approved",
        "version.rejected",
        "version.yanked",
        "deployment.rolled_back",
    ]
    created = register(client, owner, receiver.url, subscribed)
    user, publisher = owner
    staff = make_user(staff=True)
    publish("my-wallet", "0.9.0", actor=user, publisher=publisher)  # not subscribed
    publish("my-wallet", "1.0.0", actor=user, publisher=publisher)
    package = PluginVersion.objects.get(version="1.0.0").package
    rollback_deployment(actor=user, package=package, to_version="0.9.0", reason="Broken.")
    for version in ("1.1.0", "1.2.0"):
        publish("my-wallet", version, actor=user, publisher=publisher, deploy=False)
        PluginVersion.objects.filter(version=version).update(status="pending_review")
    approve_version(actor=staff, version=PluginVersion.objects.get(version="1.1.0"))
    reject_version(actor=staff, version=PluginVersion.objects.get(version="1.2.0"), reason="No.")
    yank_version(actor=user, version=PluginVersion.objects.get(version="1.0.0"), reason="Bug.")
    run_worker()
    events = [verify(created["secret"], r)["event"] for r in receiver.requests]
    assert sorted(events) == sorted(subscribed)


def test_delivery_time_check_refuses_a_private_address_in_production(
    client, owner, receiver, settings
):
    created = register(client, owner, receiver.url)
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    user, publisher = owner
    services.send_test_event(actor=user, publisher=publisher, endpoint_id=created["id"])
    run_worker()
    delivery = WebhookDelivery.objects.get()
    assert receiver.requests == []
    assert delivery.status == "retrying"
    assert delivery.error == "The URL must be an https:// address."


def test_rollout_events_are_delivered(client, owner, receiver):
    created = register(client, owner, receiver.url)
    user, publisher = owner
    publish("my-wallet", "1.0.0", actor=user, publisher=publisher)
    publish("my-wallet", "1.1.0", actor=user, publisher=publisher, deploy=False)
    package = PluginVersion.objects.get(version="1.0.0").package
    rollouts.start_rollout(
        actor=user,
        package=package,
        version="1.1.0",
        initial_percent=10,
        increment_percent=40,
        interval_seconds=60,
    )
    rollouts.advance_rollout(actor=user, package=package)
    rollouts.promote_rollout(actor=user, package=package)
    publish("my-wallet", "1.2.0", actor=user, publisher=publisher, deploy=False)
    rollouts.start_rollout(
        actor=user,
        package=package,
        version="1.2.0",
        initial_percent=5,
        increment_percent=5,
        interval_seconds=60,
    )
    rollouts.abort_rollout(actor=user, package=package, reason="Errors in the field.")
    run_worker()

    bodies = sorted(
        (verify(created["secret"], r) for r in receiver.requests), key=lambda b: b["occurredAt"]
    )
    rollout_bodies = [b for b in bodies if b["event"].startswith("rollout.")]
    assert [b["event"] for b in rollout_bodies] == [
        "rollout.started",
        "rollout.advanced",
        "rollout.promoted",
        "rollout.started",
        "rollout.aborted",
    ]
    assert all(b["package"] == "my-wallet" for b in rollout_bodies)
    assert rollout_bodies[1]["details"]["toPercent"] == 50
    assert rollout_bodies[-1]["details"]["reason"] == "Errors in the field."
