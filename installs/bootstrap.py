"""A person's shell bootstrap: their effective plugins with manifests, as the API sends it
(`GET /api/v1/plugins/installed`) and as the sandboxed demo shell receives it inline; and the
same plugins in upstream NaaP's flat shape (`GET /api/v1/base/plugins/personalized`), built
with it into the same cache entry."""

from __future__ import annotations

import json

from installs import selectors
from installs.api import serializers as shapes
from installs.cache import BootstrapEntry, BuiltBootstrap, cached_bootstrap
from installs.services import install_previews_on_first_boot
from registry.field_reports import issue_ticket


def person_bootstrap(
    *, user, team_id: int | None = None, shell_version: str = ""
) -> BootstrapEntry:
    """The cached bootstrap entry of a person (and team), built on a miss."""

    def build() -> BuiltBootstrap:
        bootstrap = selectors.effective_plugins(
            user=user, team_id=team_id, shell_version=shell_version
        )
        # A tester's first boot installs the previews they test (upstream NaaP writes their
        # preference rows then), once: read again to show the rows it made. The entry it
        # makes is stamped before those writes, so the next boot builds once more.
        if bootstrap.first_boot and install_previews_on_first_boot(
            actor=user, testers=list(bootstrap.first_boot)
        ):
            bootstrap = selectors.effective_plugins(
                user=user, team_id=team_id, shell_version=shell_version
            )
        data: dict = {
            "plugins": shapes.InstalledPluginSerializer(bootstrap.plugins, many=True).data,
            # What the shell may send field reports for (registry.field_reports).
            "reportTicket": issue_ticket(
                {f"{p.name}@{p.version.version}": p.version.pk for p in bootstrap.plugins}
            ),
        }
        if shell_version:
            data["shellVersion"] = shell_version
            data["incompatible"] = bootstrap.incompatible
        return BuiltBootstrap(
            data,
            bootstrap.team_ids,
            bootstrap.package_names,
            personalized=personalized_answer(bootstrap.plugins, team_id=team_id),
        )

    return cached_bootstrap(
        user_id=user.pk, team_id=team_id, shell_version=shell_version, build=build
    )


def personalized_answer(plugins: list, *, team_id: int | None) -> dict:
    """The whole answer of the personalized endpoint (envelope included, no timestamp, so the
    cache entry holds its final bytes): upstream's `{plugins, context, teamId?}`."""
    data: dict = {
        "plugins": shapes.PersonalizedPluginSerializer(plugins, many=True).data,
        "context": "team" if team_id is not None else "personal",
    }
    if team_id is not None:
        data["teamId"] = team_id
    return {"success": True, "data": data}


def bootstrap_data(entry: BootstrapEntry) -> dict:
    """The `data` of a bootstrap entry as a dict."""
    return json.loads(entry.body)
