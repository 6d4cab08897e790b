"""Shared set-up of the installs tests: JSON requests, the wallet plugin and its config schema."""

from __future__ import annotations

import re

from installs.models import TenantPluginInstall
from registry.models import AuditEvent, PluginDeployment, PluginPackage
from tests.factories import publish

WALLET_SCHEMA = {
    "type": "object",
    "properties": {
        "refreshSeconds": {"type": "integer", "minimum": 5, "maximum": 3600, "default": 30},
        "currency": {"type": "string", "enum": ["EUR", "USD"], "default": "EUR"},
        "label": {"type": "string", "minLength": 2, "maxLength": 20},
        "ratio": {"type": "number", "minimum": 0, "maximum": 1},
        "compact": {"type": "boolean"},
        "accounts": {"type": "array", "items": {"type": "string"}, "maxItems": 3},
        "theme": {"type": "object", "properties": {"accent": {"type": "string"}}},
    },
}


def publish_plugin(name: str = "my-wallet", version: str = "1.0.0", **kwargs):
    """Publish a plugin with the wallet's config schema through the real service."""
    kwargs.setdefault("config", {"schema": WALLET_SCHEMA})
    return publish(name, version, **kwargs)


def send(client, method: str, url: str, body=None, **extra):
    """A JSON request with the test client."""
    call = getattr(client, method)
    if body is None:
        return call(url, content_type="application/json", **extra)
    return call(url, body, content_type="application/json", **extra)


def install(client, name: str = "my-wallet", **body):
    return send(client, "post", f"/api/v1/plugins/{name}/install", body)


def uninstall(client, name: str = "my-wallet", **body):
    return send(client, "delete", f"/api/v1/plugins/{name}/uninstall", body)


def error_of(response) -> dict:
    """The error object of a failure envelope."""
    body = response.json()
    assert body["success"] is False
    return body["error"]


def counters(name: str = "my-wallet") -> tuple[int, int]:
    """(package install_count, deployment active_installs)."""
    package = PluginPackage.objects.get(name=name)
    deployment = PluginDeployment.objects.get(package=package)
    return package.install_count, deployment.active_installs


def nothing_installed(name: str = "my-wallet") -> bool:
    """No installation rows, counters at zero and no install audit event."""
    return (
        not TenantPluginInstall.objects.filter(package__name=name).exists()
        and counters(name) == (0, 0)
        and not AuditEvent.objects.filter(action="plugin.install").exists()
    )


class TeamAdmin:
    """Team changes as staff make them: through the Django admin's pages (no service changes
    teams; only the demo data makes one), so they retire cached bootstraps as the admin does."""

    def __init__(self):
        from django.test import Client

        from tests.factories import make_user

        self.client = Client()
        self.client.force_login(make_user(staff=True))

    def _post(self, url: str, data: dict) -> None:
        response = self.client.post(url, data)
        assert response.status_code == 302, response.content.decode()[:2000]

    def add_member(self, team, user, role: str = "member") -> None:
        self._post(
            "/admin/installs/teammembership/add/",
            {"team": team.pk, "user": user.pk, "role": role},
        )

    def remove_member(self, team, user) -> None:
        from installs.models import TeamMembership

        membership = TeamMembership.objects.get(team=team, user=user)
        self._post(f"/admin/installs/teammembership/{membership.pk}/delete/", {"post": "yes"})

    def rename(self, team, name: str) -> None:
        """Save the team's change page with a new name and its memberships as they are."""
        memberships = list(team.memberships.order_by("pk"))
        data = {
            "name": name,
            "display_name": team.display_name,
            "memberships-TOTAL_FORMS": len(memberships),
            "memberships-INITIAL_FORMS": len(memberships),
            "memberships-MIN_NUM_FORMS": 0,
            "memberships-MAX_NUM_FORMS": 1000,
        }
        for index, membership in enumerate(memberships):
            data |= {
                f"memberships-{index}-id": membership.pk,
                f"memberships-{index}-team": team.pk,
                f"memberships-{index}-user": membership.user_id,
                f"memberships-{index}-role": membership.role,
            }
        self._post(f"/admin/installs/team/{team.pk}/change/", data)


BOOTSTRAP = "/api/v1/plugins/installed"


def bootstrap(client, **query) -> dict:
    """The `data` of the client's bootstrap (asserting a 200)."""
    response = client.get(BOOTSTRAP, query)
    assert response.status_code == 200, response.content
    return response.json()["data"]


def plugins_of(client, **query) -> dict[str, dict]:
    """The client's bootstrap plugins by name."""
    return {item["name"]: item for item in bootstrap(client, **query)["plugins"]}


def frame_grants(client, *names: str) -> dict[str, str]:
    """The grants the shell frame's page gives the signed-in person's plugins, by name."""
    page = client.get("/sandbox/shell/").content.decode()
    pattern = "|".join(re.escape(name) for name in names)
    found = dict(re.findall(rf'"({pattern})": "(gAAAA[^"]+)"', page))
    assert set(found) == set(names)
    return found
