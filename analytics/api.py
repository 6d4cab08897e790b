"""GET /api/v1/plugins/{name}/analytics?days=30: the numbers of the analytics page, for the
package's publisher (a session of a member, or its token with the read scope) and staff."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from analytics import selectors
from naap.api import success
from naap.schema import errors
from publishing.models import ApiToken


class AnalyticsQuerySerializer(serializers.Serializer):
    days = serializers.IntegerField(
        min_value=1,
        max_value=selectors.MAX_DAYS,
        default=selectors.DEFAULT_DAYS,
        help_text=f"the window: the last 1 to {selectors.MAX_DAYS} days, today (UTC) included",
    )


class InstallCountSerializer(serializers.Serializer):
    total = serializers.IntegerField()
    personal = serializers.IntegerField(help_text="people's own installs")
    team = serializers.IntegerField(help_text="teams' installs, one per team")
    estimated = serializers.BooleanField(
        help_text="part of it is the open rollout's share of the unpinned installs"
    )


class DayLoadsSerializer(serializers.Serializer):
    day = serializers.DateField()
    loads = serializers.IntegerField()
    mounted = serializers.IntegerField()
    runtimeFailures = serializers.IntegerField(source="failed_runtime")
    successRate = serializers.FloatField(
        source="success_rate", allow_null=True, help_text="0-1; null without loads"
    )
    downloads = serializers.IntegerField()


class VersionAnalyticsSerializer(serializers.Serializer):
    version = serializers.CharField()
    status = serializers.CharField()
    role = serializers.ChoiceField(choices=["deployed", "candidate", ""])
    activeInstalls = InstallCountSerializer(source="installs")
    loads = serializers.IntegerField()
    successRate = serializers.FloatField(source="success_rate", allow_null=True)
    downloads = serializers.IntegerField()
    daily = DayLoadsSerializer(many=True)


class DayDownloadsSerializer(serializers.Serializer):
    day = serializers.DateField()
    count = serializers.IntegerField()


class PackageAnalyticsSerializer(serializers.Serializer):
    plugin = serializers.CharField(source="package.name")
    days = serializers.IntegerField()
    firstDay = serializers.DateField(source="first_day")
    lastDay = serializers.DateField(source="last_day")
    deployedVersion = serializers.CharField(source="deployed_version", allow_null=True)
    candidateVersion = serializers.CharField(source="candidate_version", allow_null=True)
    candidatePercent = serializers.IntegerField(source="candidate_percent")
    activeInstalls = InstallCountSerializer(source="installs")
    unresolvedInstalls = InstallCountSerializer(
        source="unresolved_installs", help_text="installs that run no version now"
    )
    versions = VersionAnalyticsSerializer(many=True)
    downloads = serializers.IntegerField()
    downloadsDaily = serializers.SerializerMethodField()

    @extend_schema_field(DayDownloadsSerializer(many=True))
    def get_downloadsDaily(self, analytics) -> list[dict]:
        return DayDownloadsSerializer(
            [{"day": day, "count": count} for day, count in analytics.downloads_daily], many=True
        ).data


class PackageAnalyticsView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        summary="A plugin's analytics: active installs, loads, success rate and downloads",
        description=(
            "Per version: the installs that run it now, its loads, success rate and "
            "downloads per day over the window. For members of the plugin's publisher and "
            "staff (session), and the publisher's tokens with the `read` scope; anyone else "
            "gets 404, as for a plugin that does not exist."
        ),
        parameters=[AnalyticsQuerySerializer],
        responses={200: PackageAnalyticsSerializer, **errors(403, 404)},
    )
    def get(self, request, name: str):
        token = request.auth if isinstance(request.auth, ApiToken) else None
        package = selectors.package_for_analytics(name=name, actor=request.user, token=token)
        query = AnalyticsQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        analytics = selectors.package_analytics(package, days=query.validated_data["days"])
        return success(PackageAnalyticsSerializer(analytics).data)
