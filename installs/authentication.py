"""DRF authentication by `Authorization: NaapPlugin <grant>`: a plugin's calls to its own
routes (storage, config) from the sandboxed shell (installs/plugin_grants.py)."""

from __future__ import annotations

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.permissions import SAFE_METHODS

from installs.plugin_grants import KEYWORD, PluginGrant, redeem_grant
from naap.errors import Unauthorized
from naap.permissions import SessionOnly


class PluginGrantAuthentication(authentication.BaseAuthentication):
    """Authenticates as the grant's person; request.auth is the PluginGrant."""

    def authenticate(self, request):
        # A view may take the grant for changes only (`plugin_grant_reads = False`): a GET
        # with a grant then stays anonymous.
        view = (getattr(request, "parser_context", None) or {}).get("view")
        if request.method in SAFE_METHODS and getattr(view, "plugin_grant_reads", True) is False:
            return None
        header = authentication.get_authorization_header(request).decode("latin-1")
        keyword, _, secret = header.partition(" ")
        if keyword.lower() != KEYWORD.lower():
            return None
        try:
            return redeem_grant(secret.strip())
        except Unauthorized as error:
            raise exceptions.AuthenticationFailed(error.message) from error

    def authenticate_header(self, request) -> str:
        return f'{KEYWORD} realm="naap"'


class SessionOrOwnPluginGrant(SessionOnly):
    """Signed-in people, or a plugin's grant on that plugin's own routes (the view's `name`);
    API tokens are refused as on every SessionOnly route."""

    def has_permission(self, request, view) -> bool:
        grant = request.auth
        if not isinstance(grant, PluginGrant):
            return super().has_permission(request, view)
        wanted = view.kwargs.get("name")
        if grant.plugin == wanted:
            return True
        self.message = (
            f"This credential belongs to the plugin '{grant.plugin}'; it cannot reach '{wanted}'."
        )
        return False


class PluginGrantScheme(OpenApiAuthenticationExtension):
    """Describes the plugin grant in the OpenAPI schema."""

    target_class = PluginGrantAuthentication
    name = "naapPluginGrant"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "`NaapPlugin <grant>`: what the shell gives one plugin for its own "
            "routes (storage, config), for the signed-in person it runs for.",
        }
