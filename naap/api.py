"""The API envelope of SPEC §6 and the exception handler that maps every error onto it."""

from __future__ import annotations

import logging
import math
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.http import Http404, JsonResponse
from rest_framework import exceptions, parsers, status
from rest_framework.response import Response

from naap.errors import NaapError
from naap.jsonlimits import nul_path

logger = logging.getLogger(__name__)


def success(
    data: Any, *, status_code: int = status.HTTP_200_OK, meta: dict | None = None, headers=None
) -> Response:
    """Wrap data in the success envelope."""
    body: dict[str, Any] = {"success": True, "data": data}
    if meta:
        body["meta"] = meta
    return Response(body, status=status_code, headers=headers)


def error_body(code: str, message: str, details: dict | None = None) -> dict[str, Any]:
    """The failure envelope as a plain dict."""
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = details
    return {"success": False, "error": error}


def _flatten_validation(detail: Any, prefix: str = "") -> dict[str, str]:
    """Turn DRF's nested error lists into {field path: first message}."""
    fields: dict[str, str] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            if isinstance(key, int) or str(key).isdigit():
                # DRF reports list items by index; show them as JSON paths do: items[0].
                path = f"{prefix}[{key}]"
            else:
                path = key if not prefix else f"{prefix}.{key}"
            if key == "non_field_errors":
                path = prefix or "request"
            fields.update(_flatten_validation(value, path))
    elif isinstance(detail, list):
        if detail and all(not isinstance(item, (dict, list)) for item in detail):
            fields[prefix or "request"] = str(detail[0])
        else:
            for index, value in enumerate(detail):
                fields.update(_flatten_validation(value, f"{prefix}[{index}]"))
    else:
        fields[prefix or "request"] = str(detail)
    return fields


_DRF_CODES: list[tuple[type[exceptions.APIException], str]] = [
    (exceptions.NotAuthenticated, "UNAUTHORIZED"),
    (exceptions.AuthenticationFailed, "UNAUTHORIZED"),
    (exceptions.PermissionDenied, "FORBIDDEN"),
    (exceptions.NotFound, "NOT_FOUND"),
    (exceptions.Throttled, "RATE_LIMITED"),
    (exceptions.ParseError, "BAD_REQUEST"),
    (exceptions.MethodNotAllowed, "BAD_REQUEST"),
    (exceptions.UnsupportedMediaType, "BAD_REQUEST"),
    (exceptions.NotAcceptable, "BAD_REQUEST"),
]


def exception_handler(exc: Exception, context: dict) -> Response:
    """DRF exception handler: every error becomes the failure envelope with the right status."""
    headers: dict[str, str] = {}
    if isinstance(exc, NaapError):
        if exc.retry_after is not None:
            headers["Retry-After"] = str(exc.retry_after)
        return Response(
            error_body(exc.code, exc.message, exc.details), status=exc.status, headers=headers
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("PAYLOAD_TOO_LARGE", "The request body is larger than this server accepts."),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )

    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten_validation(exc.detail)
        message = "; ".join(f"{field}: {text}" for field, text in list(fields.items())[:5])
        return Response(
            error_body("VALIDATION_ERROR", message or "Invalid input.", {"fields": fields}),
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, exceptions.APIException):
        code = next((code for cls, code in _DRF_CODES if isinstance(exc, cls)), None)
        if code is None:
            code = "INTERNAL_ERROR" if exc.status_code >= 500 else "BAD_REQUEST"
        message = str(exc.detail) if not isinstance(exc.detail, (list, dict)) else str(exc)
        if isinstance(exc, exceptions.Throttled):
            wait = max(1, math.ceil(exc.wait or 1))
            headers["Retry-After"] = str(wait)
            message = f"Too many requests: try again in {wait} seconds."
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        return Response(error_body(code, message), status=exc.status_code, headers=headers)

    logger.exception("Unhandled error in %s", context.get("view").__class__.__name__)
    return Response(
        error_body("INTERNAL_ERROR", "Something went wrong on our side; it has been logged."),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def json_not_found(request, exception=None) -> JsonResponse:
    """Django-level 404 for /api/ paths, in the envelope."""
    return JsonResponse(
        error_body("NOT_FOUND", f"No API route matches {request.path}."), status=404
    )


def json_server_error(request) -> JsonResponse:
    """Django-level 500 for /api/ paths, in the envelope."""
    return JsonResponse(
        error_body("INTERNAL_ERROR", "Something went wrong on our side; it has been logged."),
        status=500,
    )


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, with JSON nested deeper than Python can parse refused as a 400
    (the standard library raises RecursionError, which would be a 500), and so is a NUL
    character (\\u0000) in any string or key, which PostgreSQL cannot store."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError(
                "JSON parse error - the JSON is nested too deeply."
            ) from None
        where = nul_path(data)
        if where is not None:
            raise exceptions.ParseError(
                f"JSON strings may not contain a NUL character (\\u0000); {where} does."
            )
        return data
