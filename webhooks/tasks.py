"""The delivery task: one attempt per run, POSTing the signed body; a failed attempt queues
the next one with exponential backoff until WEBHOOK_MAX_ATTEMPTS is reached.

Runs on the django.tasks backend of settings.TASKS (the database backend: a queued attempt
survives restarts, and any number of `manage.py db_worker` processes share the queue).
"""

from __future__ import annotations

import json
import time
from datetime import timedelta

import requests
from django.conf import settings
from django.tasks import task
from django.utils import timezone

from naap.errors import NaapError
from webhooks import signing
from webhooks.destinations import check_url
from webhooks.models import WebhookDelivery

Status = WebhookDelivery.Status


def backoff(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed attempt: base * 4^(attempts - 1)."""
    return timedelta(seconds=settings.WEBHOOK_BACKOFF_SECONDS * 4 ** (attempts - 1))


def _attempt(delivery: WebhookDelivery) -> tuple[int | None, str]:
    """POST the delivery once: the response status (None when there was none) and an error."""
    endpoint = delivery.endpoint
    try:
        check_url(endpoint.url, resolve=True)
    except NaapError as error:
        return None, error.message
    body = json.dumps(delivery.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "NaaP-Webhooks/1",
        "X-Naap-Event": delivery.event,
        "X-Naap-Delivery": str(delivery.pk),
        "X-Naap-Timestamp": str(timestamp),
        "X-Naap-Signature": signing.signature(
            signing.decrypt_secret(endpoint.secret_encrypted), timestamp, body
        ),
    }
    try:
        response = requests.post(
            endpoint.url,
            data=body,
            headers=headers,
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
        )
    except requests.RequestException as error:
        return None, type(error).__name__
    response.close()
    if 200 <= response.status_code < 300:
        return response.status_code, ""
    return response.status_code, f"HTTP {response.status_code}"


@task()
def deliver_webhook(delivery_id: int) -> str:
    """Make one attempt at a delivery; queue the next one with backoff when it fails."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.status in {Status.SUCCEEDED, Status.FAILED}:
        return "skipped"
    started = time.monotonic()
    response_status, error = _attempt(delivery)
    delivery.response_ms = round((time.monotonic() - started) * 1000)
    delivery.response_status = response_status
    delivery.error = error[:255]
    delivery.attempts += 1
    now = timezone.now()
    if not error:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
            Status.SUCCEEDED,
            now,
            None,
        )
    elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
        delivery.status, delivery.next_attempt_at = Status.FAILED, None
    else:
        delivery.status = Status.RETRYING
        delivery.next_attempt_at = now + backoff(delivery.attempts)
    delivery.save()
    if delivery.status == Status.RETRYING:
        deliver_webhook.using(run_after=delivery.next_attempt_at).enqueue(delivery.pk)
    return delivery.status
