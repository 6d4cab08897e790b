"""Which version of a plugin a person runs: pinned, else the canary for people in its bucket,
else the deployed one; for a shell version, the first of those its range admits, else the
newest compatible release no newer than the deployed one (docs/decisions.md, "The shell
bootstrap")."""

from __future__ import annotations

import hashlib
from typing import Any

from django.db.models import Q

from installs.models import TenantPluginInstall
from registry import semver
from registry.models import PluginVersion

# A pinned version keeps resolving after it is yanked: a team pinned it on purpose.
PINNABLE_VERSION_STATUSES = (PluginVersion.Status.PUBLISHED, PluginVersion.Status.YANKED)


def canary_bucket(*, user_id: int, name: str, team_id: int | None = None) -> int:
    """The stable bucket (0-99) of a person, or of a team for a team's install, for a
    package's rollout: people whose bucket is below the candidate's share run it.

    It depends only on who and which package, never on the share or the version, so a person
    (a whole team) in the candidate at 10 % is still in it at 20 %, and nobody flips back and
    forth as a rollout advances.
    """
    tenant = f"team:{team_id}" if team_id is not None else str(user_id)
    digest = hashlib.sha256(f"{tenant}:{name}".encode()).hexdigest()
    return int(digest[:8], 16) % 100


def install_bucket(install: TenantPluginInstall, *, user_id: int) -> int:
    """The bucket an installation's people fall in: the team's for a team install (everyone
    in the team sees the same version), else the person's."""
    return canary_bucket(user_id=user_id, name=install.package.name, team_id=install.team_id)


def versions_to_try(install: TenantPluginInstall, *, user_id: int) -> list[PluginVersion]:
    """The versions an installation may resolve to for a user, best first: the pinned one
    alone when it is pinned; else the canary (for users in its bucket), then the deployed one.
    """
    pinned = install.pinned_version
    if (
        pinned is not None
        and pinned.package_id == install.package_id
        and pinned.status in PINNABLE_VERSION_STATUSES
    ):
        return [pinned]
    deployment = getattr(install.package, "deployment", None)
    if deployment is None:
        return []
    choices = []
    canary = deployment.canary_version
    if (
        canary is not None
        and canary.status == PluginVersion.Status.PUBLISHED
        and deployment.canary_percent > 0
        and install_bucket(install, user_id=user_id) < deployment.canary_percent
    ):
        choices.append(canary)
    deployed = deployment.version
    if deployed is not None and deployed.status == PluginVersion.Status.PUBLISHED:
        choices.append(deployed)
    return choices


def version_for_user(install: TenantPluginInstall, *, user_id: int) -> PluginVersion | None:
    """The version an installation resolves to for a user: pinned, else canary, else deployed."""
    choices = versions_to_try(install, user_id=user_id)
    return choices[0] if choices else None


def _shell_admits(manifest: dict[str, Any], shell_version: str) -> bool:
    return _range_admits(manifest.get("shell"), shell_version)


def _range_admits(shell: dict[str, Any] | None, shell_version: str) -> bool:
    """Whether a manifest's `shell` range (minVersion, maxVersion) admits the shell's version."""
    shell = shell if isinstance(shell, dict) else {}
    try:
        return semver.satisfies_range(
            shell_version, minimum=shell.get("minVersion"), maximum=shell.get("maxVersion")
        )
    except semver.InvalidVersion:
        # Publishing validates the range; a row that slipped through should not hide a plugin.
        return True


def _newest_compatible(
    ceilings: dict[int, str], *, shell_version: str, tried: set[int]
) -> dict[int, PluginVersion]:
    """For each package (id: the sort_key of its deployed version), the newest published
    release at or below its deployed version whose shell range admits the shell's version.

    Never above the deployed version: a newer release may be one staff published without
    deploying or rolled back from. Pre-releases are never picked for people. Two queries for
    all packages: the candidates' ids and shell ranges, then the chosen versions' rows.
    """
    if not ceilings:
        return {}
    at_or_below = Q()
    for package_id, sort_key in ceilings.items():
        at_or_below |= Q(package_id=package_id, sort_key__lte=sort_key)
    candidates = (
        PluginVersion.objects.filter(
            at_or_below, status=PluginVersion.Status.PUBLISHED, prerelease=""
        )
        .exclude(pk__in=tried)
        .order_by("package_id", "-sort_key")
        .values_list("pk", "package_id", "manifest__shell")
    )
    chosen: dict[int, int] = {}
    for pk, package_id, shell in candidates:
        if package_id not in chosen and _range_admits(shell, shell_version):
            chosen[package_id] = pk
    if not chosen:
        return {}
    versions = PluginVersion.objects.filter(pk__in=list(chosen.values())).order_by()
    return {version.package_id: version for version in versions}


def resolve_versions(
    installs: list[TenantPluginInstall], *, user_id: int, shell_version: str
) -> tuple[list[tuple[TenantPluginInstall, PluginVersion]], list[str]]:
    """The version each installation runs for a user and the shell's version, and the names
    of the packages left out because no version they may run admits the shell.

    Without a shell version: pinned, else canary, else deployed. With one, the first of
    those the shell's range admits; when neither the canary nor the deployed version does,
    the newest compatible published release no newer than the deployed one (two queries for
    every such package; none when nothing is deployed). A pinned version is kept on purpose:
    when it does not admit the shell, the plugin is incompatible.
    """
    resolved: list[tuple[TenantPluginInstall, PluginVersion]] = []
    incompatible: list[str] = []
    fall_back: dict[int, TenantPluginInstall] = {}
    tried: set[int] = set()
    for install in installs:
        choices = versions_to_try(install, user_id=user_id)
        if not choices:
            continue
        if shell_version:
            tried.update(version.pk for version in choices)
            admitted = [v for v in choices if _shell_admits(v.manifest, shell_version)]
            if not admitted:
                if choices[0] is install.pinned_version:
                    incompatible.append(install.package.name)
                else:
                    fall_back[install.package_id] = install
                continue
            choices = admitted
        resolved.append((install, choices[0]))
    ceilings = {}
    for package_id, install in fall_back.items():
        deployed = install.package.deployment.version
        if deployed is not None:
            ceilings[package_id] = deployed.sort_key
    newest = _newest_compatible(ceilings, shell_version=shell_version, tried=tried)
    for package_id, install in fall_back.items():
        if package_id in newest:
            resolved.append((install, newest[package_id]))
        else:
            incompatible.append(install.package.name)
    for install, version in resolved:
        # The version's package is the install's; sharing it saves a query per plugin.
        version.package = install.package
    return resolved, incompatible
