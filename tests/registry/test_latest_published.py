"""PluginPackage.latest_published_at: kept in step by the services that publish, approve and
yank, read by the listing ("has a published version") and by sort=newest."""

import pytest
from django.db import IntegrityError, transaction

from publishing import services
from registry import selectors
from registry.models import PluginPackage, PluginVersion
from tests.factories import make_package, make_user, publish

pytestmark = pytest.mark.django_db


def latest(name: str):
    return PluginPackage.objects.get(name=name).latest_published_at


def version(name: str, number: str) -> PluginVersion:
    return PluginVersion.objects.get(package__name=name, version=number)


def listed() -> list[str]:
    return list(selectors.listed_packages().values_list("name", flat=True))


def test_each_published_version_moves_the_date_to_its_own(plugin_storage_in_tmp):
    first = publish("my-wallet", "1.0.0")
    assert latest("my-wallet") == version("my-wallet", "1.0.0").published_at is not None
    publish(
        "my-wallet",
        "1.1.0",
        actor=first.version.published_by,
        publisher=first.version.package.publisher,
    )
    assert latest("my-wallet") == version("my-wallet", "1.1.0").published_at
    assert "my-wallet" in listed()


def test_a_version_waiting_for_review_gives_no_date_until_it_is_approved(plugin_storage_in_tmp):
    publish("my-wallet", "1.0.0", verified=False)
    assert latest("my-wallet") is None
    assert "my-wallet" not in listed()
    services.approve_version(actor=make_user(staff=True), version=version("my-wallet", "1.0.0"))
    assert latest("my-wallet") == version("my-wallet", "1.0.0").published_at is not None
    assert "my-wallet" in listed()


def test_a_rejected_version_gives_no_date(plugin_storage_in_tmp):
    publish("my-wallet", "1.0.0", verified=False)
    services.reject_version(
        actor=make_user(staff=True), version=version("my-wallet", "1.0.0"), reason="Broken."
    )
    assert latest("my-wallet") is None
    assert "my-wallet" not in listed()


def test_yanking_falls_back_to_the_newest_still_published_then_to_none(plugin_storage_in_tmp):
    first = publish("my-wallet", "1.0.0")
    owner = first.version.published_by
    publish("my-wallet", "1.1.0", actor=owner, publisher=first.version.package.publisher)
    services.yank_version(actor=owner, version=version("my-wallet", "1.1.0"), reason="Broken.")
    assert latest("my-wallet") == version("my-wallet", "1.0.0").published_at
    assert "my-wallet" in listed()
    services.yank_version(actor=owner, version=version("my-wallet", "1.0.0"), reason="Broken.")
    assert latest("my-wallet") is None
    assert "my-wallet" not in listed()


def test_a_published_version_without_a_date_is_refused_by_the_database():
    package = make_package("my-wallet")
    with pytest.raises(IntegrityError), transaction.atomic():
        PluginVersion.objects.create(
            package=package, version="1.0.0", status=PluginVersion.Status.PUBLISHED, manifest={}
        )


def test_sort_newest_follows_the_stored_dates(client, plugin_storage_in_tmp):
    def newest_first() -> list[str]:
        answer = client.get("/api/v1/plugins/registry", {"sort": "newest"}).json()
        return [plugin["name"] for plugin in answer["data"]["plugins"]]

    older = publish("older-plugin", "1.0.0")
    publish("newer-plugin", "1.0.0")
    assert newest_first() == ["newer-plugin", "older-plugin"]
    publish(
        "older-plugin",
        "1.1.0",
        actor=older.version.published_by,
        publisher=older.version.package.publisher,
    )
    assert newest_first() == ["older-plugin", "newer-plugin"]
