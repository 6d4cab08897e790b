"""DRF authentication: by `Authorization: Bearer naap_…`, and the publish's session variant."""

from __future__ import annotations

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from naap.errors import Unauthorized
from publishing.tokens import authenticate_secret


class BearerTokenAuthentication(authentication.BaseAuthentication):
    """Authenticates as the token's creator; request.auth is the ApiToken."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        keyword, _, secret = header.partition(" ")
        if keyword.lower() != self.keyword.lower():
            return None
        secret = secret.strip()
        if not secret or " " in secret:
            raise exceptions.AuthenticationFailed(
                "Malformed Authorization header: use 'Bearer naap_…'."
            )
        try:
            token = authenticate_secret(secret)
        except Unauthorized as error:
            raise exceptions.AuthenticationFailed(error.message) from error
        return token.created_by, token

    def authenticate_header(self, request) -> str:
        return f'{self.keyword} realm="naap"'


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Describes the bearer token in the OpenAPI schema."""

    target_class = BearerTokenAuthentication
    name = "naapToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A publisher API token: `Authorization: Bearer naap_…`.",
        }


class SessionAuthenticationCsrfLater(authentication.SessionAuthentication):
    """Session authentication whose CSRF check the view runs itself (the publish's `initial`):
    Django's check reads a form's whole body, which must wait until the view knows the sender
    may publish and the body is not too large."""

    def enforce_csrf(self, request) -> None:
        """Left to the view."""


class SessionCsrfLaterScheme(OpenApiAuthenticationExtension):
    """In the OpenAPI schema the publish's session variant is the session cookie itself: it
    refers to the scheme every other session route registers instead of declaring a twin."""

    target_class = SessionAuthenticationCsrfLater
    name: list[str] = []

    def get_security_requirement(self, auto_schema):
        return {SessionScheme.name: []}

    def get_security_definition(self, auto_schema):
        return []
