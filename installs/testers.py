"""Preview testers: a publisher's members (or staff) make a package a preview, seen only by
the people and teams they name (registry.visibility), who get it as if installed.

Services here follow installs/services.py: keyword-only arguments, one transaction,
naap.errors, an audit row for each change, the cached answers they change retired.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from installs.cache import bump_tenants
from installs.models import PreviewTester, Team
from installs.tester_selectors import preview_testers_of
from naap.errors import Forbidden, NotFound, ValidationFailed
from registry.audit import AuditAction
from registry.cache import invalidate_package
from registry.membership import LIST_PACKAGES, may_act_for_publisher
from registry.models import PluginPackage
from registry.services import record_audit_event
from registry.signals import preview_changed
from registry.visibility import may_see

# A preview is for a few named people, not a second audience: bounded, so one request cannot
# write (or retire the bootstraps of) thousands.
MAX_TESTER_USERS = 100
MAX_TESTER_TEAMS = 20
MAX_NAME_LENGTH = 150


@dataclass(frozen=True)
class PreviewSettings:
    """Whether a package is a preview, and who tests it."""

    package: PluginPackage
    testers: list[PreviewTester]

    @property
    def users(self) -> list:
        return [tester.user for tester in self.testers if tester.user_id]

    @property
    def teams(self) -> list[Team]:
        return [tester.team for tester in self.testers if tester.team_id]


def _managed_package(*, actor, name: str, lock: bool) -> PluginPackage:
    """The package, once the actor may manage its preview: a member of its publisher, or
    staff allowed to list packages. A preview the actor may not see is a missing name."""
    packages = PluginPackage.objects.select_related("publisher")
    if lock:
        packages = packages.select_for_update(of=("self",))
    package = packages.filter(name=name).first()
    if package is None or not may_see(actor, package):
        raise NotFound(f"No plugin named '{name}'.")
    if not may_act_for_publisher(actor, package.publisher, staff_permission=LIST_PACKAGES):
        raise Forbidden(
            f"Only members of '{package.publisher.name}' or staff may choose who previews it."
        )
    return package


def preview_settings(*, actor, name: str) -> PreviewSettings:
    """A package's preview flag and testers, for its publisher's members and staff."""
    package = _managed_package(actor=actor, name=name, lock=False)
    return PreviewSettings(package, preview_testers_of(package))


def _named(names: list[str], *, field: str, limit: int) -> list[str]:
    """The distinct names asked for, in order, once each is a bounded string."""
    if not isinstance(names, list):
        raise ValidationFailed(f"{field} must be a list of names.", field=field)
    if len(names) > limit:
        raise ValidationFailed(f"Name at most {limit} {field} as testers.", field=field)
    wanted: list[str] = []
    for name in names:
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME_LENGTH:
            raise ValidationFailed(
                f"Each of {field} is a name of 1 to {MAX_NAME_LENGTH} characters.", field=field
            )
        if name.strip() not in wanted:
            wanted.append(name.strip())
    return wanted


def _users_named(usernames: list[str]) -> dict[int, object]:
    user_model = get_user_model()
    found = {
        user.get_username(): user
        for user in user_model.objects.filter(
            **{f"{user_model.USERNAME_FIELD}__in": usernames}, is_active=True
        )
    }
    unknown = [name for name in usernames if name not in found]
    if unknown:
        raise ValidationFailed(
            f"No active person is named {', '.join(unknown)}: name people by their username.",
            field="users",
            details={"unknown": unknown},
        )
    return {user.pk: user for user in found.values()}


def _teams_named(names: list[str]) -> dict[int, Team]:
    found = {team.name: team for team in Team.objects.filter(name__in=names)}
    unknown = [name for name in names if name not in found]
    if unknown:
        raise ValidationFailed(
            f"No team is named {', '.join(unknown)}.",
            field="teams",
            details={"unknown": unknown},
        )
    return {team.pk: team for team in found.values()}


@transaction.atomic
def set_preview_testers(
    *,
    actor,
    name: str,
    preview: bool,
    users: list[str],
    teams: list[str],
    ip: str | None = None,
) -> PreviewSettings:
    """Make a package a preview (or public again) and replace its testers with these people
    (usernames) and teams (names); idempotent.

    What changed is retired from the caches: the package's manifests and every bootstrap
    showing it when the flag moves (with the core set's, since a core package leaves or
    rejoins it), and the bootstraps of every tester added or removed, and of all of them
    when the flag moves (their bootstraps gain or lose it).
    """
    usernames = _named(users, field="users", limit=MAX_TESTER_USERS)
    team_names = _named(teams, field="teams", limit=MAX_TESTER_TEAMS)
    package = _managed_package(actor=actor, name=name, lock=True)
    wanted_users = _users_named(usernames)
    wanted_teams = _teams_named(team_names)

    current = preview_testers_of(package)
    old_users = {tester.user_id for tester in current if tester.user_id}
    old_teams = {tester.team_id for tester in current if tester.team_id}
    gone = [
        tester.pk
        for tester in current
        if (tester.user_id and tester.user_id not in wanted_users)
        or (tester.team_id and tester.team_id not in wanted_teams)
    ]
    PreviewTester.objects.filter(pk__in=gone).delete()
    PreviewTester.objects.bulk_create(
        [
            PreviewTester(package=package, user_id=pk, added_by=actor)
            for pk in wanted_users
            if pk not in old_users
        ]
        + [
            PreviewTester(package=package, team_id=pk, added_by=actor)
            for pk in wanted_teams
            if pk not in old_teams
        ]
    )
    flag_moved = package.preview != preview
    if flag_moved:
        package.preview = preview
        package.save(update_fields=["preview", "updated_at"])
        record_audit_event(
            actor, AuditAction.PACKAGE_PREVIEW, package, ip=ip, details={"value": preview}
        )
        invalidate_package(package.name, core=package.is_core)
        preview_changed.send(sender=PluginPackage, package_id=package.pk)
    added_users = sorted(set(wanted_users) - old_users)
    removed_users = sorted(old_users - set(wanted_users))
    added_teams = sorted(set(wanted_teams) - old_teams)
    removed_teams = sorted(old_teams - set(wanted_teams))
    if added_users or removed_users or added_teams or removed_teams:
        record_audit_event(
            actor,
            AuditAction.PACKAGE_TESTERS,
            package,
            ip=ip,
            details={
                "addedUsers": added_users,
                "removedUsers": removed_users,
                "addedTeams": added_teams,
                "removedTeams": removed_teams,
            },
        )
    if flag_moved:
        bump_tenants(user_ids=old_users | set(wanted_users), team_ids=old_teams | set(wanted_teams))
    else:
        bump_tenants(
            user_ids=[*added_users, *removed_users], team_ids=[*added_teams, *removed_teams]
        )
    return PreviewSettings(package, preview_testers_of(package))
