"""API search without result caching: the page's rows are read as dicts of the summary's
columns (no model instances, no manifest) in a fixed number of queries, and answer exactly as
PackageSummarySerializer does (docs/PERFORMANCE.md, "API search without result caching")."""

import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registry import selectors, services
from registry.api.serializers import PackageSummarySerializer, package_summaries
from registry.filters import PackageFilterSet
from registry.models import PluginDeployment, PluginPackage, PluginVersion
from tests.factories import make_package, make_publisher, make_version

pytestmark = pytest.mark.django_db
URL = "/api/v1/plugins/registry"
ON_POSTGRES = connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def uncached(settings):
    settings.SEARCH_RESULT_CACHE = False


@pytest.fixture
def catalog():
    """Packages covering every branch of the summary: deployed (published and yanked deployed
    version), undeployed with a prerelease newer than its release, rated and unrated,
    featured, core, unverified publisher, deprecated."""
    verified, unverified = make_publisher(), make_publisher(verified=False)
    deployed = make_package(
        "wallet-deployed",
        publisher=verified,
        description="A wallet",
        keywords=["wallet", "tokens"],
        icon="wallet",
        downloads=40,
        install_count=3,
        featured=True,
    )
    make_version(deployed, "1.0.0")
    live = make_version(deployed, "1.1.0")
    PluginDeployment.objects.create(package=deployed, version=live)
    yanked = make_package("wallet-yanked-deploy", publisher=unverified, is_core=True)
    make_version(yanked, "2.0.0")
    gone = make_version(yanked, "2.1.0", status=PluginVersion.Status.YANKED)
    PluginDeployment.objects.create(package=yanked, version=gone)
    rated = make_package("wallet-rated", publisher=verified, description="wallet")
    make_version(rated, "1.0.0")
    make_version(rated, "1.1.0-beta.1", prerelease="beta.1")
    PluginPackage.objects.filter(pk=rated.pk).update(rating_count=3, rating_average=4.66666)
    old = make_package("wallet-old", publisher=verified, deprecated=True, description="wallet")
    make_version(old, "0.1.0")
    services.refresh_search_data(
        package_ids=list(PluginPackage.objects.values_list("pk", flat=True))
    )


def test_summaries_from_dicts_equal_the_serializer(catalog):
    filterset = PackageFilterSet(
        {"includeDeprecated": "true"}, queryset=selectors.listed_packages()
    )
    assert filterset.is_valid()
    packages, total = filterset.page_and_total(offset=0, limit=20)
    rows, same_total = filterset.page_and_total(offset=0, limit=20, values=selectors.SUMMARY_VALUES)
    assert total == same_total == 4
    assert all(isinstance(row, dict) for row in rows)
    expected = json.loads(json.dumps(PackageSummarySerializer(packages, many=True).data))
    assert package_summaries(rows) == expected
    by_name = {summary["name"]: summary for summary in expected}
    # The branches the fixture sets up are really there.
    assert by_name["wallet-deployed"]["latestVersion"] == "1.1.0"
    assert by_name["wallet-yanked-deploy"]["latestVersion"] == "2.0.0"
    assert by_name["wallet-rated"]["latestVersion"] == "1.0.0"
    assert by_name["wallet-rated"]["rating"] == 4.67
    assert by_name["wallet-yanked-deploy"]["publisher"]["verified"] is False


def test_search_answers_as_the_serializer_in_a_fixed_number_of_queries(client, catalog):
    # Warm what is not the search (the catalog generation, the session machinery).
    client.get(URL, {"search": "wallet"})
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL, {"search": "wallet"})
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["total"] == 3  # the deprecated one is left out
    filterset = PackageFilterSet({"search": "wallet"}, queryset=selectors.listed_packages())
    assert filterset.is_valid()
    packages, _ = filterset.page_and_total(offset=0, limit=20)
    expected = json.loads(json.dumps(PackageSummarySerializer(packages, many=True).data))
    assert data["plugins"] == expected
    statements = [query["sql"] for query in captured.captured_queries]
    reads = [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]
    # The ranked ids with their total, then the page's rows (a match on the page settles the
    # tier: no question whether the words match); on PostgreSQL the search settings besides
    # (set, and put back inside a test's transaction).
    settings_made = [sql for sql in reads if "set_config(" in sql]
    assert len(reads) - len(settings_made) == 2, statements
    assert bool(settings_made) == ON_POSTGRES
    rows_query = reads[-1]
    assert '"manifest"' not in rows_query
    assert '"search_vector"' not in rows_query
    assert '"registry_pluginversion"."published_at"' not in rows_query  # no per-row subquery


def test_a_page_past_the_end_is_empty_with_the_total(client, catalog):
    response = client.get(URL, {"search": "wallet", "page": 5})
    assert response.status_code == 200
    data = response.json()["data"]
    assert data["plugins"] == [] and data["total"] == 3


def test_the_listing_template_is_copied_not_shared(catalog):
    first = selectors.listed_packages()
    assert len(list(first)) == 4  # deprecated included: the FilterSet drops those
    make_version(make_package("wallet-new"), "1.0.0", published_at=timezone.now())
    # A fresh copy, not the evaluated one's result cache.
    assert selectors.listed_packages().count() == 5
    assert selectors.listed_packages() is not first


def test_the_filter_form_class_is_built_once_and_validates_as_before():
    first = PackageFilterSet({"sort": "nonsense"}, queryset=selectors.listed_packages())
    second = PackageFilterSet({"shellVersion": "1.x"}, queryset=selectors.listed_packages())
    assert type(first.form) is type(second.form)
    assert not first.is_valid() and "sort" in first.errors
    assert not second.is_valid() and "shellVersion" in second.errors
    third = PackageFilterSet({"search": "wallet"}, queryset=selectors.listed_packages())
    assert third.is_valid() and third.form.cleaned_data["search"] == "wallet"
