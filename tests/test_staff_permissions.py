"""Staff permissions hold: each staff act needs its permission, in the admin and in the
services, and the Moderators and Operators groups grant what their names say."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

from installs.services import install_plugin
from installs.testers import set_preview_testers
from naap.errors import Forbidden, NotFound
from publishing import services
from publishing.models import ApiToken
from registry.models import PluginDeployment, PluginPackage, PluginVersion, Publisher
from reviews import services as review_services
from reviews.models import PluginReview
from tests.factories import make_publisher, make_staff, make_user, publish
from tests.publishing.helpers import token_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def catalog():
    """A deployed 1.1.0 over 1.0.0, a version in review, an unverified publisher, a token."""
    first = publish("my-wallet", "1.0.0")
    owner = first.version.published_by
    publish("my-wallet", "1.1.0", actor=owner, publisher=first.package.publisher)
    publish("under-review", "1.0.0", verified=False)
    _, _, token, _ = token_for()
    rater = make_user()
    install_plugin(actor=rater, name="my-wallet")
    review = review_services.create_review(actor=rater, name="my-wallet", rating=1)
    return {
        "review": review,
        "package": PluginPackage.objects.get(name="my-wallet"),
        "deployed": PluginVersion.objects.get(package__name="my-wallet", version="1.1.0"),
        "pending": PluginVersion.objects.get(package__name="under-review"),
        "publisher": make_publisher("unverified-co", verified=False),
        "token": token,
    }


# A refusal: Forbidden, or NotFound where the service does not reveal that the row exists
# (another publisher's token).
REFUSED = (Forbidden, NotFound)

# Each staff act, as the service is called, and the permission it needs.
ACTS = {
    "approve": lambda actor, c: services.approve_version(actor=actor, version=c["pending"]),
    "reject": lambda actor, c: services.reject_version(
        actor=actor, version=c["pending"], reason="no"
    ),
    "verify": lambda actor, c: services.verify_publisher(actor=actor, publisher=c["publisher"]),
    "revoke": lambda actor, c: services.revoke_api_token(actor=actor, token_id=c["token"].pk),
    "feature": lambda actor, c: services.set_package_flag(
        actor=actor, package=c["package"], flag="featured", value=True
    ),
    "mark core": lambda actor, c: services.set_package_flag(
        actor=actor, package=c["package"], flag="is_core", value=True
    ),
    "unlist": lambda actor, c: services.set_package_listing(
        actor=actor, package=c["package"], listed=False
    ),
    "deprecate": lambda actor, c: services.deprecate_version(
        actor=actor, version=c["deployed"], message="use 2"
    ),
    "yank": lambda actor, c: services.yank_version(
        actor=actor, version=c["deployed"], reason="broken"
    ),
    "roll back": lambda actor, c: services.rollback_deployment(
        actor=actor, package=c["package"], to_version="1.0.0"
    ),
    "make a preview": lambda actor, c: set_preview_testers(
        actor=actor, name=c["package"].name, preview=True, users=[], teams=[]
    ),
    "hide review": lambda actor, c: review_services.hide_review(
        actor=actor, review=c["review"], reason="abuse"
    ),
}
MODERATOR_ACTS = {"approve", "reject", "verify", "feature", "mark core", "unlist", "hide review"}
MODERATOR_ACTS |= {"make a preview"}
OPERATOR_ACTS = {"revoke", "deprecate", "yank", "roll back"}


def state(c) -> tuple:
    """What any of the acts would change."""
    package = PluginPackage.objects.get(pk=c["package"].pk)
    deployed = PluginVersion.objects.get(pk=c["deployed"].pk)
    return (
        PluginVersion.objects.get(pk=c["pending"].pk).status,
        Publisher.objects.get(pk=c["publisher"].pk).verified,
        ApiToken.objects.get(pk=c["token"].pk).revoked_at,
        (package.featured, package.is_core, package.status, package.preview),
        (deployed.status, deployed.deprecated),
        PluginDeployment.objects.get(package=package).version_id,
        PluginReview.objects.get(pk=c["review"].pk).hidden,
    )


@pytest.mark.parametrize("act", sorted(ACTS))
def test_a_staff_member_with_only_view_permissions_can_do_nothing(catalog, act):
    viewer = make_staff(view_only=True)
    before = state(catalog)
    with pytest.raises(REFUSED):
        ACTS[act](viewer, catalog)
    assert state(catalog) == before


@pytest.mark.parametrize("act", sorted(ACTS))
def test_the_groups_grant_what_their_names_say(catalog, act):
    moderator = make_staff(groups=["Moderators"])
    operator = make_staff(groups=["Operators"])
    allowed, refused = (moderator, operator) if act in MODERATOR_ACTS else (operator, moderator)
    before = state(catalog)
    with pytest.raises(REFUSED):
        ACTS[act](refused, catalog)
    assert state(catalog) == before
    ACTS[act](allowed, catalog)
    assert state(catalog) != before


def test_every_act_belongs_to_one_group():
    assert set(ACTS) == MODERATOR_ACTS | OPERATOR_ACTS
    assert not MODERATOR_ACTS & OPERATOR_ACTS


ADMIN_ACTIONS = [
    ("publishing", "pendingversion", "approve", "pending"),
    ("registry", "pluginversion", "yank", "deployed"),
    ("registry", "pluginpackage", "feature", "package"),
    ("registry", "publisher", "verify", "publisher"),
    ("publishing", "apitoken", "revoke", "token"),
    ("reviews", "pluginreview", "hide", "review"),
]


@pytest.mark.parametrize(("app", "model", "action", "row"), ADMIN_ACTIONS)
def test_the_admin_offers_a_view_only_staff_member_no_act_and_applies_none(
    client, catalog, app, model, action, row
):
    url = f"/admin/{app}/{model}/"
    client.force_login(make_user(staff=True))  # a superuser is offered the action
    assert f'value="{action}"' in client.get(url).content.decode()
    client.force_login(make_staff(view_only=True))
    page = client.get(url)
    assert page.status_code == 200
    assert f'value="{action}"' not in page.content.decode()
    before = state(catalog)
    data = {"action": action, ACTION_CHECKBOX_NAME: [catalog[row].pk], "text": "why", "apply": 1}
    client.post(url, data)
    assert state(catalog) == before


def test_the_rollback_page_needs_the_rollback_permission(client, catalog):
    url = f"/admin/registry/pluginpackage/{catalog['package'].pk}/rollback/"
    client.force_login(make_staff(view_only=True))
    assert client.get(url).status_code == 403
    client.force_login(make_staff(groups=["Operators"]))
    assert client.get(url).status_code == 200
