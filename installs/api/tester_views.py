"""A package's preview testers: `GET/PUT /api/v1/plugins/{name}/testers`, for its
publisher's members and staff (installs/testers.py)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from installs import testers
from installs.api.views import PersonView, parse
from naap.api import success
from naap.http import client_ip
from naap.schema import errors


class TesterUserSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    username = serializers.CharField(source="get_username")


class TesterTeamSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    name = serializers.CharField()
    displayName = serializers.CharField(source="display_name")


class PreviewSettingsSerializer(serializers.Serializer):
    plugin = serializers.CharField(source="package.name")
    preview = serializers.BooleanField(
        source="package.preview",
        help_text="true: seen only by its testers, its publisher's members and staff",
    )
    visibleToUsers = serializers.SerializerMethodField(
        help_text="upstream NaaP's name for `not preview`"
    )
    users = TesterUserSerializer(many=True)
    teams = TesterTeamSerializer(many=True)
    previewTesterUserIds = serializers.SerializerMethodField(
        help_text="upstream NaaP's field: the ids of the people named (teams not included)"
    )

    def get_visibleToUsers(self, settings) -> bool:
        return not settings.package.preview

    def get_previewTesterUserIds(self, settings) -> list[int]:
        return [user.pk for user in settings.users]


class PreviewRequestSerializer(serializers.Serializer):
    preview = serializers.BooleanField(help_text="make it a preview (true) or public (false)")
    users = serializers.ListField(
        child=serializers.CharField(max_length=testers.MAX_NAME_LENGTH),
        max_length=testers.MAX_TESTER_USERS,
        required=False,
        default=list,
        help_text=f"usernames, at most {testers.MAX_TESTER_USERS}; replaces the list",
    )
    teams = serializers.ListField(
        child=serializers.CharField(max_length=testers.MAX_NAME_LENGTH),
        max_length=testers.MAX_TESTER_TEAMS,
        required=False,
        default=list,
        help_text=f"team names, at most {testers.MAX_TESTER_TEAMS}; replaces the list",
    )


class PreviewTestersView(PersonView):
    token_refusal_message = "Sign in to choose a plugin's testers; API tokens are for publishing."

    @extend_schema(
        operation_id="plugins_testers_read",
        summary="Whether a plugin is a preview, and who tests it (members and staff)",
        responses={200: PreviewSettingsSerializer, **errors(403, 404)},
    )
    def get(self, request, name: str):
        settings = testers.preview_settings(actor=request.user, name=name)
        return success(PreviewSettingsSerializer(settings).data)

    @extend_schema(
        operation_id="plugins_testers_set",
        summary="Make a plugin a preview (or public) and name its testers",
        description=(
            "A preview is seen only by the people and teams named, the publisher's members "
            "and staff; to everybody else every route answers 404, and no listing shows it. "
            "Testers get it in their bootstrap as if installed."
        ),
        request=PreviewRequestSerializer,
        responses={200: PreviewSettingsSerializer, **errors(403, 404)},
    )
    def put(self, request, name: str):
        data = parse(PreviewRequestSerializer, request.data)
        settings = testers.set_preview_testers(
            actor=request.user,
            name=name,
            preview=data["preview"],
            users=data["users"],
            teams=data["teams"],
            ip=client_ip(request),
        )
        return success(PreviewSettingsSerializer(settings).data)
