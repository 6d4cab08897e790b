"""A person's shell bootstrap: their effective plugins with manifests, as the API sends it
(`GET /api/v1/plugins/installed`) and as the sandboxed demo shell receives it inline."""

from __future__ import annotations

import json

from installs import selectors
from installs.api import serializers as shapes
from installs.cache import BootstrapEntry, BuiltBootstrap, cached_bootstrap


def person_bootstrap(
    *, user, team_id: int | None = None, shell_version: str = ""
) -> BootstrapEntry:
    """The cached bootstrap entry of a person (and team), built on a miss."""

    def build() -> BuiltBootstrap:
        bootstrap = selectors.effective_plugins(
            user=user, team_id=team_id, shell_version=shell_version
        )
        data: dict = {
            "plugins": shapes.InstalledPluginSerializer(bootstrap.plugins, many=True).data
        }
        if shell_version:
            data["shellVersion"] = shell_version
            data["incompatible"] = bootstrap.incompatible
        return BuiltBootstrap(data, bootstrap.team_ids, bootstrap.package_names)

    return cached_bootstrap(
        user_id=user.pk, team_id=team_id, shell_version=shell_version, build=build
    )


def bootstrap_data(entry: BootstrapEntry) -> dict:
    """The `data` of a bootstrap entry as a dict."""
    return json.loads(entry.body)
