"""The page where a publisher's members (or staff) make a plugin a preview and name its
testers: `/plugins/<name>/testers/`, on the same services as the API (installs/testers.py)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render

from installs import testers
from naap.errors import Forbidden, NaapError, NotFound
from naap.forms import attach_errors
from naap.http import client_ip


def _names(text: str) -> list[str]:
    """Names written one per line or separated by commas or spaces."""
    return [name for name in text.replace(",", " ").split() if name]


class TestersForm(forms.Form):
    preview = forms.BooleanField(
        required=False,
        label="Preview: only the testers below, the publisher's members and staff see it",
    )
    users = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=testers.MAX_TESTER_USERS * (testers.MAX_NAME_LENGTH + 1),
        label="People (usernames)",
        help_text=f"One per line or separated by commas; at most {testers.MAX_TESTER_USERS}.",
    )
    teams = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=testers.MAX_TESTER_TEAMS * (testers.MAX_NAME_LENGTH + 1),
        label="Teams (names)",
        help_text=f"Every member of each team tests it; at most {testers.MAX_TESTER_TEAMS}.",
    )


@login_required
def testers_page(request, name: str):
    """Show and change whether a plugin is a preview, and who tests it."""
    try:
        current = testers.preview_settings(actor=request.user, name=name)
    except NotFound as error:
        raise Http404(error.message) from error
    except Forbidden as error:
        raise PermissionDenied(error.message) from error
    if request.method == "POST":
        form = TestersForm(request.POST)
        if form.is_valid():
            try:
                testers.set_preview_testers(
                    actor=request.user,
                    name=name,
                    preview=form.cleaned_data["preview"],
                    users=_names(form.cleaned_data["users"]),
                    teams=_names(form.cleaned_data["teams"]),
                    ip=client_ip(request),
                )
            except NaapError as error:
                attach_errors(form, error)
            else:
                messages.success(request, f"Saved who previews {current.package.display_name}.")
                return redirect("plugin-testers-page", name=name)
    else:
        form = TestersForm(
            initial={
                "preview": current.package.preview,
                "users": "\n".join(user.get_username() for user in current.users),
                "teams": "\n".join(team.name for team in current.teams),
            }
        )
    return render(
        request,
        "installs/testers.html",
        {"package": current.package, "form": form},
        status=400 if form.errors else 200,
    )
