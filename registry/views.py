"""Marketplace pages for people: browse, plugin detail, publisher. Same selectors and
FilterSet as the API."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import Http404, QueryDict
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

from naap.errors import NotFound
from registry import browse_cache, selectors
from registry.charts import bar_chart_svg
from registry.filters import SORT_CHOICES, PackageFilterSet
from registry.membership import may_act_for_publisher
from registry.models import Publisher
from registry.permissions_text import describe_permissions

PAGE_SIZE = 24


# The browse page's query parameters: a query with any other (or one twice) is answered
# uncached, so made-up parameters cannot fill the cache.
BROWSE_PARAMETERS = ("search", "category", "sort", "shellVersion", "includeDeprecated", "page")
# What the category facets depend on: the search and filters, not the category, sort or page.
FACET_EXCLUDED = ("category", "sort", "page")


def browse(request):
    """The marketplace's front page: search, category facets, sort, pages of cards.

    The listing (form, facets, cards, pager) is the same for everyone and comes from the
    cache, stamped with the catalog generation (registry/browse_cache.py); only the header
    and the signed-in person's install badges are rendered per request.
    """
    params = request.GET.copy()
    listing = browse_cache.cached(
        "browse",
        browse_cache.query_key(params, BROWSE_PARAMETERS),
        lambda: _browse_listing(params),
    )
    installed = browse_cache.installed_among(request.user, listing.package_ids)
    return render(
        request,
        "registry/browse.html",
        # The listing's HTML was rendered from our template, its texts escaped there.
        {"listing": mark_safe(listing.html(installed)), "query": params.get("search", "")},
    )


def _browse_listing(params: QueryDict) -> browse_cache.Listing:
    filterset = PackageFilterSet(params, queryset=selectors.listed_packages())
    errors = filterset.errors if not filterset.is_valid() else {}
    facets = [] if errors else _facets(params)
    # The facets have counted the results already, so the paginator pages over positions.
    category = filterset.form.cleaned_data.get("category") if not errors else ""
    total = dict(facets).get(category, 0) if category else sum(count for _, count in facets)
    page = Paginator(range(total), PAGE_SIZE).get_page(params.get("page"))
    positions = page.object_list
    page.object_list = (
        filterset.page(offset=positions.start, limit=len(positions)) if positions else []
    )
    html = render_to_string(
        "registry/_browse_listing.html",
        {
            "page": page,
            "plugins": [
                (package, selectors.latest_version_of(package)) for package in page.object_list
            ],
            "badge_slots": True,
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
    return browse_cache.Listing.from_html(html, total=total)


def _facets(params: QueryDict) -> list[tuple[str, int]]:
    """Category counts for this search and these filters ("how many in each category"),
    cached per catalog generation: every sort and page of a search shares them."""
    wanted = params.copy()
    for name in FACET_EXCLUDED:
        wanted.pop(name, None)
    return browse_cache.cached(
        "facets",
        browse_cache.query_key(wanted, BROWSE_PARAMETERS),
        lambda: PackageFilterSet(wanted, queryset=selectors.listed_packages()).category_facets(),
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
