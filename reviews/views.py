"""The plugin page's review forms: rate, edit, delete, reply. Each posts, calls the service
and goes back to the reviews on the plugin's page with a message."""

from __future__ import annotations

import math
from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_POST

from naap.errors import NaapError, NotFound
from naap.http import client_ip
from naap.throttles import ScopedThrottle
from registry.selectors import visible_package
from reviews import selectors, services
from reviews.forms import ReplyForm, ReviewForm


def _back(name: str):
    return redirect(reverse("plugin-detail", args=[name]) + "#reviews")


def _throttled(request) -> HttpResponse | None:
    """The API's review rate applied to the page's forms: a 429 page past it."""
    throttle = ScopedThrottle()
    if throttle.allow_request(request, SimpleNamespace(throttle_scope="review")):
        return None
    wait = math.ceil(throttle.wait() or 1)
    return HttpResponse(
        f"Too many review changes: try again in {wait} seconds.",
        status=429,
        content_type="text/plain; charset=utf-8",
        headers={"Retry-After": str(wait)},
    )


def _first_error(form) -> str:
    return next(iter(form.errors.values()))[0]


@login_required
@require_POST
def save_review(request, name: str):
    """Rate the plugin, or change your rating."""
    refused = _throttled(request)
    if refused is not None:
        return refused
    try:
        package = visible_package(name=name, user=request.user)
    except NotFound as error:
        raise Http404(error.message) from error
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Your review was not saved: {_first_error(form)}")
        return _back(name)
    exists = selectors.own_review(user=request.user, package=package) is not None
    write = services.edit_review if exists else services.create_review
    try:
        write(actor=request.user, name=name, ip=client_ip(request), **form.cleaned_data)
    except NaapError as error:
        messages.error(request, f"Your review was not saved: {error.message}")
    else:
        messages.success(request, "Your review was updated." if exists else "Thanks for rating.")
    return _back(name)


@login_required
@require_POST
def delete_review(request, name: str):
    refused = _throttled(request)
    if refused is not None:
        return refused
    try:
        services.delete_review(actor=request.user, name=name, ip=client_ip(request))
    except NaapError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, "Your review was deleted.")
    return _back(name)


@login_required
@require_POST
def reply_to_review(request, name: str, review_id: int):
    refused = _throttled(request)
    if refused is not None:
        return refused
    form = ReplyForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Your reply was not saved: {_first_error(form)}")
        return _back(name)
    try:
        services.reply_to_review(
            actor=request.user,
            name=name,
            review_id=review_id,
            text=form.cleaned_data["text"],
            ip=client_ip(request),
        )
    except NaapError as error:
        messages.error(request, f"Your reply was not saved: {error.message}")
    else:
        messages.success(request, "Your reply is published.")
    return _back(name)
