"""The listing's ranked statement, compiled once per shape (registry.ranked_statements): a
kept template answers exactly as the ORM does, for every value and on every page, and a shape
whose template does not reproduce the ORM's statement is never kept."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from registry import ranked_statements, selectors, semver, services
from registry.filters import PackageFilterSet
from registry.models import PluginPackage
from tests.factories import make_package, make_publisher, make_version

pytestmark = pytest.mark.django_db
URL = "/api/v1/plugins/registry"
SUMMARY = selectors.SUMMARY_VALUES


@pytest.fixture(autouse=True)
def uncached(settings):
    settings.SEARCH_RESULT_CACHE = False  # (the templates start empty: tests/conftest.py)


def listed(name: str, **fields) -> PluginPackage:
    shell = fields.pop("shell", None)
    package = make_package(name, **fields)
    make_version(package, "1.0.0")
    if shell:
        PluginPackage.objects.filter(pk=package.pk).update(
            shell_min_key=semver.parse(shell[0]).sort_key(),
            shell_max_key=semver.parse(shell[1]).sort_key(),
        )
    services.refresh_search_data(package_ids=[package.pk])
    return package


@pytest.fixture
def catalog():
    publisher = make_publisher()
    listed("my-wallet", publisher=publisher, description="Tokens", downloads=50)
    listed("wallet-ops", publisher=publisher, category="operations", downloads=20)
    listed("old-wallet", publisher=publisher, deprecated=True, downloads=90)
    listed("wallet-100-pct", publisher=publisher, display_name="Wallet 100%", downloads=5)
    listed("under_score", publisher=publisher, display_name="Under_Score Tool")
    listed("legacy-wallet", publisher=publisher, shell=("0.1.0", "0.9.0"), downloads=3)
    listed("gateway-hub", publisher=publisher, category="operations", downloads=8)
    for index in range(12):
        listed(f"node-tool-{index}", publisher=publisher, description="A node tool")


def orm_page(params: dict, offset: int, limit: int) -> tuple[list, int]:
    """The page as the ORM compiles it each time (a FilterSet not made by of_listing)."""
    filterset = PackageFilterSet(params, queryset=selectors.listed_packages())
    assert filterset.is_valid(), filterset.errors
    rows, total = filterset.page_and_total(offset=offset, limit=limit)
    return [package.name for package in rows], total


def templated_page(params: dict, offset: int, limit: int) -> tuple[list, int]:
    filterset = PackageFilterSet.of_listing(params)
    assert filterset.is_valid(), filterset.errors
    rows, total = filterset.page_and_total(offset=offset, limit=limit)
    return [package.name for package in rows], total


QUERIES = [
    {},
    {"sort": "name"},
    {"search": "wallet"},
    {"search": "WALLET", "sort": "downloads"},
    {"search": "Wallet 100%"},
    {"search": "100%"},
    {"search": "under_score"},
    {"search": "nder_sc"},
    {"search": "walet"},
    {"search": "walet", "category": "operations"},
    {"search": "wallet", "category": "operations"},
    {"search": "gateway", "category": "operations", "sort": "newest"},
    {"search": "wallet", "includeDeprecated": "true"},
    {"search": "wallet", "shellVersion": "0.5.0"},
    {"search": "wallet", "shellVersion": "2.0.0", "sort": "rating"},
    {"search": "node tool", "sort": "name"},
    {"search": "nod-tool"},
    {"search": "back\\slash"},
    {"category": "operations"},
    {"shellVersion": "0.5.0", "includeDeprecated": "true"},
]


# Values that make each search shape's template first (in each tier: words some package has,
# and words none has), in the forms a fill must follow: uppercase, LIKE's `%`, `_` and `\`.
FIRST_VALUES = ["Wa_L%et\\", "WALLET"]


def test_every_kept_template_answers_as_the_orm_on_every_page(catalog):
    for params in QUERIES:
        for first in FIRST_VALUES if "search" in params else []:
            assert templated_page({**params, "search": first}, 0, 5) == orm_page(
                {**params, "search": first}, 0, 5
            )
    # Every shape was templated: its template, filled with those values, was the ORM's.
    assert None not in ranked_statements._templates.values()
    for params in QUERIES:
        for offset, limit in [(0, 5), (5, 5), (10, 5), (0, 100)]:
            assert templated_page(params, offset, limit) == orm_page(params, offset, limit), (
                params,
                offset,
            )
    # The same shapes again, now from the kept templates, in another order of values.
    for params in reversed(QUERIES):
        assert templated_page(params, 0, 100) == orm_page(params, 0, 100), params
    kept = [template for template in ranked_statements._templates.values() if template]
    assert len(kept) >= 10  # the shapes above are templated, not all compiled each time


def test_a_value_first_seen_after_its_shape_is_answered_from_the_template(catalog, monkeypatch):
    assert templated_page({"search": "wallet"}, 0, 20)[1] == 4
    compiled = []
    original = PackageFilterSet.ranked_queryset
    monkeypatch.setattr(
        PackageFilterSet,
        "ranked_queryset",
        lambda self: compiled.append(self) or original(self),
    )
    # Another word of the same shape, uppercase and with LIKE's special characters: no
    # queryset compiled, and the answer is the ORM's.
    for search in ["Tokens", "100%", "OPS"]:
        found = templated_page({"search": search}, 0, 20)
        assert compiled == []
        monkeypatch.setattr(PackageFilterSet, "ranked_queryset", original)
        assert found == orm_page({"search": search}, 0, 20), search
        monkeypatch.setattr(
            PackageFilterSet,
            "ranked_queryset",
            lambda self: compiled.append(self) or original(self),
        )


def test_a_shape_the_template_does_not_reproduce_is_compiled_each_time(catalog, monkeypatch):
    # A parameter form the markers cannot follow: the template's check against the ORM
    # fails, the shape is kept as untemplated, and every request compiles as before.
    monkeypatch.setattr(ranked_statements, "_fill", lambda param, values: param)
    assert templated_page({"search": "wallet"}, 0, 20) == orm_page({"search": "wallet"}, 0, 20)
    assert list(ranked_statements._templates.values()) == [None]
    assert templated_page({"search": "tokens"}, 0, 20) == (["my-wallet"], 1)


def test_the_api_runs_a_kept_template_with_the_requests_values(client, catalog):
    first = client.get(URL, {"search": "wallet", "limit": 2}).json()["data"]
    assert (first["total"], [plugin["name"] for plugin in first["plugins"]]) == (
        4,
        ["my-wallet", "wallet-ops"],
    )
    with CaptureQueriesContext(connection) as captured:
        second = client.get(URL, {"search": "node", "limit": 2, "page": 3}).json()["data"]
    assert second["total"] == 12 and len(second["plugins"]) == 2
    ranked = [query["sql"] for query in captured.captured_queries if "OVER ()" in query["sql"]]
    assert len(ranked) == 1 and "LIMIT 2 OFFSET 4" in ranked[0].replace("'", "")
    assert "\x00" not in ranked[0]  # the markers are replaced, never sent


def test_a_filterset_over_another_queryset_never_uses_a_template(catalog):
    mine = PackageFilterSet(
        {"search": "wallet"}, queryset=PluginPackage.objects.filter(name="wallet-ops")
    )
    assert mine.is_valid()
    rows, total = mine.page_and_total(offset=0, limit=20)
    assert ([package.name for package in rows], total) == (["wallet-ops"], 1)
    assert ranked_statements._templates == {}


def test_past_the_limit_a_new_shape_is_answered_without_being_kept(catalog, monkeypatch):
    monkeypatch.setattr(ranked_statements, "MAX_TEMPLATES", 1)
    assert templated_page({"search": "wallet"}, 0, 20) == orm_page({"search": "wallet"}, 0, 20)
    assert len(ranked_statements._templates) == 1
    by_name = {"search": "wallet", "sort": "name"}
    assert templated_page(by_name, 0, 20) == orm_page(by_name, 0, 20)
    assert len(ranked_statements._templates) == 1


def test_a_search_whose_tier_is_not_settled_is_compiled_by_the_orm(catalog):
    filterset = PackageFilterSet.of_listing({"search": "wallet"})
    assert filterset.is_valid()
    rows = ranked_statements.ranked_ids(filterset, 0, 20)
    assert len(rows) == 4 and {total for _, total in rows} == {4}
    if connection.vendor == "postgresql":  # the tier question was asked by the ORM's queryset
        assert ranked_statements._templates == {}


def orm_rows(ids: list[int]) -> list[dict]:
    found = selectors.listed_packages().filter(pk__in=ids).order_by()
    return sorted(found.values(*selectors.SUMMARY_VALUES), key=lambda row: row["id"])


def test_the_page_rows_from_a_template_are_the_orms_rows(catalog):
    rated = PluginPackage.objects.get(name="my-wallet")
    PluginPackage.objects.filter(pk=rated.pk).update(
        rating_count=2, rating_average=4.5, keywords=["finance", "tokens"]
    )
    ids = list(selectors.listed_packages().order_by("name").values_list("pk", flat=True))
    for chosen in [ids[:3], ids[3:6], list(reversed(ids[:3])), ids[:1], ids[2:3], ids]:
        rows = ranked_statements.page_rows(selectors.listed_packages(), chosen, SUMMARY)
        assert sorted(rows, key=lambda row: row["id"]) == orm_rows(chosen)
    # Decoded as the ORM decodes them: JSON, dates, nulls (no deployment).
    row = ranked_statements.page_rows(selectors.listed_packages(), [rated.pk], SUMMARY)[0]
    assert row["keywords"] == ["finance", "tokens"] and row["rating_average"] == 4.5
    assert row["updated_at"].tzinfo is not None and row["deployment__version__version"] is None
    assert len(ranked_statements._row_templates) == 3  # one per number of ids: 3, 1, all
    assert None not in ranked_statements._row_templates.values()


def test_rows_whose_template_differs_from_the_orms_statement_are_read_by_the_orm(
    catalog, monkeypatch
):
    monkeypatch.setattr(ranked_statements, "_compiled", lambda queryset: ("", []))
    ids = list(selectors.listed_packages().values_list("pk", flat=True)[:2])
    rows = ranked_statements.page_rows(selectors.listed_packages(), ids, SUMMARY)
    assert sorted(rows, key=lambda row: row["id"]) == orm_rows(ids)
    assert list(ranked_statements._row_templates.values()) == [None]


def test_rows_the_template_reads_differently_the_first_time_are_read_by_the_orm(
    catalog, monkeypatch
):
    monkeypatch.setattr(ranked_statements, "_read", lambda template, ids: [])
    ids = list(selectors.listed_packages().values_list("pk", flat=True)[:2])
    rows = ranked_statements.page_rows(selectors.listed_packages(), ids, SUMMARY)
    assert sorted(rows, key=lambda row: row["id"]) == orm_rows(ids)
    assert list(ranked_statements._row_templates.values()) == [None]
    # Not kept: the next read of that many rows is the ORM's again, not the template's.
    assert len(ranked_statements.page_rows(selectors.listed_packages(), ids, SUMMARY)) == 2
