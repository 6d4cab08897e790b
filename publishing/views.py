"""Pages for publishers: create a publisher, manage API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from naap.errors import NaapError
from naap.forms import attach_errors
from naap.http import client_ip
from publishing import services
from publishing.forms import PublisherForm, TokenForm
from publishing.models import ApiToken
from registry.models import Publisher

FORM_FIELD_NAMES = {"displayName": "display_name", "expiresAt": "expires_at"}


@login_required
def publisher_new(request):
    form = PublisherForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            publisher = services.create_publisher(
                actor=request.user,
                name=form.cleaned_data["name"],
                display_name=form.cleaned_data["display_name"],
                email=form.cleaned_data["email"],
                website=form.cleaned_data["website"],
                ip=client_ip(request),
            )
        except NaapError as error:
            attach_errors(form, error, field_for=lambda path: FORM_FIELD_NAMES.get(path, path))
        else:
            messages.success(request, f"Publisher {publisher.name} created; staff will verify it.")
            return redirect("token-page")
    return render(request, "publishing/publisher_new.html", {"form": form})


@login_required
def token_page(request):
    publishers = list(Publisher.objects.filter(memberships__user=request.user).order_by("name"))
    form = TokenForm(request.POST or None, publishers=publishers)
    secret = None
    if request.method == "POST" and form.is_valid():
        publisher = next(p for p in publishers if p.name == form.cleaned_data["publisher"])
        try:
            _, secret = services.create_api_token(
                actor=request.user,
                publisher=publisher,
                name=form.cleaned_data["name"],
                scopes=form.cleaned_data["scopes"],
                package_names=form.package_names(),
                expires_at=form.cleaned_data["expires_at"],
                ip=client_ip(request),
            )
        except NaapError as error:
            attach_errors(form, error, field_for=lambda path: FORM_FIELD_NAMES.get(path, path))
        else:
            form = TokenForm(publishers=publishers)
    rows = (
        ApiToken.objects.filter(publisher__in=publishers)
        .select_related("publisher")
        .prefetch_related("packages")
        .order_by("-created_at")
    )
    response = render(
        request,
        "publishing/tokens.html",
        {"form": form, "tokens": rows, "publishers": publishers, "secret": secret},
    )
    # The page may hold a secret: keep it out of every cache.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request, token_id: int):
    try:
        token = services.revoke_api_token(
            actor=request.user, token_id=token_id, ip=client_ip(request)
        )
    except NaapError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, f"Token {token.prefix}… revoked.")
    return redirect("token-page")
