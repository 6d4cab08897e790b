"""Shared set-up of the review tests: a published plugin, people who installed it."""

from __future__ import annotations

from django.db.models import Avg, Count

from installs import services as installs_services
from registry.models import PluginPackage
from reviews.models import PluginReview
from tests.factories import make_team, make_user, publish


def wallet():
    """my-wallet, published by its owner's publisher; returns (package, owner)."""
    result = publish("my-wallet", "1.0.0")
    return result.package, result.version.published_by


def user_with_wallet(username: str | None = None):
    """A person who installed my-wallet for themselves."""
    user = make_user(username)
    installs_services.install_plugin(actor=user, name="my-wallet")
    return user


def team_member_with_wallet(username: str | None = None):
    """A person whose team installed my-wallet (not they themselves)."""
    admin, member = make_user(), make_user(username)
    team = make_team(admin=admin, members=[member])
    installs_services.install_plugin(actor=admin, name="my-wallet", team_id=team.pk)
    return member


def stored_rating(name: str = "my-wallet") -> tuple[int, float | None, list[int]]:
    package = PluginPackage.objects.get(name=name)
    return package.rating_count, package.rating_average, package.rating_distribution


def fresh_aggregate(name: str = "my-wallet") -> tuple[int, float | None, list[int]]:
    """What the stored rating must be: computed now from the visible reviews."""
    visible = PluginReview.objects.filter(package__name=name, hidden=False)
    totals = visible.aggregate(count=Count("pk"), average=Avg("rating"))
    by_stars = dict(visible.values_list("rating").annotate(n=Count("pk")).order_by())
    distribution = [by_stars.get(stars, 0) for stars in range(1, 6)]
    return totals["count"], totals["average"], distribution
