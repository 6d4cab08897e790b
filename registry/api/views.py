"""Read routes of the catalog: package detail, production manifests, deployments."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from rest_framework import serializers as drf_serializers
from rest_framework.exceptions import ValidationError
from rest_framework.views import APIView

from naap.api import success
from naap.etags import etag_matches
from naap.schema import DocumentSchema, PagedSchema
from registry import browse_cache, selectors
from registry.api.serializers import (
    DeploymentEventSerializer,
    DeploymentSerializer,
    PackageSerializer,
    PackageSummarySerializer,
    RegistryPackageSerializer,
    RegistryPackagesQuerySerializer,
    RegistryQuerySerializer,
    VersionSerializer,
    package_summaries,
)
from registry.cache import record_download
from registry.filters import SORT_CHOICES, PackageFilterSet
from registry.membership import may_act_for_publisher
from registry.visibility import reader

MANIFEST_MAX_AGE = 300
# Query parameters of the two listing routes; a query with any other is answered uncached.
LISTING_PARAMETERS = (
    "search",
    "category",
    "sort",
    "shellVersion",
    "includeDeprecated",
    "page",
    "limit",
    "pageSize",
)


def cached_answer(kind: str, params, build):
    """A listing route's answer from the cache (per catalog generation and query) when search
    results are cached (NAAP_SEARCH_RESULT_CACHE), else built now. A refused query raises
    in `build` and is never kept."""
    key = browse_cache.query_key(params, LISTING_PARAMETERS)
    return browse_cache.cached(kind, key if browse_cache.search_results_cached() else None, build)


def listed_page(filters, paging, *, size_field: str, values=()) -> tuple[list, int, int, int]:
    """One page of the listed packages: (rows, total, page, size). `filters` go to the
    catalog's FilterSet (search, category, sort, shellVersion…); `paging` is the route's query
    serializer, holding `page` and `size_field`; with `values`, the rows are dicts of those
    fields (PackageFilterSet.page_and_total), else packages. A 400 names every bad field of both."""
    errors = {} if paging.is_valid() else dict(paging.errors)
    filterset = PackageFilterSet.of_listing(filters)
    if not filterset.is_valid():
        errors.update(filterset.errors)
    if errors:
        raise ValidationError(errors)
    page, size = paging.validated_data["page"], paging.validated_data[size_field]
    found, total = filterset.page_and_total(offset=(page - 1) * size, limit=size, values=values)
    return found, total, page, size


class RegistryListView(APIView):
    @extend_schema(
        operation_id="plugins_registry_list",
        summary="Search and browse published plugins",
        parameters=[
            OpenApiParameter(
                "search",
                str,
                description="words; when no plugin has them, names a typo away or containing them",
            ),
            OpenApiParameter("category", str),
            OpenApiParameter("sort", str, enum=[choice for choice, _ in SORT_CHOICES]),
            OpenApiParameter("shellVersion", str, description="only plugins that admit it"),
            OpenApiParameter("page", int),
            OpenApiParameter("limit", int, description="1 to 100, default 20"),
        ],
        responses=inline_serializer(
            "RegistryPage",
            {
                "plugins": PackageSummarySerializer(many=True),
                "total": drf_serializers.IntegerField(),
                "page": drf_serializers.IntegerField(),
                "limit": drf_serializers.IntegerField(),
            },
        ),
    )
    def get(self, request):
        def answer() -> dict:
            paging = RegistryQuerySerializer(data=request.query_params)
            # The page's rows as dicts of the summary's columns: no model instances.
            rows, total, page, limit = listed_page(
                request.query_params,
                paging,
                size_field="limit",
                values=selectors.SUMMARY_VALUES,
            )
            return {
                "plugins": package_summaries(rows),
                "total": total,
                "page": page,
                "limit": limit,
            }

        return success(cached_answer("api-registry", request.query_params, answer))


class RegistryPackagesView(APIView):
    """Upstream NaaP's catalog listing, on the same FilterSet as `plugins/registry`."""

    schema = PagedSchema()

    @extend_schema(
        operation_id="registry_packages_list",
        summary="Published plugins in upstream NaaP's listing shape (paging in `meta`)",
        description=(
            "`data.packages` is one page; `meta` holds `page`, `pageSize`, `total` and "
            "`totalPages`. `sort=rating` puts the best rated first (ties: more ratings, then "
            "the name), unrated plugins last."
        ),
        parameters=[RegistryPackagesQuerySerializer],
        responses=inline_serializer(
            "RegistryPackages", {"packages": RegistryPackageSerializer(many=True)}
        ),
    )
    def get(self, request):
        def answer() -> tuple[dict, dict]:
            query = RegistryPackagesQuerySerializer(data=request.query_params)
            query.is_valid(raise_exception=True)
            wanted = query.validated_data
            filters = {key: wanted[key] for key in ("search", "sort") if wanted.get(key)}
            if wanted.get("category") not in (None, "", "all"):
                filters["category"] = wanted["category"]
            rows, total, page, size = listed_page(filters, query, size_field="pageSize")
            meta = {"page": page, "pageSize": size, "total": total, "totalPages": -(-total // size)}
            return {"packages": RegistryPackageSerializer(rows, many=True).data}, meta

        data, meta = cached_answer("api-packages", request.query_params, answer)
        return success(data, meta=meta)


class PackageDetailView(APIView):
    @extend_schema(
        operation_id="plugins_registry_detail",
        summary="A plugin and its versions, newest first",
        responses=inline_serializer(
            "PackageDetail",
            {
                "plugin": PackageSerializer(),
                "versions": VersionSerializer(many=True),
                "deployment": DeploymentSerializer(allow_null=True),
            },
        ),
    )
    def get(self, request, name: str):
        viewer = reader(request)
        package = selectors.visible_package(name=name, user=viewer)
        is_member = may_act_for_publisher(viewer, package.publisher)
        versions = selectors.versions_newest_first(package, include_unpublished=is_member)
        deployment = getattr(package, "deployment", None)
        return success(
            {
                "plugin": PackageSerializer(package).data,
                "versions": VersionSerializer(versions, many=True).data,
                "deployment": DeploymentSerializer(deployment).data if deployment else None,
            }
        )


class ManifestView(APIView):
    """The production manifest (bare document, cacheable, conditional)."""

    schema = DocumentSchema()

    @extend_schema(
        summary="Production manifest of a version (`latest` = the deployed version)",
        description=(
            "A preview package's manifest answers only its testers, its publisher's members "
            "and staff (`Cache-Control: private`); anybody else gets the 404 of a missing one."
        ),
        responses={200: OpenApiTypes.OBJECT, 304: OpenApiResponse(description="Not modified")},
    )
    def get(self, request, name: str, version: str):
        rendered = selectors.cached_manifest(name=name, reference=version, user=reader(request))
        headers = {
            "Cache-Control": f"public, max-age={MANIFEST_MAX_AGE}",
            "ETag": rendered.etag,
            "Vary": "Accept-Encoding",
        }
        if rendered.preview:
            # Seen by its testers only: no shared cache may keep it for anybody else.
            headers["Cache-Control"] = "private, no-cache"
            headers["Vary"] = "Accept-Encoding, Cookie, Authorization"
        if etag_matches(request.headers.get("If-None-Match"), rendered.etag):
            return HttpResponse(status=304, headers=headers)
        record_download(version_id=rendered.version_id)
        return HttpResponse(rendered.body, content_type="application/json", headers=headers)


class DeploymentView(APIView):
    @extend_schema(
        summary="A plugin's deployment and recent events",
        responses=inline_serializer(
            "DeploymentDetail",
            {"deployment": DeploymentSerializer(), "events": DeploymentEventSerializer(many=True)},
        ),
    )
    def get(self, request, name: str):
        selectors.visible_package(name=name, user=reader(request))
        deployment, events = selectors.deployment_with_events(name=name)
        return success(
            {
                "deployment": DeploymentSerializer(deployment).data,
                "events": DeploymentEventSerializer(events, many=True).data,
            }
        )
