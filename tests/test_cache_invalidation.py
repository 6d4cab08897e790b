"""Every service that changes what a manifest or a bootstrap shows retires the cached copies.

The catalog has one invalidation mechanism (docs/decisions.md): each such service bumps the
generation of the package or tenant it changed, through registry.cache.bump_generations. This
file walks every public function of the service modules. Each is either in SHOWN, with a
scenario that checks the generations it must move, or in NOT_SHOWN, with the reason it changes
nothing a manifest or a bootstrap shows. A service added to one of these modules and listed in
neither fails test_every_service_is_classified: whoever adds a write decides, here, whether it
must retire cached answers.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.cache import cache

import publishing.services
from installs import services as installs_services
from installs import testers as installs_testers
from installs.cache import team_generation_key, user_generation_key
from installs.models import PreviewTester
from publishing import legacy
from publishing import services as publishing_services
from publishing.services import scoped_styles as scoped_styles_services
from registry import deployments, rollouts
from registry import services as registry_services
from registry.cache import CORE_GENERATION_KEY, generation_key
from registry.models import DeploymentEvent, PluginDeployment, PluginVersion
from reviews import services as review_services
from tests.factories import make_package, make_team, make_user, make_version, publish
from tests.installs.helpers import publish_plugin

pytestmark = pytest.mark.django_db

SERVICE_MODULES = [
    *(
        f"publishing.services.{module.name}"
        for module in pkgutil.iter_modules(publishing.services.__path__)
    ),
    "registry.deployments",
    "registry.rollouts",
    "registry.services",
    "installs.services",
    "installs.storage_services",
    "installs.testers",
    "publishing.tokens",
    "publishing.legacy",
    "reviews.services",
]


def public_functions() -> set[str]:
    """Every public function defined in the service modules, as module.name."""
    found = set()
    for module_name in SERVICE_MODULES:
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if name.startswith("_") or not inspect.isfunction(value):
                continue
            if value.__module__ == module_name:
                found.add(f"{module_name}.{name}")
    return found


@dataclass
class World:
    """A catalog with something in every state the services act on."""

    staff: object
    owner: object
    publisher: object
    person: object
    team: object

    @property
    def wallet(self):
        return PluginDeployment.objects.select_related("package", "version").get(
            package__name="my-wallet"
        )

    def version(self, number: str, name: str = "my-wallet") -> PluginVersion:
        return PluginVersion.objects.select_related("package").get(
            package__name=name, version=number
        )


@pytest.fixture
def world() -> World:
    owner = make_user("owner")
    publisher = publish_plugin("my-wallet", "1.0.0", actor=owner).package.publisher
    publish_plugin("my-wallet", "1.1.0", actor=owner, publisher=publisher)
    # Versions whose approval and yank move no deployment: the services' own bumps are tested,
    # not move_deployment's (the registry.deployments scenarios test those).
    publish("under-review", "1.0.0", verified=False, deploy=False)
    person = make_user("person")
    team = make_team("wallet-team", admin=person)
    installs_services.install_plugin(actor=person, name="my-wallet")
    cache.clear()
    return World(
        staff=make_user("staff", staff=True),
        owner=owner,
        publisher=publisher,
        person=person,
        team=team,
    )


def package_key(name: str = "my-wallet") -> Callable[[World], str]:
    return lambda world: generation_key(name)


def core_key(world: World) -> str:
    """The core set's generation, which every person's bootstrap is stamped with."""
    return CORE_GENERATION_KEY


def person_key(world: World) -> str:
    return user_generation_key(world.person.pk)


def team_key(world: World) -> str:
    return team_generation_key(world.team.pk)


def deploy_approved_release(world: World) -> Callable[[], object]:
    """A release published without a deploy, then asked to deploy (as approval does)."""
    version = publish_plugin(
        "my-wallet", "1.2.0", actor=world.owner, publisher=world.publisher, deploy=False
    ).version
    version.deploy_requested = True
    deployment = world.wallet
    return lambda: deployments.deploy_published_version(
        deployment=deployment, version=version, actor=world.staff, reason="test"
    )


def migrate_unreachable_legacy_bundle(world: World) -> Callable[[], object]:
    """A legacy version whose bundle URL answers nothing: it is marked, its URL kept."""
    version = make_version(
        make_package("old-plugin"), "0.9.0", frontend_url="http://127.0.0.1:9/old/bundle.js"
    )
    return lambda: legacy.migrate_legacy_version(version, dry_run=False)


def hide_files_stored_public_in_review(world: World) -> Callable[[], object]:
    """A version waiting for review whose files were stored under the public prefix."""
    version = publish("stored-public", "1.0.0", deploy=False).version
    PluginVersion.objects.filter(pk=version.pk).update(status=PluginVersion.Status.PENDING_REVIEW)
    return lambda: publishing_services.move_files_to_review(version=version)


def forget_shell_globals(world: World) -> Callable[[], object]:
    """A version published before shell globals were recorded at publish time."""
    PluginVersion.objects.filter(package__name="my-wallet", version="1.1.0").update(
        shell_globals=None
    )
    version = world.version("1.1.0")
    return lambda: registry_services.record_shell_globals(version=version)


def forget_scoped_styles(world: World) -> Callable[[], object]:
    """A version with a stylesheet published before scoped stylesheets were derived."""
    version = publish("styled", "1.0.0", styles=b".a{color:red}").version
    PluginVersion.objects.filter(pk=version.pk).update(scoped_styles_key="")
    version.scoped_styles_key = ""
    return lambda: scoped_styles_services.derive_scoped_styles(version)


def start_a_wallet_rollout(world: World) -> Callable[[], object]:
    """my-wallet rolled back to 1.0.0; the call rolls 1.1.0 out again to 10 % of people."""
    package = world.wallet.package
    deployments.roll_back(actor=world.staff, package=package, to_version="1.0.0", reason="")
    return lambda: rollouts.start_rollout(
        actor=world.staff,
        package=package,
        version="1.1.0",
        initial_percent=10,
        increment_percent=20,
        interval_seconds=60,
    )


def start_wallet_rollout(world: World):
    """A running rollout of my-wallet 1.1.0 at 10 % (1.0.0 stable)."""
    return start_a_wallet_rollout(world)()


def rollout_transition(name: str, **arguments) -> Callable[[World], Callable[[], object]]:
    """A scenario: a running rollout of my-wallet, then one of the service's transitions."""

    def prepare(world: World) -> Callable[[], object]:
        start_wallet_rollout(world)
        service = getattr(rollouts, name)
        return lambda: service(actor=world.staff, package=world.wallet.package, **arguments)

    return prepare


def end_wallet_rollout(world: World) -> Callable[[], object]:
    rollout = start_wallet_rollout(world)
    return lambda: rollouts.end_open_rollout(
        deployment=world.wallet,
        rollout=rollout,
        actor=world.staff,
        status=rollout.Status.SUPERSEDED,
        reason="test",
    )


def person_rates_the_wallet(world: World):
    """The person (who installed my-wallet) rates it 4."""
    return review_services.create_review(actor=world.person, name="my-wallet", rating=4)


def review_change(name: str) -> Callable[[World], Callable[[], object]]:
    """A scenario: the person's review of my-wallet, then one change of it (ratings show on
    the catalog's pages, which the browse cache stamps with the package's generation)."""

    def prepare(world: World) -> Callable[[], object]:
        review = person_rates_the_wallet(world)
        calls = {
            "edit_review": lambda: review_services.edit_review(
                actor=world.person, name="my-wallet", rating=2
            ),
            "delete_review": lambda: review_services.delete_review(
                actor=world.person, name="my-wallet"
            ),
            "hide_review": lambda: review_services.hide_review(
                actor=world.staff, review=review, reason="abuse"
            ),
            "reply_to_review": lambda: review_services.reply_to_review(
                actor=world.owner, name="my-wallet", review_id=review.pk, text="Thanks"
            ),
        }
        return calls[name]

    return prepare


def show_hidden_review_again(world: World) -> Callable[[], object]:
    review = person_rates_the_wallet(world)
    review_services.hide_review(actor=world.staff, review=review, reason="abuse")
    return lambda: review_services.unhide_review(actor=world.staff, review=review)


def boot_of_a_team_tester(world: World) -> Callable[[], object]:
    """my-wallet made a preview its person's team tests; the person's first boot installs it
    for the team."""
    installs_testers.set_preview_testers(
        actor=world.owner, name="my-wallet", preview=True, users=[], teams=[world.team.name]
    )
    rows = list(PreviewTester.objects.select_related("package"))
    return lambda: installs_services.install_previews_on_first_boot(
        actor=world.person, testers=rows
    )


# Each scenario: the generations it must move, and a set-up (on a World) that returns the call
# that must move them.
Scenario = tuple[list[Callable[[World], str]], Callable[[World], Callable[[], object]]]
SHOWN: dict[str, Scenario] = {
    "publishing.services.publish.publish_version": (
        [package_key()],
        lambda w: (
            lambda: publish_plugin(
                "my-wallet", "1.2.0", actor=w.owner, publisher=w.publisher, deploy=False
            )
        ),
    ),
    "publishing.services.moderation.approve_version": (
        [package_key("under-review")],
        lambda w: (
            lambda: publishing_services.approve_version(
                actor=w.staff, version=w.version("1.0.0", "under-review")
            )
        ),
    ),
    "publishing.services.moderation.reject_version": (
        [package_key("under-review")],
        lambda w: (
            lambda: publishing_services.reject_version(
                actor=w.staff, version=w.version("1.0.0", "under-review"), reason="broken"
            )
        ),
    ),
    "publishing.services.moderation.move_files_to_review": (
        [package_key("stored-public")],
        hide_files_stored_public_in_review,
    ),
    "publishing.services.lifecycle.deprecate_version": (
        [package_key()],
        lambda w: (
            lambda: publishing_services.deprecate_version(
                actor=w.staff, version=w.version("1.1.0"), message="use 1.2.0"
            )
        ),
    ),
    "publishing.services.lifecycle.yank_version": (
        [package_key()],
        lambda w: (
            lambda: publishing_services.yank_version(
                actor=w.staff, version=w.version("1.0.0"), reason="broken"
            )
        ),
    ),
    "publishing.services.lifecycle.rollback_deployment": (
        [package_key()],
        lambda w: (
            lambda: publishing_services.rollback_deployment(
                actor=w.staff, package=w.wallet.package, to_version="1.0.0"
            )
        ),
    ),
    "publishing.services.deploys.deploy_plugin": (
        [package_key()],
        lambda w: (
            lambda: publishing_services.deploys.deploy_plugin(
                actor=w.staff, package=w.wallet.package, version="1.0.0", strategy="canary"
            )
        ),
    ),
    "publishing.services.deploys.rollback_plugin": (
        [package_key()],
        lambda w: (
            lambda: publishing_services.deploys.rollback_plugin(
                actor=w.staff, package=w.wallet.package, reason="back to the previous version"
            )
        ),
    ),
    "publishing.services.lifecycle.set_package_listing": (
        [package_key()],
        lambda w: (
            lambda: publishing_services.set_package_listing(
                actor=w.staff, package=w.wallet.package, listed=False
            )
        ),
    ),
    "publishing.services.lifecycle.deprecate_package": (
        [package_key()],
        lambda w: (
            lambda: publishing_services.deprecate_package(
                actor=w.staff, package=w.wallet.package, message="use another"
            )
        ),
    ),
    "publishing.services.lifecycle.set_package_flag": (
        [package_key(), core_key],
        lambda w: (
            lambda: publishing_services.set_package_flag(
                actor=w.staff, package=w.wallet.package, flag="is_core", value=True
            )
        ),
    ),
    "registry.deployments.deploy_published_version": (
        [package_key()],
        deploy_approved_release,
    ),
    "registry.deployments.move_deployment": (
        [package_key()],
        lambda w: (
            lambda: deployments.move_deployment(
                deployment=w.wallet,
                version=w.version("1.0.0"),
                actor=w.staff,
                kind=DeploymentEvent.Kind.ROLLBACK,
                reason="test",
            )
        ),
    ),
    "registry.deployments.roll_back": (
        [package_key()],
        lambda w: (
            lambda: deployments.roll_back(
                actor=w.staff, package=w.wallet.package, to_version="1.0.0", reason=""
            )
        ),
    ),
    "registry.deployments.withdraw_version": (
        [package_key()],
        lambda w: lambda: deployments.withdraw_version(actor=w.staff, version=w.version("1.1.0")),
    ),
    "registry.rollouts.start_rollout": ([package_key()], start_a_wallet_rollout),
    "registry.rollouts.advance_rollout": ([package_key()], rollout_transition("advance_rollout")),
    "registry.rollouts.promote_rollout": ([package_key()], rollout_transition("promote_rollout")),
    "registry.rollouts.abort_rollout": (
        [package_key()],
        rollout_transition("abort_rollout", reason="broken"),
    ),
    "registry.rollouts.end_open_rollout": ([package_key()], end_wallet_rollout),
    "installs.services.install_plugin": (
        [team_key],
        lambda w: (
            lambda: installs_services.install_plugin(
                actor=w.person, name="my-wallet", team_id=w.team.pk
            )
        ),
    ),
    "installs.services.uninstall_plugin": (
        [person_key],
        lambda w: lambda: installs_services.uninstall_plugin(actor=w.person, name="my-wallet"),
    ),
    "installs.services.configure_plugin": (
        [person_key],
        lambda w: (
            lambda: installs_services.configure_plugin(
                actor=w.person, name="my-wallet", config={"currency": "USD"}
            )
        ),
    ),
    "installs.services.set_plugin_preferences": (
        [person_key],
        lambda w: (
            lambda: installs_services.set_plugin_preferences(
                actor=w.person, name="my-wallet", pinned=True
            )
        ),
    ),
    "installs.services.install_previews_on_first_boot": ([team_key], boot_of_a_team_tester),
    "installs.testers.set_preview_testers": (
        # The flag retires the package (and its installers' bootstraps); each tester named,
        # a person or a team, gains it in their bootstrap.
        [package_key(), person_key, team_key],
        lambda w: (
            lambda: installs_testers.set_preview_testers(
                actor=w.owner,
                name="my-wallet",
                preview=True,
                users=[w.person.username],
                teams=[w.team.name],
            )
        ),
    ),
    "registry.services.record_shell_globals": ([package_key()], forget_shell_globals),
    "publishing.services.scoped_styles.derive_scoped_styles": (
        [package_key("styled")],
        forget_scoped_styles,
    ),
    "publishing.legacy.migrate_legacy_version": (
        [package_key("old-plugin")],
        migrate_unreachable_legacy_bundle,
    ),
    "reviews.services.create_review": (
        [package_key()],
        lambda w: lambda: person_rates_the_wallet(w),
    ),
    **{
        f"reviews.services.{name}": ([package_key()], review_change(name))
        for name in ("edit_review", "delete_review", "hide_review", "reply_to_review")
    },
    "reviews.services.unhide_review": ([package_key()], show_hidden_review_again),
}

NOT_SHOWN: dict[str, str] = {
    "publishing.services.authorization.authorize_package_change": "a check; writes nothing",
    "publishing.services.authorization.publisher_for_publish": "a check; writes nothing",
    "publishing.services.authorization.authorize_package_read": "a check; writes nothing",
    "publishing.services.authorization.hide_unseen_preview": "a check; writes nothing",
    "publishing.services.deploys.previous_version": "a query; writes nothing",
    "publishing.tokens.has_scope": "a check; writes nothing",
    "publishing.services.deploys.rollout_id": "formats an id; writes nothing",
    "publishing.services.deploys.event_id": "formats an id; writes nothing",
    "publishing.services.authorization.require_staff": "a check; writes nothing",
    "publishing.services.publish_inputs.parse_manifest": "parses text; writes nothing",
    "publishing.services.publish_inputs.validate_files": "a check; writes nothing",
    "publishing.services.publish.scoped_styles_for": "derives text; writes nothing",
    "publishing.services.scoped_styles.versions_without_scoped_styles": "a query",
    "publishing.services.preview_manifests.write_version_manifest": (
        "stores manifest.json beside the files; manifests are served from the row"
    ),
    "publishing.services.preview_manifests.sync_stored_manifests": (
        "stores or deletes manifest.json copies; manifests are served from the row"
    ),
    "publishing.services.preview_manifests.resync_previews": "runs sync_stored_manifests",
    "publishing.services.preview_manifests.on_preview_changed": "schedules sync_stored_manifests",
    "publishing.services.package_rows.advance_status": "sets a field; publish_version saves it",
    "publishing.services.package_rows.copy_manifest_metadata": (
        "sets fields; publish_version saves them and bumps"
    ),
    "publishing.services.package_rows.is_newest": "a query; writes nothing",
    "publishing.services.package_rows.lock_package": (
        "a step of publish_version, which bumps the package in the same transaction"
    ),
    "publishing.services.publishers.create_publisher": "a new publisher has no plugin yet",
    "publishing.services.publishers.verify_publisher": "changes how later versions publish",
    "registry.deployments.deploys_on_publish": "a rule; writes nothing",
    "registry.deployments.move_kind": "a rule; writes nothing",
    "registry.rollouts.open_rollout": "a read",
    "registry.rollouts.pause_rollout": "the share and both versions stay; nothing served changes",
    "registry.rollouts.resume_rollout": "the share and both versions stay; nothing served changes",
    "registry.services.record_audit_event": "the audit log is shown to staff only",
    "registry.services.refresh_search_data": "search data, read by the browse page",
    "registry.services.set_search_vector": "search data, read by the browse page",
    "registry.services.refresh_latest_published": (
        "a step of yank_version, which bumps the package in the same transaction"
    ),
    "registry.services.flush_download_stats": "download totals are in neither document",
    "installs.storage_services.set_storage_value": "plugin storage is read through its own API",
    "installs.testers.preview_settings": "a read",
    "installs.storage_services.delete_storage_value": "plugin storage is read through its own API",
    "publishing.tokens.hash_secret": "pure",
    "publishing.tokens.new_secret": "pure",
    "publishing.services.publishers.create_api_token": "tokens are in neither document",
    "publishing.services.publishers.revoke_api_token": "tokens are in neither document",
    "publishing.tokens.authenticate_secret": "writes only the token's last use",
    "publishing.tokens.require_scope": "a check; writes nothing",
    "publishing.tokens.require_package_allowed": "a check; writes nothing",
    "publishing.legacy.legacy_versions_to_migrate": "a read",
    "reviews.services.check_may_review": "a check; writes nothing",
}


def test_every_service_is_classified():
    found = public_functions()
    unclassified = sorted(found - set(SHOWN) - set(NOT_SHOWN))
    assert not unclassified, (
        "Say in SHOWN (with a scenario) or NOT_SHOWN (with why) whether these change what a "
        f"manifest or a bootstrap shows: {unclassified}"
    )
    assert not set(SHOWN) & set(NOT_SHOWN)
    # A renamed or removed service leaves a stale line here.
    assert set(SHOWN) | set(NOT_SHOWN) <= found


@pytest.mark.parametrize("service", sorted(SHOWN))
def test_service_moves_the_generations_of_what_it_changed(service, world):
    keys_of, prepare = SHOWN[service]
    keys = [key_of(world) for key_of in keys_of]
    call = prepare(world)
    before = {key: cache.get(key, 0) for key in keys}
    call()
    after = {key: cache.get(key, 0) for key in keys}
    assert all(after[key] > before[key] for key in keys), (service, before, after)


@pytest.fixture
def staff_client(client):
    client.force_login(make_user("admin-staff", staff=True))
    return client


def test_staff_deleting_a_version_in_the_admin_retires_its_package(world, staff_client):
    key = generation_key("my-wallet")
    before = cache.get(key, 0)
    version = world.version("1.0.0")
    response = staff_client.post(
        f"/admin/registry/pluginversion/{version.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not PluginVersion.objects.filter(pk=version.pk).exists()
    assert cache.get(key, 0) > before


def test_staff_editing_a_deployment_in_the_admin_retires_its_package(staff_client):
    deployment = PluginDeployment.objects.create(package=make_package("health-check"))
    key = generation_key("health-check")
    before = cache.get(key, 0)
    response = staff_client.post(
        f"/admin/registry/plugindeployment/{deployment.pk}/change/",
        {
            "health_status": PluginDeployment.Health.DEGRADED,
            "events-TOTAL_FORMS": 0,
            "events-INITIAL_FORMS": 0,
            "events-MIN_NUM_FORMS": 0,
            "events-MAX_NUM_FORMS": 1000,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    deployment.refresh_from_db()
    assert deployment.health_status == PluginDeployment.Health.DEGRADED
    assert cache.get(key, 0) > before


def test_staff_deleting_a_package_in_the_admin_retires_it(staff_client):
    # A deployed version is protected; a package whose deployment points nowhere can go.
    package = make_package("short-lived")
    make_version(package, "1.0.0")
    PluginDeployment.objects.create(package=package)
    key = generation_key("short-lived")
    before = cache.get(key, 0)
    response = staff_client.post(
        f"/admin/registry/pluginpackage/{package.pk}/delete/", {"post": "yes"}
    )
    assert response.status_code == 302
    assert not PluginVersion.objects.filter(package__name="short-lived").exists()
    assert cache.get(key, 0) > before


def test_staff_deleting_selected_versions_retires_each_of_their_packages(staff_client):
    versions = [make_version(make_package(name), "1.0.0") for name in ("first-one", "second-one")]
    keys = [generation_key(version.package.name) for version in versions]
    before = [cache.get(key, 0) for key in keys]
    response = staff_client.post(
        "/admin/registry/pluginversion/",
        {
            "action": "delete_selected",
            "_selected_action": [version.pk for version in versions],
            "post": "yes",
        },
    )
    assert response.status_code == 302
    assert not PluginVersion.objects.exists()
    assert all(cache.get(key, 0) > old for key, old in zip(keys, before, strict=True))


@pytest.mark.parametrize(
    "change",
    [
        lambda staff, package: publishing_services.set_package_listing(
            actor=staff, package=package, listed=False
        ),
        lambda staff, package: publishing_services.deprecate_package(
            actor=staff, package=package, message="use another"
        ),
        lambda staff, package: publishing_services.set_package_flag(
            actor=staff, package=package, flag="is_core", value=False
        ),
    ],
    ids=["unlist", "deprecate", "unmark"],
)
def test_changes_that_move_a_package_out_of_the_core_set_retire_every_bootstrap(world, change):
    package = world.wallet.package
    publishing_services.set_package_flag(
        actor=world.staff, package=package, flag="is_core", value=True
    )
    before = cache.get(CORE_GENERATION_KEY, 0)
    change(world.staff, package)
    assert cache.get(CORE_GENERATION_KEY, 0) > before


def test_listing_a_package_that_is_not_core_leaves_other_bootstraps_alone(world):
    before = cache.get(CORE_GENERATION_KEY, 0)
    publishing_services.set_package_listing(
        actor=world.staff, package=world.wallet.package, listed=False
    )
    assert cache.get(CORE_GENERATION_KEY, 0) == before
