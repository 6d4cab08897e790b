"""The publisher's webhooks page: register endpoints (the secret shown once), send a test
event, remove one, and read each endpoint's delivery log."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from naap.errors import NaapError
from naap.forms import attach_errors
from naap.http import client_ip
from registry.models import Publisher
from webhooks import services
from webhooks.events import EVENT_NAMES
from webhooks.models import WebhookDelivery, WebhookEndpoint

LOG_ROWS = 20


class EndpointForm(forms.Form):
    publisher = forms.ChoiceField()
    url = forms.CharField(label="URL", max_length=2000, help_text="An https:// address.")
    events = forms.MultipleChoiceField(
        choices=[(name, name) for name in EVENT_NAMES],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="None ticked: every event.",
    )

    def __init__(self, *args, publishers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["publisher"].choices = [(p.name, p.display_name) for p in publishers]


def _log(endpoint: WebhookEndpoint) -> list[WebhookDelivery]:
    return list(endpoint.deliveries.all()[:LOG_ROWS])


@login_required
def webhooks_page(request):
    """List the endpoints of the signed-in person's publishers; POST registers one."""
    publishers = list(Publisher.objects.filter(memberships__user=request.user).order_by("name"))
    form = EndpointForm(request.POST or None, publishers=publishers)
    secret = None
    if request.method == "POST" and form.is_valid():
        publisher = next(p for p in publishers if p.name == form.cleaned_data["publisher"])
        try:
            _, secret = services.register_endpoint(
                actor=request.user,
                publisher=publisher,
                url=form.cleaned_data["url"],
                events=form.cleaned_data["events"],
                ip=client_ip(request),
            )
        except NaapError as error:
            attach_errors(form, error)
        else:
            form = EndpointForm(publishers=publishers)
    endpoints = (
        WebhookEndpoint.objects.filter(publisher__in=publishers)
        .select_related("publisher")
        .prefetch_related(Prefetch("deliveries", queryset=WebhookDelivery.objects.order_by("-id")))
    )
    rows = [(endpoint, _log(endpoint)) for endpoint in endpoints]
    response = render(
        request,
        "webhooks/webhooks.html",
        {"form": form, "rows": rows, "publishers": publishers, "secret": secret},
    )
    # The page may hold a secret: keep it out of every cache.
    response["Cache-Control"] = "no-store"
    return response


def _publisher(endpoint_id: int) -> Publisher:
    return get_object_or_404(
        WebhookEndpoint.objects.select_related("publisher"), pk=endpoint_id
    ).publisher


@login_required
@require_POST
def webhook_test(request, endpoint_id: int):
    """Queue a test event to one endpoint."""
    try:
        services.send_test_event(
            actor=request.user, publisher=_publisher(endpoint_id), endpoint_id=endpoint_id
        )
    except NaapError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Test event queued; its delivery appears in the log below.")
    return redirect("webhooks-page")


@login_required
@require_POST
def webhook_delete(request, endpoint_id: int):
    """Remove an endpoint and its log."""
    try:
        services.delete_endpoint(
            actor=request.user,
            publisher=_publisher(endpoint_id),
            endpoint_id=endpoint_id,
            ip=client_ip(request),
        )
    except NaapError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Webhook removed.")
    return redirect("webhooks-page")
