"""Marketplace pages for people: browse, plugin detail, publisher. Same selectors and
FilterSet as the API."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, render

from naap.errors import NotFound
from registry import selectors
from registry.charts import bar_chart_svg
from registry.filters import SORT_CHOICES, PackageFilterSet
from registry.membership import may_act_for_publisher
from registry.models import Publisher
from registry.permissions_text import describe_permissions

PAGE_SIZE = 24


def browse(request):
    """The marketplace's front page: search, category facets, sort, pages of cards."""
    params = request.GET.copy()
    filterset = PackageFilterSet(params, queryset=selectors.listed_packages())
    errors = filterset.errors if not filterset.is_valid() else {}
    # Facet counts answer "how many in each category for this search", so ignore the category.
    without_category = params.copy()
    without_category.pop("category", None)
    facet_filterset = PackageFilterSet(without_category, queryset=selectors.listed_packages())
    facets = facet_filterset.category_facets() if not errors else []
    # The facets have counted the results already, so the paginator pages over positions.
    category = filterset.form.cleaned_data.get("category") if not errors else ""
    total = dict(facets).get(category, 0) if category else sum(count for _, count in facets)
    page = Paginator(range(total), PAGE_SIZE).get_page(request.GET.get("page"))
    positions = page.object_list
    page.object_list = (
        filterset.page(offset=positions.start, limit=len(positions)) if positions else []
    )
    return render(
        request,
        "registry/browse.html",
        {
            "page": page,
            "plugins": [
                (package, selectors.latest_version_of(package)) for package in page.object_list
            ],
            "facets": facets,
            "query": params.get("search", ""),
            "category": params.get("category", ""),
            "sort": params.get("sort", ""),
            "sort_choices": SORT_CHOICES,
            "include_deprecated": params.get("includeDeprecated") in {"true", "1", "on"},
            "errors": errors,
            "page_query": _without(params, "page"),
            "category_query": _without(params, "page", "category"),
        },
    )


def _without(params: QueryDict, *names: str) -> str:
    kept = params.copy()
    for name in names:
        kept.pop(name, None)
    return kept.urlencode()


def plugin_detail(request, name: str):
    """A plugin's page: what it is, what it may do, its versions and downloads."""
    try:
        package = selectors.visible_package(name=name, user=request.user)
    except NotFound as error:
        raise Http404(error.message) from error
    is_member = may_act_for_publisher(request.user, package.publisher)
    versions = list(selectors.versions_newest_first(package, include_unpublished=is_member))
    latest = selectors.latest_version_of(package)
    current = next((v for v in versions if v.version == latest), versions[0] if versions else None)
    manifest = current.manifest if current else {}
    chart = bar_chart_svg(
        selectors.downloads_by_day(package=package, days=90),
        title=f"Downloads of {package.display_name} per day, last 90 days",
        ident="downloads",
    )
    return render(
        request,
        "registry/detail.html",
        {
            "package": package,
            "versions": versions,
            "current": current,
            "latest": latest,
            "permissions": describe_permissions(
                manifest.get("permissions") or {}, backend=manifest.get("backend")
            ),
            "routes": (manifest.get("frontend") or {}).get("routes") or [],
            "chart": chart,
            "is_member": is_member,
        },
    )


def publisher_detail(request, name: str):
    """A publisher's page: who they are and their listed packages."""
    publisher = get_object_or_404(Publisher, name=name)
    packages = (
        selectors.listed_packages().filter(publisher=publisher).order_by("-downloads", "name")
    )
    return render(
        request,
        "registry/publisher.html",
        {
            "publisher": publisher,
            "plugins": [(package, selectors.latest_version_of(package)) for package in packages],
            "is_member": may_act_for_publisher(request.user, publisher),
        },
    )
