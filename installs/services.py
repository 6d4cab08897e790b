"""State changes of tenants: install, uninstall, configure and preferences (plugin storage:
installs.storage_services).

Every function takes keyword-only arguments, runs in one transaction (a first boot: one per
tester row), raises naap.errors, writes an AuditEvent for each change and never speaks HTTP.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from installs import selectors
from installs.cache import bump_tenants
from installs.config_schema import config_schema_of, validate_config
from installs.config_secrets import keep_unchanged_secrets, seal, unseal
from installs.models import (
    PreviewTester,
    Team,
    TeamMembership,
    TenantPluginInstall,
    UserPluginPreference,
)
from installs.versions import PINNABLE_VERSION_STATUSES
from naap.errors import (
    Conflict,
    Forbidden,
    NaapError,
    NotFound,
    ValidationFailed,
)
from registry.audit import AuditAction
from registry.models import PluginDeployment, PluginPackage, PluginVersion
from registry.services import record_audit_event
from registry.visibility import may_see

MIN_PREFERENCE_ORDER = -1000
MAX_PREFERENCE_ORDER = 1000
# Inserts an install tries while concurrent uninstalls remove the row it collided with.
INSTALL_ATTEMPTS = 5


@dataclass(frozen=True)
class InstallResult:
    """An installation and whether this call created it (False: it already existed)."""

    installation: TenantPluginInstall
    created: bool


def _tenant(*, actor, team_id: int | None) -> tuple[Any, Team | None]:
    """(user, None) for a personal install, (None, team) when an admin acts for a team."""
    if team_id is None:
        return actor, None
    membership = selectors.membership_for(user=actor, team_id=team_id)
    if membership.role != TeamMembership.Role.ADMIN:
        raise Forbidden(
            f"Only admins of team '{membership.team.name}' may change its plugins.",
            field="teamId",
        )
    return None, membership.team


def _tenant_label(team: Team | None) -> str:
    return f"team '{team.name}'" if team is not None else "you"


def _installable_version(package: PluginPackage) -> PluginVersion:
    """The deployed, published version new installations get; Conflict when there is none."""
    deployment = getattr(package, "deployment", None)
    version = deployment.version if deployment is not None else None
    if version is None or version.status != PluginVersion.Status.PUBLISHED:
        raise Conflict(f"Plugin '{package.name}' has no deployed version to install yet.")
    return version


def _count_installs(package: PluginPackage, delta: int) -> None:
    """Move the package's and the deployment's install counters in SQL, never below zero.

    The package row is updated before the deployment row on every path, so concurrent
    installs and uninstalls take the two row locks in one order and cannot deadlock.
    """
    packages = PluginPackage.objects.filter(pk=package.pk)
    deployments = PluginDeployment.objects.filter(package_id=package.pk)
    if delta < 0:
        packages = packages.filter(install_count__gte=-delta)
        deployments = deployments.filter(active_installs__gte=-delta)
    packages.update(install_count=F("install_count") + delta)
    deployments.update(active_installs=F("active_installs") + delta)


def _installation_changed(
    install: TenantPluginInstall, *, actor, action: AuditAction, ip: str | None, **details: Any
) -> None:
    """The end of every change to an installation: the cached bootstraps that show it (its
    person's or its team's) retired, and an audit row naming its tenant."""
    bump_tenants(user_ids=[install.user_id], team_ids=[install.team_id])
    tenant: dict[str, Any] = {"installationId": install.pk, "tenant": "user"}
    if install.team_id:
        tenant.update(tenant="team", team=install.team.name, teamId=install.team_id)
    record_audit_event(actor, action, install.package, ip=ip, details={**tenant, **details})


@transaction.atomic
def install_plugin(
    *,
    actor,
    name: str,
    team_id: int | None = None,
    config: Any = None,
    ip: str | None = None,
) -> InstallResult:
    """Install a plugin for the actor or, as its admin, for a team; idempotent per tenant.

    An existing installation is returned unchanged (its config is edited by
    configure_plugin), so retries never duplicate rows or counts.
    """
    user, team = _tenant(actor=actor, team_id=team_id)
    package = selectors.available_package(name=name, user=actor)
    version = _installable_version(package)
    schema = config_schema_of(version.manifest)
    clean_config = seal(validate_config(config, schema, plugin=f"{name} {version.version}"), schema)
    result = _insert_installation(
        actor=actor, package=package, user=user, team=team, config=clean_config
    )
    _claim_tester_row(package, user=user, team=team)
    if result.created:
        _installation_changed(
            result.installation,
            actor=actor,
            action=AuditAction.PLUGIN_INSTALL,
            ip=ip,
            version=version.version,
        )
    return result


def install_previews_on_first_boot(
    *, actor, testers: list[PreviewTester], ip: str | None = None
) -> list[TenantPluginInstall]:
    """Install previews for their testers, once each: what the actor's boot does for every
    tester row of theirs (or of a team they are in) that no boot has claimed yet
    (installs.selectors.effective_plugins lists them). Returns the installations made.

    A tester's preview is installed for the team when the tester is a team, by whichever
    member boots first (the publisher named the team; its admins may uninstall it). The claim
    stays when the tester uninstalls it later: it does not come back. A preview that cannot
    be installed now (taken down, no deployed version) is left unclaimed for a later boot.

    Each row is installed and claimed in a transaction of its own (never call this inside
    one): a boot holds the locks of one row's installation, package, deployment and tester row
    at a time, taken in the order every install and uninstall takes them, so boots of people
    whose previews or teams overlap wait for each other, whatever order their rows come in,
    instead of deadlocking.
    """
    teams = set(TeamMembership.objects.filter(user=actor).values_list("team_id", flat=True))
    made = []
    for tester in testers:
        if tester.user_id != actor.pk and tester.team_id not in teams:
            continue
        install = _install_for_tester(actor=actor, tester=tester, ip=ip)
        if install is not None:
            made.append(install)
    return made


class _ClaimedBefore(Exception):
    """Another boot (or an install, configure or uninstall) claimed the tester row first."""


def _install_for_tester(*, actor, tester: PreviewTester, ip: str | None):
    """The installation one unclaimed tester row gets, made and claimed in one transaction;
    None when one existed, when the row was claimed first, or when nothing can be installed
    now (then the transaction leaves nothing behind: no row, count, claim or audit entry).

    The installation is inserted (and counted) before the row is claimed by an UPDATE that
    only an unclaimed row matches: of concurrent boots one installs, the others roll back.
    """
    try:
        with transaction.atomic():
            package = selectors.available_package(name=tester.package.name, user=actor)
            version = _installable_version(package)
            user = actor if tester.user_id else None
            team = Team.objects.filter(pk=tester.team_id).first() if tester.team_id else None
            if tester.team_id and team is None:  # deleted meanwhile: nothing to install for
                raise _ClaimedBefore
            result = _insert_installation(
                actor=actor, package=package, user=user, team=team, config={}
            )
            if not _claim(PreviewTester.objects.filter(pk=tester.pk)):
                raise _ClaimedBefore
            if not result.created:
                return None
            _installation_changed(
                result.installation,
                actor=actor,
                action=AuditAction.PLUGIN_INSTALL,
                ip=ip,
                version=version.version,
                firstBoot=True,
            )
            return result.installation
    except (NaapError, _ClaimedBefore):
        return None


def _claim(testers: QuerySet) -> int:
    """Mark these tester rows done, if unclaimed, so no boot installs their preview again."""
    return testers.filter(installed_at__isnull=True).update(installed_at=timezone.now())


def _claim_tester_row(package: PluginPackage, *, user, team: Team | None) -> None:
    """Claim the tenant's tester row of a preview once an install, configure or uninstall has
    acted for it, so an uninstall sticks even before its first boot. It runs after the
    installation's and the counters' writes (every path locks in that order), and costs no
    query for a package that is not a preview."""
    if package.preview:
        tenant = Q(team=team) if team is not None else Q(user=user)
        _claim(PreviewTester.objects.filter(tenant, package=package))


def _insert_installation(
    *, actor, package: PluginPackage, user, team: Team | None, config: dict
) -> InstallResult:
    """The tenant's installation of a package, inserted with `config` (and counted) unless
    one exists, which is returned unchanged.

    Insert first: a new installation is the common case. An existing one (a retry, or a
    concurrent install that won) fails the unique constraint inside a savepoint, which leaves
    the transaction usable, and is read. Between that failure and the read, a concurrent
    uninstall may delete the row it collided with (each statement sees the latest commits);
    the insert is then tried again instead of failing with the error.
    """
    for _attempt in range(INSTALL_ATTEMPTS):
        try:
            with transaction.atomic():
                install = TenantPluginInstall.objects.create(
                    package=package, user=user, team=team, config=config, installed_by=actor
                )
            break
        except IntegrityError:
            existing = selectors.tenant_install(package=package, user=user, team=team)
            if existing is not None:
                return InstallResult(existing, created=False)
    else:
        raise Conflict(
            f"Plugin '{package.name}' was installed and uninstalled for {_tenant_label(team)} "
            "by other requests at the same time; try again."
        )
    _count_installs(package, +1)
    return InstallResult(install, created=True)


@transaction.atomic
def uninstall_plugin(
    *, actor, name: str, team_id: int | None = None, ip: str | None = None
) -> TenantPluginInstall:
    """Remove the actor's (or, as its admin, a team's) installation of a plugin.

    Preferences and stored values are kept, so a reinstall picks up where the user left.
    Works for packages taken down since, so nobody is stuck with an installation. A core
    plugin cannot be uninstalled while it is one (it is there for everyone, with or without
    a row): people disable it in their preferences instead.
    """
    user, team = _tenant(actor=actor, team_id=team_id)
    package = PluginPackage.objects.select_related("publisher").filter(name=name).first()
    if package is None:
        raise NotFound(f"No plugin named '{name}'.")
    if selectors.is_core_for_everyone(package):
        raise Conflict(
            f"Plugin '{name}' is a core plugin, installed for everyone: it cannot be "
            "uninstalled. Disable it in your preferences instead."
        )
    install = selectors.tenant_install(package=package, user=user, team=team)
    not_installed = NotFound(f"Plugin '{name}' is not installed for {_tenant_label(team)}.")
    if install is None and not may_see(actor, package):
        # A preview the actor may not see: as if no package had the name (an installation
        # made before it became one can still be removed).
        raise NotFound(f"No plugin named '{name}'.")
    if install is None:
        raise not_installed
    # Only the call whose DELETE removed the row moves the counters: a concurrent uninstall
    # of the same installation waits for ours, then deletes nothing.
    deleted, _ = TenantPluginInstall.objects.filter(pk=install.pk).delete()
    if not deleted:
        raise not_installed
    _count_installs(package, -1)
    _claim_tester_row(package, user=user, team=team)
    _installation_changed(install, actor=actor, action=AuditAction.PLUGIN_UNINSTALL, ip=ip)
    return install


@transaction.atomic
def configure_plugin(
    *,
    actor,
    name: str,
    config: Any,
    team_id: int | None = None,
    ip: str | None = None,
) -> TenantPluginInstall:
    """Replace an installation's config, validated against the version it runs.

    A core plugin (or a preview the actor tests) the actor has no installation of gets one
    (neither needs a row until it has settings of its own), made with no config and then
    configured as any other, in this transaction: a refused config leaves no row behind, and
    a row a concurrent request made first is configured, not returned unchanged.
    """
    user, team = _tenant(actor=actor, team_id=team_id)
    package = selectors.available_package(name=name, user=actor)
    install = selectors.tenant_install(package=package, user=user, team=team)
    created = False
    if install is None and team is None and selectors.installed_without_row(package, user=actor):
        result = _insert_installation(actor=actor, package=package, user=user, team=None, config={})
        install, created = result.installation, result.created
    if install is None:
        raise NotFound(f"Plugin '{name}' is not installed for {_tenant_label(team)}.")
    pinned = install.pinned_version
    if pinned is not None and pinned.status in PINNABLE_VERSION_STATUSES:
        version = pinned
    else:
        version = _installable_version(package)
    schema = config_schema_of(version.manifest)
    # Secrets left out (or sent back masked) keep their stored value.
    config = keep_unchanged_secrets(config, install.config, schema)
    clean_config = validate_config(config, schema, plugin=f"{name} {version.version}")
    if clean_config == unseal(install.config) and not created:
        return install
    previous_keys = sorted(install.config or {})
    install.config = seal(clean_config, schema)
    install.save(update_fields=["config", "updated_at"])
    _claim_tester_row(package, user=user, team=team)
    _installation_changed(
        install,
        actor=actor,
        action=AuditAction.PLUGIN_CONFIGURE,
        ip=ip,
        # Keys only: config values may hold things people would not want in a log.
        previousKeys=previous_keys,
        keys=sorted(clean_config),
    )
    return install


@transaction.atomic
def set_plugin_preferences(
    *,
    actor,
    name: str,
    enabled: bool | None = None,
    order: int | None = None,
    pinned: bool | None = None,
    ip: str | None = None,
) -> UserPluginPreference:
    """Create or update the actor's preference (enabled, order, pinned) for an installed plugin."""
    package = selectors.installed_package_for(user=actor, name=name)
    if order is not None and not MIN_PREFERENCE_ORDER <= order <= MAX_PREFERENCE_ORDER:
        raise ValidationFailed(
            f"order must be between {MIN_PREFERENCE_ORDER} and {MAX_PREFERENCE_ORDER}.",
            field="order",
        )
    preference, created = UserPluginPreference.objects.get_or_create(user=actor, package=package)
    requested = {"enabled": enabled, "order": order, "pinned": pinned}
    changes = {
        field: value
        for field, value in requested.items()
        if value is not None and getattr(preference, field) != value
    }
    if changes:
        for field, value in changes.items():
            setattr(preference, field, value)
        preference.save(update_fields=[*changes, "updated_at"])
    if changes or created:
        bump_tenants(user_ids=[actor.pk])
        details = {"created": created, "changes": changes}
        record_audit_event(actor, AuditAction.PLUGIN_PREFERENCES, package, ip=ip, details=details)
    return preference
