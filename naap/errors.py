"""The one hierarchy of domain errors; the API's exception handler maps them to the envelope."""

from __future__ import annotations

from typing import Any


class NaapError(Exception):
    """A refusal a person can act on: a machine code, a message, an HTTP status, details."""

    code = "BAD_REQUEST"
    status = 400
    # Seconds a client should wait before trying again (the Retry-After header), if any.
    retry_after: int | None = None

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        fields: dict[str, str] | None = None,
        details: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, Any] = dict(details or {})
        if field is not None or fields:
            merged = dict(fields or {})
            if field is not None:
                merged.setdefault(field, message)
            self.details["fields"] = merged

    def __str__(self) -> str:
        return self.message


class BadRequest(NaapError):
    code = "BAD_REQUEST"
    status = 400


class ValidationFailed(NaapError):
    code = "VALIDATION_ERROR"
    status = 400


class Unauthorized(NaapError):
    code = "UNAUTHORIZED"
    status = 401


class Forbidden(NaapError):
    code = "FORBIDDEN"
    status = 403


class NotFound(NaapError):
    code = "NOT_FOUND"
    status = 404


class Conflict(NaapError):
    code = "CONFLICT"
    status = 409


class PayloadTooLarge(NaapError):
    code = "PAYLOAD_TOO_LARGE"
    status = 413


class LengthRequired(NaapError):
    code = "BAD_REQUEST"
    status = 411


class ServiceUnavailable(NaapError):
    """Something we depend on (the asset storage) is not answering; nothing was changed, and
    the same request may succeed later. The spec's codes have none for this: like a 405 is a
    BAD_REQUEST, a 503 is an INTERNAL_ERROR (docs/decisions.md, "API errors")."""

    code = "INTERNAL_ERROR"
    status = 503
    retry_after = 30
