"""The bootstrap hot path in front of Django (installs/bootstrap_fastpath.py), through WSGI.

Against the local-memory cache and the real Redis server; sessions are made by signing in
with Django's test client, as the browser would get them.
"""

import pytest
from django.test import Client

from installs.bootstrap_fastpath import BootstrapFastPath
from installs.services import install_plugin
from publishing import services as publishing
from registry.field_reports import read_ticket
from registry.models import PluginVersion
from tests.factories import make_team, make_user
from tests.installs.helpers import TeamAdmin, install, publish_plugin, send
from tests.wsgi import call

pytestmark = pytest.mark.django_db

BOOTSTRAP = "/api/v1/plugins/installed"


@pytest.fixture(autouse=True)
def both_caches(cache_backend):
    """Every test here runs against the local-memory cache and against Redis."""
    return cache_backend


@pytest.fixture
def layer(django_app):
    return BootstrapFastPath(django_app)


def cookie_of(client) -> str:
    return f"sessionid={client.cookies['sessionid'].value}; theme=dark"


def ask(layer, client, query="", **extra):
    return call(layer, BOOTSTRAP, query=query, HTTP_COOKIE=cookie_of(client), **extra)


def names(answer) -> list[str]:
    assert answer.status_code == 200, answer.body
    return [item["name"] for item in answer.json()["data"]["plugins"]]


@pytest.fixture
def installed(api, wallet):
    install(api)
    return api


def test_an_unchanged_bootstrap_is_sent_without_django(layer, django_app, installed):
    first = ask(layer, installed)
    second = ask(layer, installed)
    third = ask(layer, installed)
    fourth = ask(layer, installed)
    assert names(first) == names(second) == names(third) == names(fourth) == ["my-wallet"]
    # The first answer was built before the entry knew my-wallet's generation, so it was
    # built once more (installs/cache.py); from then on Django is not asked.
    assert len(django_app.calls) == 2
    # The same document and headers as Django's, with a fresh generatedAt.
    data_first, data_third = first.json()["data"], third.json()["data"]
    assert data_third["generatedAt"].endswith("Z")
    data_first.pop("generatedAt"), data_third.pop("generatedAt")
    # Each build issues its own report ticket, for the same versions.
    tickets = [read_ticket(data.pop("reportTicket")) for data in (data_first, data_third)]
    assert tickets[0] == tickets[1] and list(tickets[0]) == ["my-wallet@1.0.0"]
    assert data_first == data_third
    assert third.json()["success"] is True
    assert third.headers["etag"] == first.headers["etag"]
    for name in ["cache-control", "vary", "x-content-type-options", "content-type"]:
        assert third.headers[name] == first.headers[name], name
    assert int(third.headers["content-length"]) == len(third.body)


def test_if_none_match_gets_a_304_without_django(layer, django_app, installed):
    ask(layer, installed)
    etag = ask(layer, installed).headers["etag"]
    answer = ask(layer, installed, HTTP_IF_NONE_MATCH=etag)
    assert answer.status_code == 304
    assert answer.body == b""
    assert answer.headers["etag"] == etag
    assert len(django_app.calls) == 2


def test_a_change_goes_through_django_and_is_kept_again(layer, django_app, installed, wallet):
    ask(layer, installed)
    ask(layer, installed)
    send(installed, "put", "/api/v1/plugins/my-wallet/preferences", {"pinned": True})
    answer = ask(layer, installed)
    assert answer.json()["data"]["plugins"][0]["pinned"] is True
    assert len(django_app.calls) == 3
    assert ask(layer, installed).json()["data"]["plugins"][0]["pinned"] is True
    assert len(django_app.calls) == 3


def test_a_publish_and_rollback_are_seen_at_once(layer, installed, wallet):
    assert ask(layer, installed).json()["data"]["plugins"][0]["manifest"]["version"] == "1.0.0"
    owner = PluginVersion.objects.get(version="1.0.0").published_by
    publish_plugin("my-wallet", "1.1.0", actor=owner, publisher=wallet.publisher, marker="2")
    assert ask(layer, installed).json()["data"]["plugins"][0]["manifest"]["version"] == "1.1.0"
    publishing.rollback_deployment(actor=owner, package=wallet, to_version="1.0.0")
    assert ask(layer, installed).json()["data"]["plugins"][0]["manifest"]["version"] == "1.0.0"


def test_a_team_plugin_installed_later_is_seen_at_once(layer, installed, person, wallet):
    other = publish_plugin("team-notes", "1.0.0").package
    admin = make_user()
    team = make_team("finance", admin=admin, members=[person])
    assert names(ask(layer, installed)) == ["my-wallet"]
    ask(layer, installed)
    install_plugin(actor=admin, name=other.name, team_id=team.pk)
    assert names(ask(layer, installed)) == ["my-wallet", "team-notes"]
    TeamAdmin().remove_member(team, person)
    assert names(ask(layer, installed)) == ["my-wallet"]


def test_a_signed_out_session_is_refused_by_django(layer, django_app, installed):
    cookie = cookie_of(installed)
    ask(layer, installed)
    installed.logout()
    answer = call(layer, BOOTSTRAP, HTTP_COOKIE=cookie)
    assert answer.status_code in {401, 403}
    assert answer.json()["success"] is False
    assert len(django_app.calls) == 2


def test_a_password_change_ends_the_other_sessions(layer, django_app, installed, person):
    ask(layer, installed)
    ask(layer, installed)
    person.set_password("a-new-password-123")
    person.save()
    # A new session after the change: its answers are kept, with the new session hash.
    fresh = Client()
    fresh.force_login(person)
    for _ in range(3):
        assert names(ask(layer, fresh)) == ["my-wallet"]
    calls = len(django_app.calls)
    assert names(ask(layer, fresh)) == ["my-wallet"]
    assert len(django_app.calls) == calls  # served by the layer
    # The old session's hash no longer matches: Django answers, and refuses it.
    answer = ask(layer, installed)
    assert answer.status_code in {401, 403}
    assert len(django_app.calls) == calls + 1


def test_a_deactivated_person_is_refused(layer, installed, person):
    ask(layer, installed)
    ask(layer, installed)
    person.is_active = False
    person.save()
    assert ask(layer, installed).status_code in {401, 403}


def test_each_person_gets_their_own_bootstrap(layer, wallet):
    alice, bob = Client(), Client()
    alice.force_login(make_user("alice2"))
    bob.force_login(make_user("bob2"))
    install(alice)
    for _ in range(3):
        assert names(ask(layer, alice)) == ["my-wallet"]
        assert names(ask(layer, bob)) == []


def test_team_and_shell_version_queries_are_kept_apart(layer, django_app, installed, person):
    admin = make_user()
    team = make_team("ops", admin=admin, members=[person])
    for _ in range(2):
        assert names(ask(layer, installed, query=f"teamId={team.pk}")) == []
        data = ask(layer, installed, query="shellVersion=1.0.0").json()["data"]
        assert data["shellVersion"] == "1.0.0"
        assert names(ask(layer, installed)) == ["my-wallet"]
    for _ in range(2):
        ask(layer, installed, query=f"teamId={team.pk}")
        ask(layer, installed, query="shellVersion=1.0.0")
        ask(layer, installed)
    assert len(django_app.calls) == 6  # two builds each (see the first test), then none


@pytest.mark.parametrize(
    "query",
    ["teamId=abc", "shellVersion=banana", "teamId=1&teamId=2", "other=1", "teamId=007"],
)
def test_unusual_queries_always_go_to_django(layer, django_app, installed, query):
    ask(layer, installed)
    ask(layer, installed)
    for _ in range(2):
        ask(layer, installed, query=query)
    assert len(django_app.calls) == 4


def test_a_bad_query_still_gets_djangos_400(layer, installed):
    answer = ask(layer, installed, query="shellVersion=banana")
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "VALIDATION_ERROR"


def test_tokens_and_requests_without_a_session_go_to_django(layer, django_app, installed):
    ask(layer, installed)
    ask(layer, installed, HTTP_AUTHORIZATION="Bearer naap_x")
    assert call(layer, BOOTSTRAP).status_code in {401, 403}
    assert len(django_app.calls) == 3


def test_other_paths_and_methods_go_to_django(layer, django_app, installed):
    ask(layer, installed)
    call(layer, BOOTSTRAP, method="HEAD", HTTP_COOKIE=cookie_of(installed))
    call(layer, "/api/v1/plugins/registry", HTTP_COOKIE=cookie_of(installed))
    assert len(django_app.calls) == 3


def test_without_sessions_in_the_cache_the_layer_stands_aside(settings, django_app, installed):
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    layer = BootstrapFastPath(django_app)
    for _ in range(3):
        assert names(ask(layer, installed)) == ["my-wallet"]
    assert len(django_app.calls) == 3
