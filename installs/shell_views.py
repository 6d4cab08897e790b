"""The demo shell: /shell/… on the marketplace, and the sandboxed frame its plugins run in.

The page at /shell/… belongs to the marketplace (header, the person's session). Plugin code
never runs there: it runs in /sandbox/shell/…, framed by that page with `sandbox` (attribute
and Content-Security-Policy), so its origin is opaque and it holds no cookie, no storage and
no reach into the marketplace. The frame receives what it needs inline: the person (roles and
teams included), the bootstrap and one short-lived token per plugin for that plugin's own
routes, which the page renews (docs/shell-runtime.md, "Isolation").
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_safe

from installs.bootstrap import bootstrap_data, person_bootstrap
from installs.cache import remember_person
from installs.models import TeamMembership
from installs.plugin_grants import grants_for
from registry.frame_csp import approved_origins_of, loaded_plugins, shell_loads, with_frame_csp
from registry.shell_views import runtime_config


def _route_suffix(route: str) -> str:
    return f"/{route}" if route else "/"


def _teams_of(user) -> list[dict]:
    """The person's teams and role in each, for the plugins' `team` context."""
    memberships = TeamMembership.objects.filter(user=user).select_related("team")
    return [
        {
            "id": membership.team_id,
            "name": membership.team.name,
            "displayName": membership.team.display_name,
            "role": membership.role,
        }
        for membership in memberships
    ]


@require_safe
@login_required
def shell_page(request: HttpRequest, route: str = "") -> HttpResponse:
    """The marketplace's page around the shell frame, at the URL people bookmark."""
    frame_url = reverse("shell-frame").rstrip("/") + _route_suffix(route)
    if request.META.get("QUERY_STRING"):
        frame_url += "?" + request.META["QUERY_STRING"]
    return render(
        request,
        "shell/shell.html",
        {
            "frame_url": frame_url,
            "frame_sandbox": " ".join(settings.PLUGIN_FRAME_SANDBOX),
            "host_config": {
                "hostBasePath": reverse("shell").rstrip("/"),
                # The frame's versions: fresh manifests on Retry come from the same bootstrap.
                "bootstrapUrl": reverse("plugins-installed")
                + "?"
                + urlencode({"shellVersion": settings.NAAP_SHELL_VERSION}),
                # Renews plugins' tokens with the session: the header, as the cookie is not
                # readable by script when CSRF_COOKIE_HTTPONLY is set.
                "tokenUrl": reverse("plugin-token", args=["__name__"]),
                "csrfToken": get_token(request),
            },
        },
    )


@require_safe
@never_cache
@xframe_options_sameorigin
def shell_frame(request: HttpRequest, route: str = "") -> HttpResponse:
    """The shell itself, run inside the sandboxed frame of shell_page."""
    if not request.user.is_authenticated:
        # Only the marketplace's own page sends the session here (plugin code cannot).
        signed_out = render(request, "shell/frame_signed_out.html", status=403)
        return with_frame_csp(request, signed_out, [])
    # For the shell's version: versions whose shell range leaves it out are skipped.
    entry = person_bootstrap(user=request.user, shell_version=settings.NAAP_SHELL_VERSION)
    remember_person(request.user)
    bootstrap = bootstrap_data(entry)
    names = [plugin["name"] for plugin in bootstrap["plugins"] if shell_loads(plugin)]
    config = runtime_config(request)
    config["user"]["teams"] = _teams_of(request.user)
    config["user"]["roles"] += [
        f"team:{team['name']}:{team['role']}" for team in config["user"]["teams"]
    ]
    config = {
        **config,
        "bootstrap": bootstrap,
        "grants": grants_for(request, names),
        "tokenLifetime": settings.NAAP_PLUGIN_TOKEN_LIFETIME,
        "globalsUrl": reverse("shell-globals"),
        "basePath": reverse("shell-frame").rstrip("/"),
        "bridge": True,
    }
    response = render(request, "shell/frame.html", {"shell_config": config})
    # connect-src: the origins the loaded plugins declare that staff approved (and no other).
    origins = approved_origins_of(loaded_plugins(bootstrap["plugins"]))
    return with_frame_csp(request, response, origins)
