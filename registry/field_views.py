"""`POST /api/v1/plugins/field-reports`: a lean Django view (no DRF, no session, no database)
for the batches of load and mount outcomes shells send with `navigator.sendBeacon`."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from naap.api import error_body
from naap.errors import NaapError
from naap.http import client_ip, refuse_large_body
from registry.field_reports import MAX_BODY_BYTES, check_events, count, parse_batch


@csrf_exempt
def field_reports(request: HttpRequest) -> JsonResponse:
    """Count a batch of field reports (`{ticket, events: [{plugin, outcome, phase?, ms?}]}`),
    sent as JSON in any content type (a beacon's `text/plain` keeps the request simple for
    CORS). 202 with the number counted; refusals count nothing."""
    if request.method != "POST":
        response = JsonResponse(
            error_body("BAD_REQUEST", "Send field reports with POST."), status=405
        )
        response["Allow"] = "POST"
        return response
    try:
        refuse_large_body(request, limit=MAX_BODY_BYTES)  # before the body is read
        versions, raw_events = parse_batch(request.body)
        events = check_events(versions, raw_events)
        count(events, client=client_ip(request) or "unknown")
    except NaapError as error:
        response = JsonResponse(
            error_body(error.code, error.message, error.details or None), status=error.status
        )
        if error.retry_after:
            response["Retry-After"] = str(error.retry_after)
        return response
    return JsonResponse({"success": True, "data": {"counted": len(events)}}, status=202)
