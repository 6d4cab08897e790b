"""Naming a preview's testers: who may, what is refused, what is written and retired
(installs/testers.py, `GET/PUT /api/v1/plugins/{name}/testers`)."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from installs.cache import team_generation_key, user_generation_key
from installs.models import PreviewTester
from installs.testers import MAX_TESTER_USERS
from registry.cache import CORE_GENERATION_KEY, generation_key
from registry.models import AuditEvent, PluginPackage
from tests.factories import make_team, make_user
from tests.installs.helpers import error_of, publish_plugin, send

pytestmark = pytest.mark.django_db

URL = "/api/v1/plugins/my-wallet/testers"


@pytest.fixture
def owner(db):
    user = make_user("owner")
    publish_plugin("my-wallet", "1.0.0", actor=user)
    return user


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def put(client, **body):
    body.setdefault("preview", True)
    return send(client, "put", URL, body)


def test_a_member_makes_a_preview_and_names_people_and_teams(owner):
    tess, teddy = make_user("tess"), make_user("teddy")
    make_team("testers", members=[teddy])
    response = put(signed_in(owner), users=["tess", "tess"], teams=["testers"])
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["preview"] is True
    assert data["visibleToUsers"] is False
    assert [user["username"] for user in data["users"]] == ["tess"]
    assert [team["name"] for team in data["teams"]] == ["testers"]
    assert data["previewTesterUserIds"] == [tess.pk]
    assert PluginPackage.objects.get().preview is True
    assert PreviewTester.objects.count() == 2
    actions = list(AuditEvent.objects.values_list("action", flat=True).order_by("id"))
    assert actions[-2:] == ["package.preview", "package.testers"]
    assert send(signed_in(owner), "get", URL).json()["data"] == data


def test_saving_the_same_testers_again_changes_and_records_nothing(owner):
    make_user("tess")
    put(signed_in(owner), users=["tess"])
    audits = AuditEvent.objects.count()
    assert put(signed_in(owner), users=["tess"]).status_code == 200
    assert AuditEvent.objects.count() == audits
    assert PreviewTester.objects.count() == 1


def test_replacing_the_list_removes_those_left_out(owner):
    make_user("tess"), make_user("tom")
    put(signed_in(owner), users=["tess"])
    put(signed_in(owner), users=["tom"])
    assert list(PreviewTester.objects.values_list("user__username", flat=True)) == ["tom"]


def test_staff_may_name_testers(owner):
    make_user("tess")
    response = put(signed_in(make_user("staffer", staff=True)), users=["tess"])
    assert response.status_code == 200


def test_a_stranger_may_not_and_a_preview_is_a_missing_name_to_them(owner):
    stranger = signed_in(make_user("stranger"))
    refused = put(stranger, preview=False)
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "FORBIDDEN"
    put(signed_in(owner))
    hidden = put(stranger, preview=False)
    assert hidden.status_code == 404
    assert error_of(hidden)["message"] == "No plugin named 'my-wallet'."
    assert PluginPackage.objects.get().preview is True


def test_a_tester_sees_the_settings_page_refused_not_hidden(owner):
    make_user("tess")
    put(signed_in(owner), users=["tess"])
    from django.contrib.auth import get_user_model

    tess = get_user_model().objects.get(username="tess")
    assert put(signed_in(tess), preview=False).status_code == 403


def test_anonymous_and_token_requests_are_refused(owner):
    assert put(Client()).status_code in {401, 403}
    assert PluginPackage.objects.get().preview is False


def test_unknown_people_and_teams_are_named_and_nothing_is_written(owner):
    response = put(signed_in(owner), users=["ghost"], teams=["nobody"])
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "VALIDATION_ERROR"
    assert "ghost" in error["message"]
    assert PreviewTester.objects.count() == 0
    assert PluginPackage.objects.get().preview is False
    response = put(signed_in(owner), teams=["nobody"])
    assert "nobody" in error_of(response)["message"]


def test_too_many_testers_are_refused(owner):
    names = [f"user{index}" for index in range(MAX_TESTER_USERS + 1)]
    response = put(signed_in(owner), users=names)
    assert response.status_code == 400
    assert "users" in error_of(response)["details"]["fields"]
    assert PluginPackage.objects.get().preview is False


@pytest.mark.parametrize("body", [{"preview": "maybe"}, {"preview": True, "users": "tess"}])
def test_malformed_bodies_are_refused(owner, body):
    response = send(signed_in(owner), "put", URL, body)
    assert response.status_code == 400
    assert PluginPackage.objects.get().preview is False


def test_a_tester_is_a_user_or_a_team_never_both_nor_neither(owner):
    package = PluginPackage.objects.get()
    team = make_team("testers")
    for fields in ({}, {"user": owner, "team": team}):
        with pytest.raises(IntegrityError), transaction.atomic():
            PreviewTester.objects.create(package=package, **fields)


def test_a_person_is_named_once_per_package(owner):
    package = PluginPackage.objects.get()
    PreviewTester.objects.create(package=package, user=owner)
    with pytest.raises(IntegrityError), transaction.atomic():
        PreviewTester.objects.create(package=package, user=owner)


def test_naming_testers_retires_their_bootstraps_and_the_flag_retires_the_package(owner):
    from django.core.cache import cache

    tess, teddy = make_user("tess"), make_user("teddy")
    team = make_team("testers", members=[teddy])
    cache.clear()
    put(signed_in(owner), users=["tess"], teams=["testers"])
    assert cache.get(generation_key("my-wallet"), 0) > 0
    assert cache.get(user_generation_key(tess.pk), 0) > 0
    assert cache.get(team_generation_key(team.pk), 0) > 0
    # Not core: the flag leaves everybody else's bootstraps alone.
    assert cache.get(CORE_GENERATION_KEY, 0) == 0


def test_a_tester_added_later_gets_it_at_once_through_the_bootstrap_cache(owner):
    put(signed_in(owner))
    tess = make_user("tess")
    client = signed_in(tess)

    def names() -> list[str]:
        plugins = client.get("/api/v1/plugins/installed").json()["data"]["plugins"]
        return [plugin["name"] for plugin in plugins]

    assert names() == []  # now cached for tess
    put(signed_in(owner), users=["tess"])
    assert names() == ["my-wallet"]
    put(signed_in(owner), users=[])
    assert names() == []


def test_staff_adding_a_tester_in_the_admin_retires_their_bootstrap(owner):
    from django.core.cache import cache

    tess = make_user("tess")
    package = PluginPackage.objects.get()
    staff = signed_in(make_user("staffer", staff=True))
    before = cache.get(user_generation_key(tess.pk), 0)
    response = staff.post(
        "/admin/installs/previewtester/add/", {"package": package.pk, "user": tess.pk}
    )
    assert response.status_code == 302, response.content[:500]
    assert PreviewTester.objects.filter(user=tess).exists()
    assert cache.get(user_generation_key(tess.pk), 0) > before
    # The flag is set on the Testers page only (with its bumps), never in the package form.
    page = staff.get(f"/admin/registry/pluginpackage/{package.pk}/change/").content.decode()
    assert 'name="preview"' not in page
    assert "/plugins/my-wallet/testers/" in page
