"""The OpenAPI schema tells what the API really answers (drf-spectacular's AutoSchema, extended).

drf-spectacular describes a view's serializer as the whole response body, lists every
authenticator on every operation and knows nothing of our error envelope. `NaapAutoSchema`
corrects that for every operation at once:

- a success body is the envelope `{"success": true, "data": <the serializer>, "meta"?}`
  (SPEC §6); a view whose answer is a bare document (the production manifest) says so with
  `schema = DocumentSchema()`;
- every error status the operation can answer is listed with the failure envelope and the
  error codes that status carries: the ones every operation of its kind can give are added
  here (400 bad input, 401 a bad token or no sign-in, 403 a refused person or CSRF, 404 an
  unknown name in the path, 411/413/415 a body of unknown length, over the cap or of a type
  the route does not parse, 429 a throttle), and a view adds those only its services give
  with `errors(...)` in its `extend_schema(responses=...)`; and the 414 that the HTTP server
  in front answers itself to an address past its limit;
- security lists the schemes the operation accepts: session-only routes (`SessionOnly`) the
  session cookie alone, routes that need someone either scheme, open routes either or none.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.authentication import SessionScheme
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiResponse
from rest_framework.permissions import SAFE_METHODS, AllowAny
from rest_framework.throttling import ScopedRateThrottle

from naap.permissions import SessionOnly
from naap.throttles import AnonReadThrottle, UserWriteThrottle

# Each error status with the codes of the failure envelope it carries (naap/api.py,
# naap/errors.py) and what a client should make of it.
ERROR_STATUSES: dict[int, tuple[str, list[str], str]] = {
    400: (
        "BadRequest",
        ["BAD_REQUEST", "VALIDATION_ERROR"],
        "Bad input: `VALIDATION_ERROR` names each wrong field in `details.fields`.",
    ),
    401: (
        "Unauthorized",
        ["UNAUTHORIZED"],
        "Not signed in, or the API token is unknown, revoked or expired.",
    ),
    403: (
        "Forbidden",
        ["FORBIDDEN"],
        "Signed in, but not allowed to do this (or the CSRF token is missing).",
    ),
    404: ("NotFound", ["NOT_FOUND"], "Nothing by that name, or not visible to you."),
    409: ("Conflict", ["CONFLICT"], "The request conflicts with what is stored."),
    411: (
        "LengthRequired",
        ["BAD_REQUEST"],
        "The body came without a Content-Length (chunked): send it with its length.",
    ),
    413: ("PayloadTooLarge", ["PAYLOAD_TOO_LARGE"], "The request or a value in it is too large."),
    415: ("UnsupportedMediaType", ["BAD_REQUEST"], "The body's content type is not accepted."),
    429: (
        "RateLimited",
        ["RATE_LIMITED"],
        "Too many requests: try again after the `Retry-After` header's seconds.",
    ),
    503: (
        "ServiceUnavailable",
        ["INTERNAL_ERROR"],
        "A service we depend on (the asset storage) did not answer; nothing was changed: "
        "try again after the `Retry-After` header's seconds.",
    ),
}

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "The failure envelope of every error answer.",
    "properties": {
        "success": {"type": "boolean", "description": "false"},
        "error": {
            "type": "object",
            "properties": {
                "code": {"type": "string", "description": "a machine code, e.g. NOT_FOUND"},
                "message": {"type": "string", "description": "what went wrong, for a person"},
                "details": {
                    "type": "object",
                    "additionalProperties": {},
                    "description": "`fields`: {field path: message} for input errors",
                },
            },
            "required": ["code", "message"],
        },
    },
    "required": ["success", "error"],
}
ERROR_COMPONENT = ResolvedComponent(
    name="Error", type=ResolvedComponent.SCHEMA, schema=ERROR_SCHEMA, object="Error"
)


# Answered by the HTTP server in front of the app (gunicorn's default limit is 4094 bytes of
# request line), before any of our code runs: its own HTML page, not the envelope.
URI_TOO_LONG = ResolvedComponent(
    name="UriTooLong",
    type=ResolvedComponent.RESPONSE,
    schema={
        "description": "The address is longer than the HTTP server accepts (its own HTML page).",
        "content": {"text/html": {"schema": {"type": "string"}}},
    },
    object="UriTooLong",
)


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """Error statuses a view's services answer, for `extend_schema(responses={...})`; the
    schema fills in the failure envelope."""
    unknown = sorted(set(statuses) - set(ERROR_STATUSES))
    if unknown:
        raise ValueError(f"No error response is described for {unknown}.")
    return {status: OpenApiResponse(description=ERROR_STATUSES[status][2]) for status in statuses}


def success_envelope(data: dict[str, Any], meta: dict[str, Any] | None = None) -> dict[str, Any]:
    """The success envelope around the schema of its `data` (and of its `meta`, when the view
    always sends one)."""
    envelope = {
        "type": "object",
        "properties": {
            "success": {"type": "boolean", "enum": [True]},
            "data": data,
            "meta": meta or {"type": "object", "additionalProperties": {}},
        },
        "required": ["success", "data"],
    }
    if meta:
        envelope["required"].append("meta")
    return envelope


class NaapAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema with our envelope, our error answers and our security."""

    # False for a view that answers a bare document (DocumentSchema).
    wraps_success = True
    # The `meta` a view always sends (PagedSchema), else any object.
    meta_schema: dict[str, Any] | None = None

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for status, response in responses.items():
            if self.wraps_success and status.startswith("2"):
                for media in response.get("content", {}).values():
                    media["schema"] = success_envelope(media.get("schema", {}), self.meta_schema)
        for status in sorted(self.error_statuses(operation) | self._declared_errors(responses)):
            responses[str(status)] = self._error_response(status)
        responses["414"] = self._registered(URI_TOO_LONG)
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def get_auth(self):
        """Session-only routes accept the session cookie alone; the others what DRF allows."""
        requirements = super().get_auth()
        if any(isinstance(permission, SessionOnly) for permission in self.view.get_permissions()):
            return [
                requirement
                for requirement in requirements
                if set(requirement) == {SessionCsrfScheme.name}
            ]
        return requirements

    def error_statuses(self, operation: dict) -> set[int]:
        """The error statuses any operation of this kind can answer."""
        statuses = {400}  # malformed input, a NUL in the address, a bad query or body
        if self.view.get_authenticators():
            statuses.add(401)  # a bad bearer token on any route; no sign-in on closed routes
        open_route = all(
            isinstance(permission, AllowAny) for permission in self.view.get_permissions()
        )
        if not open_route or self.method not in SAFE_METHODS:
            statuses.add(403)  # a person refused, a token on a session route, or no CSRF token
        if any(parameter["in"] == "path" for parameter in operation.get("parameters", [])):
            statuses.add(404)
        if "requestBody" in operation:
            # A body of unknown length, past the cap, or of a type the route does not parse.
            statuses.update({411, 413, 415})
        if self._throttled(open_route):
            statuses.add(429)
        return statuses

    def _throttled(self, open_route: bool) -> bool:
        """Whether one of the view's throttles counts this operation's requests."""
        safe = self.method in SAFE_METHODS
        for throttle in self.view.get_throttles():
            # Anonymous reads only, so never on closed routes (they refuse anonymous first).
            counts_anonymous_reads = isinstance(throttle, AnonReadThrottle) and safe and open_route
            counts_writes = isinstance(throttle, UserWriteThrottle) and not safe
            counts_scope = isinstance(throttle, ScopedRateThrottle)
            if counts_anonymous_reads or counts_writes or counts_scope:
                return True
        return False

    @staticmethod
    def _declared_errors(responses: dict) -> set[int]:
        """Error statuses the view declared with `errors(...)` (drf-spectacular left them as
        a description without content)."""
        return {int(status) for status in responses if int(status) in ERROR_STATUSES}

    def _error_response(self, status: int) -> dict:
        """A reference to the shared response of an error status (registered once)."""
        name, codes, description = ERROR_STATUSES[status]
        # The codes of this status are kept out of the Error component, where
        # drf-spectacular's enum post-processing would name each enum.
        of_this_status = {
            "type": "object",
            "properties": {
                "success": {"type": "boolean", "enum": [False]},
                "error": {
                    "type": "object",
                    "properties": {"code": {"type": "string", "enum": codes}},
                },
            },
        }
        body = {"allOf": [self._registered(ERROR_COMPONENT), of_this_status]}
        response = ResolvedComponent(
            name=name,
            type=ResolvedComponent.RESPONSE,
            schema={"description": description, "content": {"application/json": {"schema": body}}},
            object=name,
        )
        return self._registered(response)

    def _registered(self, component: ResolvedComponent) -> dict:
        """A reference to a shared component, registered on first use."""
        self.registry.register_on_missing(component)
        return component.ref


class DocumentSchema(NaapAutoSchema):
    """For views that answer a bare document (SPEC §6: manifests), not the envelope."""

    wraps_success = False


class PagedSchema(NaapAutoSchema):
    """For views that send one page in `data` and upstream NaaP's paging in `meta`."""

    meta_schema = {
        "type": "object",
        "properties": {
            name: {"type": "integer", "minimum": 0, "description": description}
            for name, description in (
                ("page", "this page, from 1"),
                ("pageSize", "packages per page"),
                ("total", "packages matching, on every page"),
                ("totalPages", "pages in all (0 when nothing matches)"),
            )
        },
        "required": ["page", "pageSize", "total", "totalPages"],
    }


class SessionCsrfScheme(SessionScheme):
    """The session cookie, with what a client must send beside it on writes."""

    priority = 0

    def get_security_definition(self, auto_schema):
        definition = super().get_security_definition(auto_schema)
        definition["description"] = (
            "The marketplace's session cookie (sign in at /accounts/login/). Writes also "
            "send the `csrftoken` cookie's value in an `X-CSRFToken` header."
        )
        return definition
