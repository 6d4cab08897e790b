"""`POST /api/v1/plugins/{name}/token`: a fresh short-lived token for one plugin of the
sandboxed shell, asked by the marketplace's shell page (static/naap/shell-host.js) with the
person's session and CSRF token, in exchange for the plugin's previous token
(installs/plugin_grants.py, docs/shell-runtime.md "Isolation")."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from installs import selectors
from installs.api.serializers import StrictRequestSerializer
from installs.api.views import PersonView, parse
from installs.plugin_grants import renew_grant
from naap.api import success
from naap.schema import errors


class PluginTokenRequestSerializer(StrictRequestSerializer):
    grant = serializers.CharField(
        trim_whitespace=False,
        max_length=2000,
        help_text="the plugin's previous token (it may have expired)",
    )


class PluginTokenSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="`Authorization: NaapPlugin <token>`")
    expiresIn = serializers.IntegerField(help_text="seconds the token lives")
    expiresAt = serializers.DateTimeField()


class PluginTokenView(PersonView):
    """Session and CSRF only (API tokens and plugin tokens are refused): a plugin's code,
    in its opaque-origin frame, cannot send either, so only the marketplace's page renews."""

    token_refusal_message = "Only the marketplace's shell page renews plugin tokens."

    @extend_schema(
        summary="Renew a plugin's short-lived token in the shell (session and CSRF)",
        request=PluginTokenRequestSerializer,
        responses={200: PluginTokenSerializer, **errors(404)},
    )
    def post(self, request, name: str):
        data = parse(PluginTokenRequestSerializer, request.data)
        token = renew_grant(request, name, data["grant"])
        selectors.installed_package_for(user=request.user, name=name)
        lifetime = settings.NAAP_PLUGIN_TOKEN_LIFETIME
        return success(
            PluginTokenSerializer(
                {
                    "token": token,
                    "expiresIn": lifetime,
                    "expiresAt": timezone.now() + timedelta(seconds=lifetime),
                }
            ).data,
            headers={"Cache-Control": "no-store"},
        )
