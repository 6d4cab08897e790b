"""Read queries of tenants: teams, installations, the shell bootstrap and plugin storage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from installs.config_schema import config_schema_of, schema_defaults
from installs.config_secrets import seal, unseal
from installs.models import (
    PluginStorageEntry,
    PreviewTester,
    Team,
    TeamMembership,
    TenantPluginInstall,
    UserPluginPreference,
)
from installs.tester_selectors import awaits_first_boot
from installs.versions import resolve_versions
from naap.errors import NotFound
from registry.membership import may_act_for_publisher
from registry.models import PluginPackage, PluginVersion
from registry.selectors import manifests_for_versions
from registry.visibility import may_see

# Packages people may install and keep using; drafts, reviews and rejections are not.
AVAILABLE_PACKAGE_STATUSES = (PluginPackage.Status.PUBLISHED, PluginPackage.Status.UNLISTED)


# is_core_for_everyone as a query condition.
CORE_PACKAGE = Q(
    is_core=True, status=PluginPackage.Status.PUBLISHED, deprecated=False, preview=False
)


@dataclass(frozen=True)
class EffectivePlugin:
    """One plugin as the shell sees it for one user: which install, which version, settings."""

    package: PluginPackage
    install: TenantPluginInstall
    version: PluginVersion
    manifest: dict[str, Any]
    config: dict[str, Any]
    enabled: bool
    pinned: bool
    order: int

    @property
    def name(self) -> str:
        return self.package.name

    @property
    def display_name(self) -> str:
        return self.manifest.get("displayName") or self.package.display_name

    @property
    def source(self) -> str:
        return "team" if self.install.team_id else "user"

    @property
    def team_id(self) -> int | None:
        return self.install.team_id

    @property
    def is_core(self) -> bool:
        """A core plugin: installed for everyone (is_core_for_everyone)."""
        return is_core_for_everyone(self.package)

    @property
    def installed(self) -> bool:
        """Whether an installation row stands behind it (a core plugin, or a preview its
        person tests, needs none)."""
        return self.install.pk is not None


@dataclass(frozen=True)
class Bootstrap:
    """The shell bootstrap: effective plugins and those left out for the shell's version."""

    plugins: list[EffectivePlugin]
    incompatible: list[str]
    # What it was built from, for the bootstrap cache (installs/cache.py): the teams whose
    # installs were read and every installed package, available or not, and every core one.
    team_ids: tuple[int, ...] = ()
    package_names: tuple[str, ...] = ()
    # Tester rows whose preview this boot installs for real (installs.bootstrap): unclaimed,
    # of this person or a team this bootstrap reads, with a deployed version to install.
    first_boot: tuple[PreviewTester, ...] = ()


def is_core_for_everyone(package: PluginPackage) -> bool:
    """Whether a package is installed for everyone: staff marked it core, and it is published,
    not deprecated and not a preview (an unlisted or deprecated one stays only where it was
    installed; a preview is its testers' only)."""
    return (
        package.is_core
        and package.status == PluginPackage.Status.PUBLISHED
        and not package.deprecated
        and not package.preview
    )


def core_packages() -> QuerySet:
    """The packages installed for everyone (is_core_for_everyone), as a query."""
    return PluginPackage.objects.filter(CORE_PACKAGE)


def installed_without_row(package: PluginPackage, *, user) -> bool:
    """Whether the package is the person's with no installation of theirs: a core package, or
    a preview they test whose first boot has not installed it yet (both made up in the
    bootstrap, never saved until configured or booted)."""
    if is_core_for_everyone(package):
        return True
    return package.preview and awaits_first_boot(user, package)


def _tested_previews_query(*, user, team_ids: list[int]) -> Q:
    """The preview packages the person tests, themselves or through one of these teams,
    whatever their status: the bootstrap watches them all, so one that becomes available (a
    review approved) reaches the testers at once."""
    testers = PreviewTester.objects.filter(Q(user=user) | Q(team_id__in=team_ids)).order_by()
    return Q(preview=True, pk__in=testers.values("package_id"))


def membership_for(*, user, team_id: int) -> TeamMembership:
    """The user's membership of a team; NotFound when the team is unknown or not theirs."""
    membership = (
        TeamMembership.objects.select_related("team").filter(team_id=team_id, user=user).first()
    )
    if membership is None:
        # Unknown teams and other people's teams look the same, so team ids do not leak.
        raise NotFound(f"You are not a member of a team with id {team_id}.", field="teamId")
    return membership


def available_package(*, name: str, user=None) -> PluginPackage:
    """A published or unlisted package the person may see (registry.visibility) with its
    deployed version loaded; NotFound otherwise.

    Installs and config changes need the deployed version only; leaving the canary out
    keeps the query to three tables (cheaper to compile and to plan).
    """
    package = (
        PluginPackage.objects.select_related("deployment__version")
        .filter(name=name, status__in=AVAILABLE_PACKAGE_STATUSES)
        .order_by()  # a unique name: the Meta ordering would only cost compiling it
        .first()
    )
    if package is None or not may_see(user, package):
        raise NotFound(f"No plugin named '{name}'.")
    return package


def tenant_install(*, package: PluginPackage, user=None, team: Team | None = None):
    """The installation of a package for exactly one tenant (a user or a team), or None."""
    # At most one row (unique per tenant): no ORDER BY, whose join would only cost time.
    installs = TenantPluginInstall.objects.select_related(
        "package", "team", "pinned_version"
    ).order_by()
    if team is not None:
        return installs.filter(package=package, team=team).first()
    return installs.filter(package=package, user=user).first()


def installation_to_read(*, user, name: str, team_id: int | None) -> TenantPluginInstall:
    """The person's own installation of a plugin, or (teamId) their team's: any member may
    read it, only admins change it. NotFound when it is not installed there.

    A core plugin is installed for everyone (and a preview for its testers): without a row of
    their own, the person gets one made up (never saved; no id or dates) holding the defaults
    of the deployed version's settings, where `PUT …/config` would start from.
    """
    team = None
    if team_id is not None:
        team = membership_for(user=user, team_id=team_id).team
    package = available_package(name=name, user=user)
    install = tenant_install(package=package, user=user if team is None else None, team=team)
    if install is None and team is None and installed_without_row(package, user=user):
        deployment = getattr(package, "deployment", None)
        version = deployment.version if deployment is not None else None
        schema = config_schema_of(version.manifest) if version is not None else None
        defaults = seal(schema_defaults(schema), schema) if schema else {}
        return TenantPluginInstall(package=package, user=user, config=defaults, enabled=True)
    if install is None:
        where = f"team '{team.name}'" if team is not None else "you personally"
        hint = "" if team is not None else " (a team's installation: add ?teamId=)"
        raise NotFound(f"Plugin '{name}' is not installed for {where}{hint}.")
    return install


def _installs_reaching(user) -> Q:
    """Installs that apply to a user: their own and those of every team they belong to."""
    return _installs_reaching_with_teams(user)[0]


def _installs_reaching_with_teams(user) -> tuple[Q, list[int]]:
    """The filter of _installs_reaching and the ids of the user's teams.

    The team ids are read first, in a query of their own: with a subquery inside the OR,
    PostgreSQL guessed half the table and hash-joined every version and package (280 ms for
    a bootstrap at 100,000 installs); with literal ids it uses the user and team indexes.
    """
    memberships = TeamMembership.objects.filter(user=user).order_by()
    team_ids = sorted(memberships.values_list("team_id", flat=True))
    reaching = Q(user=user)
    if team_ids:
        reaching |= Q(team_id__in=team_ids)
    return reaching, team_ids


def installed_package_ids(user, package_ids: list[int]) -> set[int]:
    """Which of these packages the user has installed, personally or through a team: one
    query, on the install indexes of the (few) packages named."""
    teams = TeamMembership.objects.filter(user=user).order_by().values("team_id")
    return set(
        TenantPluginInstall.objects.filter(package_id__in=package_ids)
        .filter(Q(user=user) | Q(team_id__in=teams))
        .order_by()
        .values_list("package_id", flat=True)
        .distinct()
    )


def installed_package_for(*, user, name: str) -> PluginPackage:
    """An available package the user has installed, personally or through a team, a core
    package (installed for everyone) or a preview they test that no boot has installed yet
    (installed for its testers); a preview only while they may see it."""
    install = (
        TenantPluginInstall.objects.select_related("package__publisher")
        .filter(_installs_reaching(user))
        .filter(package__name=name, package__status__in=AVAILABLE_PACKAGE_STATUSES)
        .first()
    )
    if install is not None and may_see(user, install.package):
        return install.package
    core = core_packages().filter(name=name).order_by().first()
    if core is not None:
        return core
    preview = (
        PluginPackage.objects.filter(name=name, preview=True, status__in=AVAILABLE_PACKAGE_STATUSES)
        .order_by()
        .first()
    )
    if preview is not None and awaits_first_boot(user, preview):
        return preview
    raise NotFound(f"Plugin '{name}' is not installed for you or any of your teams.")


def _winning_installs(installs: list[TenantPluginInstall]) -> list[TenantPluginInstall]:
    """One install per package: the user's own, else the team whose name sorts first."""
    winners: dict[int, TenantPluginInstall] = {}
    # Own installs rank as "", before every team name; sorted() keeps that order stable.
    for install in sorted(installs, key=lambda row: row.team.name if row.team else ""):
        winners.setdefault(install.package_id, install)
    return list(winners.values())


def _with_made_up(
    chosen: list[TenantPluginInstall], packages: list[PluginPackage], *, user
) -> list[TenantPluginInstall]:
    """The chosen installations and, for every one of these packages none of them installs,
    one made up for the person (never saved: core plugins and tested previews need no row)."""
    installed = {install.package_id for install in chosen}
    made_up = []
    for package in packages:
        if package.pk not in installed:
            installed.add(package.pk)
            made_up.append(TenantPluginInstall(package=package, user=user, config={}, enabled=True))
    return [*chosen, *made_up]


def _core_and_tested(*, user, team_ids: list[int]) -> tuple[list, list]:
    """The core packages, and the previews the person tests (themselves or through one of
    these teams: in their bootstrap as if installed once available; upstream NaaP installs a
    preview for its testers on their first boot), whatever their status, with their
    deployments, in one query."""
    packages = (
        PluginPackage.objects.filter(
            CORE_PACKAGE | _tested_previews_query(user=user, team_ids=team_ids)
        )
        .select_related("deployment__version", "deployment__canary_version")
        .defer("search_vector")
        .order_by()
    )
    core, tested = [], []
    for package in packages:
        (tested if package.preview else core).append(package)
    return core, tested


def _awaiting_first_boot(
    *, user, team_id: int | None, team_ids: list[int], tested: list[PluginPackage]
) -> list[PreviewTester]:
    """The unclaimed tester rows of these previews that this bootstrap would show installed:
    the person's and their teams' (or the team's); a query only for testers."""
    if not tested:
        return []
    tenants = Q(team_id=team_id) if team_id is not None else Q(user=user)
    if team_id is None and team_ids:
        tenants |= Q(team_id__in=team_ids)
    by_id = {package.pk: package for package in tested}
    rows = list(
        PreviewTester.objects.filter(tenants, package_id__in=by_id, installed_at__isnull=True)
        .order_by("pk")
        .only("pk", "package_id", "user_id", "team_id")
    )
    for row in rows:
        row.package = by_id[row.package_id]
    return rows


def _installable(package: PluginPackage) -> bool:
    """Whether the package has a deployed, published version to install."""
    version = getattr(getattr(package, "deployment", None), "version", None)
    return version is not None and version.status == PluginVersion.Status.PUBLISHED


def _shown(install: TenantPluginInstall, *, user, tested: set[int]) -> bool:
    """Whether an installation's package is in the bootstrap: available, and for a preview
    only while the person may see it (tested; or a member or staff: one query, rare)."""
    package = install.package
    if package.status not in AVAILABLE_PACKAGE_STATUSES:
        return False
    if not package.preview or package.pk in tested:
        return True
    return may_act_for_publisher(user, package.publisher)


def effective_plugins(*, user, team_id: int | None = None, shell_version: str = "") -> Bootstrap:
    """The shell bootstrap of a user (or of one of their teams), in a fixed number of queries.

    Own installs win over team installs of the same package; between teams the team whose
    name sorts first wins. Core packages are there for everyone, installed or not, in the
    personal and in every team's bootstrap. Sorted pinned first, then by order, then by name.
    """
    installs = TenantPluginInstall.objects.select_related(
        "package",
        "team",
        "pinned_version",
        "package__deployment__version",
        "package__deployment__canary_version",
    )
    if team_id is None:
        reaching, team_ids = _installs_reaching_with_teams(user)
        installs = installs.filter(reaching)
    else:
        membership_for(user=user, team_id=team_id)
        team_ids = [team_id]
        installs = installs.filter(team_id=team_id)
    # A preview the person tests is installed by their first boot (installs.bootstrap), in
    # their own bootstrap and in that of each team that tests it; until then it is there as
    # if installed; previews they may no longer see are left out. The unclaimed tester rows
    # are read before the installations: a concurrent boot claims a row in the transaction
    # that inserts its installation, so a row this read sees claimed has an installation
    # the next read sees (read the other way round, a boot committing in between left the
    # preview out of both).
    core, every_tested = _core_and_tested(user=user, team_ids=team_ids)
    tested = [p for p in every_tested if p.status in AVAILABLE_PACKAGE_STATUSES]
    tested_ids = {package.pk for package in tested}
    awaiting = _awaiting_first_boot(user=user, team_id=team_id, team_ids=team_ids, tested=tested)
    # No ORDER BY: the Meta orderings would join tables only to sort what is sorted in Python.
    # Unavailable packages are read too (and left out here), so that the bootstrap cache
    # knows to watch them: one that is listed again must reappear.
    every_install = list(installs.order_by())
    chosen = _with_made_up(
        _winning_installs(
            [row for row in every_install if _shown(row, user=user, tested=tested_ids)]
        ),
        [*core, *{row.package_id: row.package for row in awaiting}.values()],
        user=user,
    )
    package_names = tuple(
        sorted(
            {install.package.name for install in every_install}
            | {package.name for package in (*core, *every_tested)}
        )
    )
    preferences = {}
    if chosen:
        preferences = {
            preference.package_id: preference
            for preference in UserPluginPreference.objects.filter(
                user=user, package_id__in=[install.package_id for install in chosen]
            ).order_by()
        }
    resolved, incompatible = resolve_versions(chosen, user_id=user.pk, shell_version=shell_version)
    manifests = manifests_for_versions([version for _, version in resolved])
    plugins: list[EffectivePlugin] = []
    for install, version in resolved:
        preference = preferences.get(install.package_id)
        # The plugin's own runtime config: the one place its secrets are decrypted.
        config = {**schema_defaults(config_schema_of(version.manifest)), **unseal(install.config)}
        plugins.append(
            EffectivePlugin(
                package=install.package,
                install=install,
                version=version,
                manifest=manifests[version.pk].document,
                config=config,
                enabled=install.enabled and (preference.enabled if preference else True),
                pinned=preference.pinned if preference else False,
                order=preference.order if preference else 0,
            )
        )
    plugins.sort(key=lambda plugin: (not plugin.pinned, plugin.order, plugin.name))
    return Bootstrap(
        plugins=plugins,
        incompatible=sorted(incompatible),
        team_ids=tuple(team_ids),
        package_names=package_names,
        first_boot=tuple(row for row in awaiting if _installable(row.package)),
    )


def storage_entry(*, package: PluginPackage, user, key: str) -> PluginStorageEntry:
    """One stored value of a plugin for a user; NotFound naming the key when absent."""
    entry = PluginStorageEntry.objects.filter(package=package, user=user, key=key).first()
    if entry is None:
        raise NotFound(f"Plugin '{package.name}' has stored nothing under '{key}'.", field="key")
    return entry


def storage_keys(*, package: PluginPackage, user) -> list[PluginStorageEntry]:
    """The keys a plugin stores for a user (values left unloaded), in key order."""
    return list(
        PluginStorageEntry.objects.filter(package=package, user=user)
        .only("key", "updated_at")
        .order_by("key")
    )
