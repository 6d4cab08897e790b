"""Search and browse at catalog scale: matches come from the indexes, are ranked and counted
once, and the answers (typos, substrings, relevance, totals) are the ones people had before."""

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from publishing import services as publishing
from registry import services
from registry.filters import search_settings
from registry.models import PluginPackage, PluginVersion
from tests.factories import make_package, make_publisher, make_version, publish

pytestmark = pytest.mark.django_db
URL = "/api/v1/plugins/registry"
# Full-text and trigram search are PostgreSQL's (CI runs there); on SQLite, the embedded
# default, the same tests check the substring fallback (docs/decisions.md, "Search").
ON_POSTGRES = connection.vendor == "postgresql"


def settings_statements(captured: CaptureQueriesContext) -> list[str]:
    return [query["sql"] for query in captured.captured_queries if "set_config(" in query["sql"]]


def names(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [plugin["name"] for plugin in response.json()["data"]["plugins"]]


def card_names(response) -> list[str]:
    return re.findall(r'<h3><a href="/plugins/([a-z0-9-]+)/">', response.content.decode())


def make_listed(name: str, **fields) -> PluginPackage:
    """A published package with one published version and its search data (no files)."""
    package = make_package(name, **fields)
    make_version(package, "1.0.0")
    services.refresh_search_data(package_ids=[package.pk])
    return package


@pytest.fixture
def catalog():
    publisher = make_publisher()
    make_listed(
        "my-wallet",
        publisher=publisher,
        description="Send and receive tokens",
        keywords=["finance"],
        downloads=50,
    )
    make_listed(
        "gateway-manager",
        publisher=publisher,
        description="Run gateways",
        category="operations",
        downloads=30,
    )
    make_listed("usage-dashboard", publisher=publisher, description="Charts of usage")
    make_listed(
        "wallet-dashboard",
        publisher=publisher,
        display_name="Balances",
        description="Balances of a wallet, per node",
        downloads=7,
    )
    make_listed("chat-room", publisher=publisher, description="Talk to your team")
    for index in range(20):
        make_listed(f"node-tool-{index}", publisher=publisher, description="A node tool")


@pytest.fixture
def large_catalog(catalog):
    """The catalog among 2,000 other listed packages (a publication date, as the publishing
    services keep it; no version rows), so the planner weighs its choices as at scale; a
    quarter of them mention gateways, as a common word does."""
    publisher = make_publisher()
    now = timezone.now()
    descriptions = ["Built for orchestrators and gateways", "Something else", "Other", "More"]
    PluginPackage.objects.bulk_create(
        PluginPackage(
            name=f"other-plugin-{index}",
            display_name=f"Other Plugin {index}",
            description=descriptions[index % 4],
            publisher=publisher,
            status=PluginPackage.Status.PUBLISHED,
            latest_published_at=now,
        )
        for index in range(2000)
    )
    services.refresh_search_data(
        package_ids=list(PluginPackage.objects.values_list("pk", flat=True))
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE registry_pluginpackage")


def package_scans(plan: str) -> set[str]:
    """How a plan reads registry_pluginpackage: 'Seq Scan', 'Bitmap Heap Scan', ..."""
    return set(re.findall(r"(\w+(?: \w+)*? Scan)(?: using \w+)? on registry_pluginpackage", plan))


def explain_search_queries(captured: CaptureQueriesContext) -> list[tuple[str, str]]:
    """(SQL, plan) of every captured query that reads a search's matches (full text `@@`,
    trigram `%>`), explained under the settings it ran with."""
    plans = []
    with connection.cursor() as cursor:
        for sql in (query["sql"] for query in captured.captured_queries):
            if "set_config(" in sql:
                cursor.execute(sql)
            elif "%>" in sql or "@@" in sql:
                cursor.execute(f"EXPLAIN {sql}")
                plans.append((sql, "\n".join(row[0] for row in cursor.fetchall())))
    return plans


@pytest.mark.parametrize(
    ("path", "query", "sort"),
    [
        (URL, query, sort)
        for query in ("walet", "gateway")
        for sort in ("relevance", "downloads", "name", "newest")
    ]
    + [("/", "walet", "relevance"), ("/", "gateway", "name")],
)
def test_a_search_reads_its_matches_from_the_full_text_and_trigram_indexes(
    client, large_catalog, path, query, sort
):
    with CaptureQueriesContext(connection) as captured:
        assert client.get(path, {"search": query, "sort": sort}).status_code == 200
    if not ON_POSTGRES:
        assert settings_statements(captured) == []  # search_settings does nothing there
        return
    plans = explain_search_queries(captured)
    # Whether the words match (one probe of the full-text index), then the matches of the
    # tier that answers: the full-text index for a word ("gateway"), the trigram indexes for
    # a typo ("walet", which no package's words contain).
    forgiving = [plan for sql, plan in plans if "%>" in sql]
    assert bool(forgiving) == (query == "walet"), plans
    for sql, plan in plans:
        if "%>" in sql:
            assert "BitmapOr" in plan, plan
            indexes = ("package_name_trgm", "package_display_name_trgm")
        else:
            indexes = ("package_search_vector_gin",)
        for index in indexes:
            assert f"Bitmap Index Scan on {index}" in plan, plan
        # Never every package: no sequential scan, no walk along an index that gives the order.
        assert package_scans(plan) == {"Bitmap Heap Scan"}, plan


@pytest.mark.django_db(transaction=True)
def test_the_search_settings_last_only_as_long_as_the_search(client, catalog):
    if not ON_POSTGRES:
        with CaptureQueriesContext(connection) as captured:
            assert names(client.get(URL, {"search": "gateway"})) == ["gateway-manager"]
        assert settings_statements(captured) == []
        return
    with connection.cursor() as cursor:
        # A connection someone else left with a stricter threshold (CONN_MAX_AGE, a pooler).
        cursor.execute("SET pg_trgm.word_similarity_threshold = 0.9")
        try:
            assert names(client.get(URL, {"search": "gatway"})) == ["gateway-manager"]
            cursor.execute(
                "SELECT current_setting('pg_trgm.word_similarity_threshold'),"
                " current_setting('enable_seqscan'), current_setting('enable_indexscan')"
            )
            assert cursor.fetchone() == ("0.9", "on", "on")
        finally:
            cursor.execute("RESET pg_trgm.word_similarity_threshold")


def test_typos_are_forgiven_from_a_word_similarity_of_0_4_and_not_below(client, catalog):
    if not ON_POSTGRES:  # substrings only: no typo tolerance
        assert names(client.get(URL, {"search": "walet"})) == []
        assert names(client.get(URL, {"search": "wallet"}))[:2] == ["my-wallet", "wallet-dashboard"]
        return
    assert names(client.get(URL, {"search": "walet"}))[:2] == ["my-wallet", "wallet-dashboard"]
    assert names(client.get(URL, {"search": "gatway"})) == ["gateway-manager"]  # 0.5
    assert names(client.get(URL, {"search": "waalet"}))[0] == "my-wallet"  # exactly 0.4
    assert names(client.get(URL, {"search": "dashbord"})) == ["wallet-dashboard", "usage-dashboard"]
    assert names(client.get(URL, {"search": "wolet"})) == []  # 0.33


@pytest.mark.parametrize("query", ["wallet", "walet", "dashboard", "node", "balances", "LLE"])
def test_relevance_is_the_text_rank_of_word_matches_else_the_best_name_similarity(
    client, catalog, query
):
    if not ON_POSTGRES:  # no rank there: substring matches by downloads, then name
        matches = [
            package
            for package in PluginPackage.objects.all()
            if any(
                query.lower() in text.lower()
                for text in (
                    package.name,
                    package.display_name,
                    package.description,
                    *package.keywords,
                )
            )
        ]
        expected = [p.name for p in sorted(matches, key=lambda p: (-p.downloads, p.name))]
        assert names(client.get(URL, {"search": query, "limit": 100})) == expected
        return
    with connection.cursor() as cursor:
        # The two tiers written plainly, over every package (the catalog is all listed): the
        # packages whose words match, by text rank; else names a typo away or containing the
        # query, by the best word similarity.
        cursor.execute(
            """
            WITH search AS (
                SELECT websearch_to_tsquery('simple', %(q)s)
                       || websearch_to_tsquery(%(config)s::regconfig, %(q)s) AS query
            ), words AS (
                SELECT name, downloads, ts_rank(search_vector, query) AS relevance
                FROM registry_pluginpackage, search WHERE search_vector @@ query
            ), forgiving AS (
                SELECT name, downloads, GREATEST(
                    word_similarity(%(q)s, name), word_similarity(%(q)s, display_name)
                ) AS relevance
                FROM registry_pluginpackage
                WHERE GREATEST(word_similarity(%(q)s, name), word_similarity(%(q)s, display_name))
                      >= 0.4
                   OR name ILIKE '%%' || %(q)s || '%%'
            )
            SELECT name FROM (
                SELECT * FROM words
                UNION ALL
                SELECT * FROM forgiving WHERE NOT EXISTS (SELECT 1 FROM words)
            ) AS found
            ORDER BY relevance DESC, downloads DESC, name
            """,
            {"q": query, "config": settings.SEARCH_CONFIG},
        )
        expected = [name for (name,) in cursor.fetchall()]
    assert expected
    assert names(client.get(URL, {"search": query, "limit": 100})) == expected


def test_uppercase_and_inner_substrings_match_names(client, catalog):
    # "lle" shares one trigram with "wallet": only the substring match finds it.
    assert names(client.get(URL, {"search": "LLE"})) == ["my-wallet", "wallet-dashboard"]


def test_the_total_counts_every_match_on_every_page_and_past_the_last(client, catalog):
    def page(number: int) -> dict:
        response = client.get(URL, {"search": "node", "sort": "name", "limit": 8, "page": number})
        assert response.status_code == 200
        return response.json()["data"]

    matches = 21  # 20 names and one description say "node"
    assert [page(1)["total"], page(3)["total"], page(4)["total"]] == [matches] * 3
    assert len(page(3)["plugins"]) == matches - 16
    assert page(4)["plugins"] == []
    assert client.get(URL, {"search": "nothing-like-it"}).json()["data"]["total"] == 0


def test_a_search_takes_as_many_queries_for_many_matches_as_for_one(
    client, catalog, django_assert_max_num_queries
):
    # Settings (PostgreSQL only), whether the words match (PostgreSQL only), the page's ids
    # with the total, the page's rows; and, as this test runs inside a transaction, one
    # statement that puts the settings back.
    with django_assert_max_num_queries(5) as one:
        assert len(names(client.get(URL, {"search": "chat"}))) == 1
    with django_assert_max_num_queries(len(one.captured_queries)):
        assert len(names(client.get(URL, {"search": "node", "limit": 100}))) >= 20


def test_a_package_whose_versions_are_all_yanked_is_not_listed(client, catalog):
    result = publish("old-wallet", "1.0.0", description="An old wallet")
    assert "old-wallet" in names(client.get(URL, {"search": "wallet"}))
    publishing.yank_version(
        actor=result.version.published_by, version=result.version, reason="broken"
    )
    assert PluginPackage.objects.get(name="old-wallet").status == PluginPackage.Status.PUBLISHED
    assert not PluginVersion.objects.filter(package__name="old-wallet", status="published")
    assert "old-wallet" not in names(client.get(URL, {"search": "wallet"}))
    assert "old-wallet" not in names(client.get(URL, {"limit": 100}))
    assert "old-wallet" not in card_names(client.get("/", {"search": "wallet"}))


def test_browse_counts_and_pages_a_search_as_the_api_does(client, catalog, monkeypatch):
    monkeypatch.setattr("registry.views.PAGE_SIZE", 8)
    expected = names(client.get(URL, {"search": "node", "sort": "name", "limit": 100}))
    pages = [client.get("/", {"search": "node", "sort": "name", "page": n}) for n in (1, 2, 3)]
    first = pages[0].content.decode()
    assert f"{len(expected)} plugins for “node”" in first
    assert "Page 1 of 3" in first
    assert [name for page in pages for name in card_names(page)] == expected
    too_far = client.get("/", {"search": "node", "sort": "name", "page": 99})
    assert card_names(too_far) == card_names(pages[2])  # the last page, as before
    in_operations = client.get("/", {"search": "gateway", "category": "operations"})
    assert "1 plugin for “gateway” in operations" in in_operations.content.decode()
    assert card_names(in_operations) == ["gateway-manager"]
    in_social = client.get("/", {"search": "gateway", "category": "social"})
    assert "0 plugins for “gateway” in social" in in_social.content.decode()
    assert card_names(in_social) == []


@pytest.mark.django_db(transaction=True)
def test_inside_a_callers_transaction_the_settings_are_put_back():
    with transaction.atomic():
        with CaptureQueriesContext(connection) as captured, search_settings():
            pass
        if not ON_POSTGRES:
            assert captured.captured_queries == []
            return
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('enable_seqscan'), current_setting('enable_indexscan')"
            )
            assert cursor.fetchone() == ("on", "on")


@pytest.fixture
def large_listed_catalog(catalog):
    """2,000 more listed packages, each with two published versions, analysed."""
    publisher = make_publisher()
    now = timezone.now()
    packages = PluginPackage.objects.bulk_create(
        PluginPackage(
            name=f"listed-plugin-{index}",
            display_name=f"Listed Plugin {index}",
            description="Something",
            category=["finance", "social", "operations", "media"][index % 4],
            publisher=publisher,
            status=PluginPackage.Status.PUBLISHED,
            downloads=index,
            latest_published_at=now - timedelta(minutes=index),
        )
        for index in range(2000)
    )
    PluginVersion.objects.bulk_create(
        PluginVersion(
            package=package,
            version=version,
            sort_key=f"{index:010d}",
            status=PluginVersion.Status.PUBLISHED,
            published_at=package.latest_published_at - timedelta(days=1 - index),
            manifest={},
        )
        for package in packages
        for index, version in enumerate(["1.0.0", "1.1.0"])
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE registry_pluginpackage")
        cursor.execute("ANALYZE registry_pluginversion")


def explain_listing_queries(captured: CaptureQueriesContext) -> list[str]:
    """EXPLAIN every captured query that orders or counts the listed packages."""
    plans = []
    with connection.cursor() as cursor:
        for sql in (query["sql"] for query in captured.captured_queries):
            if sql.startswith("SELECT") and "registry_pluginpackage" in sql and "IN (" not in sql:
                cursor.execute(f"EXPLAIN {sql}")
                plans.append("\n".join(row[0] for row in cursor.fetchall()))
    return plans


@pytest.mark.parametrize("sort", ["newest", "downloads", "name"])
def test_a_browse_page_reads_no_versions_and_joins_only_its_page(
    client, large_listed_catalog, sort
):
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/", {"sort": sort, "page": 3})
    assert response.status_code == 200
    assert len(card_names(response)) == 24
    if not ON_POSTGRES:  # the same answer; the plans are PostgreSQL's
        return
    plans = explain_listing_queries(captured)
    assert len(plans) == 2, plans  # the facets (with the total) and the page's ids
    for plan in plans:
        # "Has a published version" and, for sort=newest, when: the package's stored
        # latest_published_at; the versions table is not read at all.
        assert "registry_pluginversion" not in plan, plan
        assert "Hash" not in plan.replace("HashAggregate", ""), plan
        # The wide rows of deployments and versions are joined only to the page's 24 ids.
        assert "registry_plugindeployment" not in plan, plan
    # Both orders walk their partial index and stop at the page: no sort of every package.
    if sort == "downloads":  # the default
        assert "Index Scan using package_downloads_idx" in plans[1], plans[1]
    if sort == "newest":
        assert "Index Scan using package_newest_idx" in plans[1], plans[1]


def test_typo_and_substring_matches_are_offered_only_when_no_word_matches(client, catalog):
    make_listed("wallets-hub", description="Many purses")
    found = names(client.get(URL, {"search": "wallet", "limit": 100}))
    if not ON_POSTGRES:  # substrings: every name containing the query
        assert "wallets-hub" in found
        return
    # "wallet" is a word of other packages: those are the answer, ranked by text rank.
    assert "wallets-hub" not in found
    assert found[:2] == ["my-wallet", "wallet-dashboard"]
    # No package has the word "walet": names a typo away are offered, this one among them.
    assert "wallets-hub" in names(client.get(URL, {"search": "walet", "limit": 100}))
    # Its own word finds it (and, stemmed as English, the wallets).
    assert "wallets-hub" in names(client.get(URL, {"search": "wallets"}))


def test_the_tier_is_chosen_across_categories_so_api_and_browse_agree(client, catalog):
    make_listed("gateways-hub", category="media", description="Hubs")
    answer = client.get(URL, {"search": "gateway", "category": "media"}).json()["data"]
    page = client.get("/", {"search": "gateway", "category": "media"})
    if not ON_POSTGRES:  # substrings: the name contains the query
        assert [plugin["name"] for plugin in answer["plugins"]] == ["gateways-hub"]
        assert card_names(page) == ["gateways-hub"]
        return
    # "gateway" is a word of gateway-manager (operations): the word tier answers, in which
    # the media category has nothing, on the API and on the browse page alike.
    assert (answer["plugins"], answer["total"]) == ([], 0)
    assert card_names(page) == []
    assert names(client.get(URL, {"search": "gateway"})) == ["gateway-manager"]


def tier_questions(captured: CaptureQueriesContext) -> list[str]:
    """The statements asking whether any listed package has a search's words."""
    return [
        query["sql"]
        for query in captured.captured_queries
        if "@@" in query["sql"] and "LIMIT 1" in query["sql"] and "OVER ()" not in query["sql"]
    ]


def test_a_page_with_matches_or_a_first_page_without_any_asks_no_tier_question(client, catalog):
    # Words that match: the word tier's page is the answer.
    with CaptureQueriesContext(connection) as captured:
        assert names(client.get(URL, {"search": "wallet"})) == ["my-wallet", "wallet-dashboard"]
    assert tier_questions(captured) == []
    if not ON_POSTGRES:  # substrings: one tier, nothing to ask
        return
    # A typo: the word tier's first page of every category is empty, so no package has the
    # words, and the forgiving tier answers, still without the question.
    with CaptureQueriesContext(connection) as captured:
        assert names(client.get(URL, {"search": "walet"}))[0] == "my-wallet"
    assert tier_questions(captured) == []


def test_an_empty_page_in_a_category_or_past_the_first_asks_the_tier_question(client, catalog):
    if not ON_POSTGRES:  # substrings: one tier, nothing to ask; the answers as the API's
        answer = client.get(URL, {"search": "wallet", "category": "operations"}).json()["data"]
        assert answer["total"] == 0
        assert names(client.get(URL, {"search": "gateway-man", "category": "operations"})) == [
            "gateway-manager"
        ]
        return
    typo = {"search": "nod-tool", "sort": "name", "limit": 8}
    first = client.get(URL, typo).json()["data"]
    assert first["total"] == 20 and len(first["plugins"]) == 8
    # Page 2 of the typo: the word tier's page 2 is empty, which alone does not say that no
    # package has the words. The question is asked, and the forgiving tier answers.
    with CaptureQueriesContext(connection) as captured:
        second = client.get(URL, {**typo, "page": 2}).json()["data"]
    assert len(tier_questions(captured)) == 1
    assert second["total"] == 20
    assert [plugin["name"] for plugin in second["plugins"]] == sorted(
        f"node-tool-{index}" for index in range(20)
    )[8:16]
    # A category without the words, while another has them: asked, and the word tier (empty
    # here) answers (test_the_tier_is_chosen_across_categories_so_api_and_browse_agree).
    with CaptureQueriesContext(connection) as captured:
        answer = client.get(URL, {"search": "wallet", "category": "operations"}).json()["data"]
    assert len(tier_questions(captured)) == 1
    assert answer["total"] == 0
    # A typo in a category: asked, and no package has the words, so the forgiving tier
    # answers within the category.
    gateway = client.get(URL, {"search": "gatewy-manager", "category": "operations"})
    assert names(gateway) == ["gateway-manager"]


def test_the_search_indexes_keep_no_pending_list():
    if not ON_POSTGRES:  # no GIN indexes there
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname, reloptions FROM pg_class WHERE relname = ANY(%s) ORDER BY relname",
            [["package_search_vector_gin", "package_name_trgm", "package_display_name_trgm"]],
        )
        found = cursor.fetchall()
    assert found == [
        ("package_display_name_trgm", ["fastupdate=off"]),
        ("package_name_trgm", ["fastupdate=off"]),
        ("package_search_vector_gin", ["fastupdate=off"]),
    ]
