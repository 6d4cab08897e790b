"""Routes of signed-in people: install, uninstall, config, preferences, bootstrap, storage."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import IsAuthenticated
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from installs import selectors, services, storage_services
from installs.api import serializers as shapes
from installs.authentication import PluginGrantAuthentication, SessionOrOwnPluginGrant
from installs.bootstrap import person_bootstrap
from installs.cache import bootstrap_envelope, remember_person
from installs.storage_rules import MAX_STORAGE_KEYS, check_storage_key
from naap.api import JSONParser, success
from naap.errors import BadRequest
from naap.etags import etag_matches
from naap.http import client_ip
from naap.permissions import SessionOnly
from naap.schema import errors

TEAM_ID_QUERY = OpenApiParameter(
    "teamId", int, description="a team you belong to (admins only for changes)"
)
NOT_MODIFIED = OpenApiResponse(description="Not modified (If-None-Match matched the ETag)")


def parse(serializer_class, data) -> dict:
    """Validated data of a request shape (a 400 naming each bad field otherwise)."""
    form = serializer_class(data=data)
    form.is_valid(raise_exception=True)
    return form.validated_data


class PersonView(APIView):
    """Installs, preferences and storage belong to a signed-in person, not to API tokens."""

    permission_classes = [IsAuthenticated, SessionOnly]
    parser_classes = [JSONParser]
    token_refusal_message = (
        "Sign in to manage installs, preferences and plugin storage; API tokens are for publishing."
    )


class InstallView(PersonView):
    @extend_schema(
        summary="Install a plugin for yourself or, as its admin, for a team",
        request=shapes.InstallRequestSerializer,
        responses={
            201: shapes.InstallResultSerializer,
            200: shapes.InstallResultSerializer,
            **errors(409),
        },
    )
    def post(self, request, name: str):
        data = parse(shapes.InstallRequestSerializer, request.data)
        result = services.install_plugin(
            actor=request.user,
            name=name,
            team_id=data.get("teamId"),
            config=data.get("config"),
            ip=client_ip(request),
        )
        body = {"installation": result.installation, "created": result.created}
        if not result.created:
            body["message"] = (
                f"'{name}' was already installed; nothing changed. Change its config with "
                f"PUT /api/v1/plugins/{name}/config."
            )
        return success(
            shapes.InstallResultSerializer(body).data,
            status_code=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class UninstallView(PersonView):
    @extend_schema(
        summary="Uninstall a plugin (preferences and stored values are kept)",
        parameters=[TEAM_ID_QUERY],
        request=shapes.UninstallRequestSerializer,
        responses={200: shapes.UninstallResultSerializer},
    )
    def delete(self, request, name: str):
        body = parse(shapes.UninstallRequestSerializer, request.data)
        query = parse(shapes.TeamQuerySerializer, request.query_params)
        team_id = body.get("teamId")
        if team_id is not None and "teamId" in query and query["teamId"] != team_id:
            raise BadRequest("teamId differs between the body and the query.", field="teamId")
        if team_id is None:
            team_id = query.get("teamId")
        install = services.uninstall_plugin(
            actor=request.user, name=name, team_id=team_id, ip=client_ip(request)
        )
        return success(
            shapes.UninstallResultSerializer(
                {
                    "uninstalled": True,
                    "plugin": name,
                    "source": "team" if install.team_id else "user",
                    "teamId": install.team_id,
                    "preferencesKept": True,
                    "storageKept": True,
                }
            ).data
        )


class ConfigView(PersonView):
    """An installation's config, read and replaced by signed-in people, or replaced by the
    plugin itself in the shell with its own token (the context's tenant.updateConfig; a GET
    with the token stays anonymous); the service checks who may change the installation.
    Secrets are shown masked as on the settings page. A plugin reads its own config, secrets
    included, from its runtime context."""

    authentication_classes = [
        PluginGrantAuthentication,
        *api_settings.DEFAULT_AUTHENTICATION_CLASSES,
    ]
    permission_classes = [IsAuthenticated, SessionOrOwnPluginGrant]
    plugin_grant_reads = False

    @extend_schema(
        summary=(
            "Your installation's config, or with teamId your team's (secrets masked); for a "
            "core plugin you have not configured, its defaults"
        ),
        parameters=[
            OpenApiParameter(
                "teamId", int, description="a team you belong to (any member may read)"
            )
        ],
        responses={200: shapes.InstallationSerializer},
    )
    def get(self, request, name: str):
        query = parse(shapes.TeamQuerySerializer, request.query_params)
        install = selectors.installation_to_read(
            user=request.user, name=name, team_id=query.get("teamId")
        )
        return success(shapes.InstallationSerializer(install).data)

    @extend_schema(
        summary="Replace an installation's config (validated against the plugin's schema)",
        request=shapes.ConfigRequestSerializer,
        responses={200: shapes.InstallationSerializer, **errors(409)},
    )
    def put(self, request, name: str):
        data = parse(shapes.ConfigRequestSerializer, request.data)
        install = services.configure_plugin(
            actor=request.user,
            name=name,
            team_id=data.get("teamId"),
            config=data["config"],
            ip=client_ip(request),
        )
        return success(shapes.InstallationSerializer(install).data)


class PreferencesView(PersonView):
    @extend_schema(
        summary="Set your preferences for an installed plugin",
        request=shapes.PreferenceRequestSerializer,
        responses=shapes.PreferenceSerializer,
    )
    def put(self, request, name: str):
        data = parse(shapes.PreferenceRequestSerializer, request.data)
        preference = services.set_plugin_preferences(
            actor=request.user,
            name=name,
            enabled=data.get("enabled"),
            order=data.get("order"),
            pinned=data.get("pinned"),
            ip=client_ip(request),
        )
        return success(shapes.PreferenceSerializer(preference).data)


BOOTSTRAP_QUERY = [
    TEAM_ID_QUERY,
    OpenApiParameter("shellVersion", str, description="leave out plugins it cannot run"),
]


def cached_bootstrap_for(request):
    """The signed-in person's cached bootstrap entry for the query's team and shell version."""
    query = parse(shapes.BootstrapQuerySerializer, request.query_params)
    cached = person_bootstrap(
        user=request.user,
        team_id=query.get("teamId"),
        shell_version=query.get("shellVersion", ""),
    )
    remember_person(request.user)  # for the hot path in front of Django
    return cached


def bootstrap_response(request, etag: str, body) -> HttpResponse:
    """One of an entry's answers, or 304 when the client holds it (`body` is only called
    for a 200)."""
    headers = {
        "ETag": etag,
        "Cache-Control": "private, no-cache",
        "Vary": "Cookie, Authorization",
    }
    if etag_matches(request.headers.get("If-None-Match"), etag):
        return HttpResponse(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
    return HttpResponse(body(), content_type="application/json", headers=headers)


class InstalledPluginsView(PersonView):
    @extend_schema(
        summary="The shell bootstrap: your effective plugins with their manifests",
        parameters=BOOTSTRAP_QUERY,
        responses={200: shapes.BootstrapSerializer, 304: NOT_MODIFIED, **errors(404)},
    )
    def get(self, request):
        cached = cached_bootstrap_for(request)
        return bootstrap_response(request, cached.etag, lambda: bootstrap_envelope(cached.body))


class PersonalizedPluginsView(PersonView):
    """Upstream NaaP's boot endpoint, from the same cached entry as the bootstrap."""

    @extend_schema(
        summary="Your plugins in upstream NaaP's flat shape (what a NaaP shell boots from)",
        parameters=BOOTSTRAP_QUERY,
        responses={200: shapes.PersonalizedSerializer, 304: NOT_MODIFIED, **errors(404)},
    )
    def get(self, request):
        cached = cached_bootstrap_for(request)
        return bootstrap_response(
            request, cached.personalized_etag, lambda: cached.personalized_body
        )


class PluginStorageView(PersonView):
    """A plugin's storage: for the signed-in person, or for the plugin itself in the shell,
    with the grant the shell gave it (installs/plugin_grants.py)."""

    authentication_classes = [
        PluginGrantAuthentication,
        *api_settings.DEFAULT_AUTHENTICATION_CLASSES,
    ]
    permission_classes = [IsAuthenticated, SessionOrOwnPluginGrant]


class StorageListView(PluginStorageView):
    @extend_schema(
        operation_id="plugins_storage_list",
        summary="The keys a plugin stores for you",
        responses=shapes.StorageListSerializer,
    )
    def get(self, request, name: str):
        package = selectors.installed_package_for(user=request.user, name=name)
        entries = selectors.storage_keys(package=package, user=request.user)
        return success(
            shapes.StorageListSerializer(
                {"keys": entries, "total": len(entries), "limit": MAX_STORAGE_KEYS}
            ).data
        )


class StorageEntryView(PluginStorageView):
    def _package(self, request, name: str, key: str):
        package = selectors.installed_package_for(user=request.user, name=name)
        check_storage_key(key)
        return package

    @extend_schema(summary="Read one stored value", responses=shapes.StorageEntrySerializer)
    def get(self, request, name: str, key: str):
        package = self._package(request, name, key)
        entry = selectors.storage_entry(package=package, user=request.user, key=key)
        return success(shapes.StorageEntrySerializer(entry).data)

    @extend_schema(
        summary="Store a JSON value under a key (at most 64 KB, 1,000 keys per plugin)",
        request=shapes.StorageValueRequestSerializer,
        responses={
            200: shapes.StorageEntrySerializer,
            201: shapes.StorageEntrySerializer,
            **errors(409),
        },
    )
    def put(self, request, name: str, key: str):
        data = parse(shapes.StorageValueRequestSerializer, request.data)
        written = storage_services.set_storage_value(
            actor=request.user, name=name, key=key, value=data["value"], ip=client_ip(request)
        )
        return success(
            shapes.StorageEntrySerializer(written.entry).data,
            status_code=status.HTTP_201_CREATED if written.created else status.HTTP_200_OK,
        )

    @extend_schema(
        summary="Delete one stored value", responses={200: shapes.StorageDeletedSerializer}
    )
    def delete(self, request, name: str, key: str):
        storage_services.delete_storage_value(
            actor=request.user, name=name, key=key, ip=client_ip(request)
        )
        return success(shapes.StorageDeletedSerializer({"key": key, "deleted": True}).data)
