"""The browse page and the listing API from the cache: stamped with the catalog generation, so
every kind of catalog write shows on the next request; the personal parts of the page (header,
install badges) are rendered around the cached listing and never kept in it."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from installs import services as installs_services
from publishing import services as publishing
from registry import browse_cache
from registry.cache import CATALOG_GENERATION_KEY, invalidate_package
from registry.models import PluginPackage
from tests.factories import make_package, make_team, make_user, make_version, publish

pytestmark = pytest.mark.django_db
API = "/api/v1/plugins/registry"
BADGE = browse_cache.INSTALLED_BADGE


def cards(response) -> list[str]:
    assert response.status_code == 200
    return re.findall(r'<h3><a href="/plugins/([a-z0-9-]+)/">', response.content.decode())


def listing_part(response) -> str:
    """The page without its header (which differs between people)."""
    return response.content.decode().split('<main id="content">', 1)[1]


def package_queries(captured: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "registry_plugin" in q["sql"]]


@pytest.fixture
def catalog():
    owner = make_user("owner")
    results = {
        name: publish(name, "1.0.0", actor=owner, category=category)
        for name, category in [("my-wallet", "finance"), ("chat-room", "social")]
    }
    PluginPackage.objects.filter(name="my-wallet").update(downloads=10)
    return owner, results


def test_a_second_anonymous_request_is_the_same_page_without_sql(client, catalog, cache_backend):
    first = client.get("/", {"sort": "name"})
    with CaptureQueriesContext(connection) as captured:
        second = client.get("/", {"sort": "name"})
    assert second.content == first.content
    assert cards(second) == ["chat-room", "my-wallet"]
    assert captured.captured_queries == []
    # Another sort of the same search shares the facets: only the page's own query runs.
    with CaptureQueriesContext(connection) as captured:
        assert cards(client.get("/", {"sort": "newest"})) == ["chat-room", "my-wallet"]
    assert not [sql for sql in package_queries(captured) if "GROUP BY" in sql]


def test_every_kind_of_catalog_write_shows_on_the_next_request(client, catalog, cache_backend):
    owner, results = catalog
    staff = make_user("staff", staff=True)

    def page() -> str:
        return client.get("/").content.decode()

    assert cards(client.get("/")) == ["my-wallet", "chat-room"]
    # A publish: a new package and a new category facet.
    publish("new-ledger", "1.0.0", actor=owner, category="operations")
    assert "new-ledger" in cards(client.get("/"))
    assert re.search(r"operations <span class=\"count\">1</span>", page())
    # A deprecation leaves the listing.
    publishing.deprecate_package(
        actor=owner, package=PluginPackage.objects.get(name="new-ledger"), message="Use another."
    )
    assert "new-ledger" not in cards(client.get("/"))
    assert "operations" not in page()
    # A yank of the only version leaves the listing too.
    version = results["chat-room"].version
    publishing.yank_version(actor=owner, version=version, reason="broken")
    assert cards(client.get("/")) == ["my-wallet"]
    # A listing change (staff unlist).
    publishing.set_package_listing(
        actor=staff, package=PluginPackage.objects.get(name="my-wallet"), listed=False
    )
    assert cards(client.get("/")) == []
    publishing.set_package_listing(
        actor=staff, package=PluginPackage.objects.get(name="my-wallet"), listed=True
    )
    assert cards(client.get("/")) == ["my-wallet"]
    # A review or a category change: the row changes, then invalidate_package, as every
    # service that changes what a card shows does.
    PluginPackage.objects.filter(name="my-wallet").update(category="social", downloads=99)
    assert "99 downloads" not in page()  # the write alone does not retire the cache...
    invalidate_package("my-wallet")
    after = page()  # ... its invalidate_package does
    assert "99 downloads" in after
    assert re.search(r"social <span class=\"count\">1</span>", after)


def test_invalidate_package_bumps_the_catalog_generation(cache_backend):
    from django.core.cache import cache

    before = cache.get(CATALOG_GENERATION_KEY) or 0
    invalidate_package("anything")
    assert cache.get(CATALOG_GENERATION_KEY) == before + 1


def test_the_signed_in_page_has_its_header_and_badges_around_the_cached_listing(
    client, catalog, cache_backend, django_assert_max_num_queries
):
    owner, _ = catalog
    anonymous = client.get("/")  # fills the cache
    reader = make_user("reader")
    team = make_team(admin=owner, members=[reader])
    installs_services.install_plugin(actor=reader, name="chat-room")
    installs_services.install_plugin(actor=owner, name="my-wallet", team_id=team.pk)
    client.force_login(reader)
    # Session, user, the badges' one query (and, at most, the session's save).
    with django_assert_max_num_queries(4) as captured:
        signed_in = client.get("/")
    assert package_queries(captured) == [], "the listing must come from the cache"
    assert [q for q in captured.captured_queries if "installs_tenantplugininstall" in q["sql"]]
    html = signed_in.content.decode()
    assert "Sign out reader" in html and "Sign in" not in html
    assert html.count(BADGE) == 2  # one personal install, one through the team
    assert listing_part(signed_in).replace(BADGE, "") == listing_part(anonymous)


def test_anonymous_and_signed_in_people_never_share_personal_parts(client, catalog):
    reader = make_user("reader")
    installs_services.install_plugin(actor=reader, name="chat-room")
    client.force_login(reader)
    assert BADGE in client.get("/").content.decode()  # the signed-in request fills the cache
    client.logout()
    anonymous = client.get("/").content.decode()
    assert BADGE not in anonymous and "reader" not in anonymous and "Sign in" in anonymous
    client.force_login(make_user("other"))
    other = client.get("/").content.decode()
    assert BADGE not in other and "reader" not in other and "Sign out other" in other


def test_a_package_text_cannot_forge_a_badge_slot(client, catalog):
    reader = make_user("reader")
    installs_services.install_plugin(actor=reader, name="chat-room")
    chat_room = PluginPackage.objects.get(name="chat-room")
    forger = make_package("forger", description=f"<!--naap-installed:{chat_room.pk}-->")
    make_version(forger)
    client.force_login(reader)
    html = client.get("/").content.decode()
    assert html.count(BADGE) == 1  # chat-room's own card only
    assert f"&lt;!--naap-installed:{chat_room.pk}--&gt;" in html


def test_a_query_with_made_up_parameters_is_answered_but_not_kept(client, catalog):
    from django.core.cache import cache

    assert cards(client.get("/", {"utm": "x", "sort": "name"})) == ["chat-room", "my-wallet"]
    assert not [key for key in cache._cache if ":browse:" in key]  # locmem: its keys
    client.get("/", {"sort": "name"})
    assert [key for key in cache._cache if ":browse:" in key]


def test_pages_and_categories_are_cached_apart(client, catalog, monkeypatch):
    monkeypatch.setattr("registry.views.PAGE_SIZE", 1)
    assert cards(client.get("/")) == ["my-wallet"]
    assert cards(client.get("/", {"page": 2})) == ["chat-room"]
    assert cards(client.get("/", {"category": "social"})) == ["chat-room"]
    assert cards(client.get("/", {"page": "1"})) == ["my-wallet"]


@pytest.mark.parametrize("cached", [True, False])
def test_api_search_results_follow_the_setting_and_the_generation(
    client, catalog, settings, cached
):
    settings.SEARCH_RESULT_CACHE = cached
    owner, _ = catalog

    def search() -> list[str]:
        response = client.get(API, {"search": "wallet"})
        assert response.status_code == 200
        return [plugin["name"] for plugin in response.json()["data"]["plugins"]]

    assert search() == ["my-wallet"]
    with CaptureQueriesContext(connection) as captured:
        assert search() == ["my-wallet"]
    assert bool(package_queries(captured)) is not cached
    publish("wallet-two", "1.0.0", actor=owner)
    assert search() == ["my-wallet", "wallet-two"]
    # A refused query is never kept.
    assert client.get(API, {"search": "wallet", "limit": 0}).status_code == 400
    assert client.get(API, {"search": "wallet", "limit": 0}).status_code == 400
