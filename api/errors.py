"""One error shape for the whole API: {"detail": ..., "errors": {...}}.

`detail` is a human-readable sentence; `errors` maps each invalid field (or
`non_field_errors`) to its messages, and is empty for errors that concern no field
(401, 403, 404, 405, 503, ...). Headers DRF sets, such as WWW-Authenticate on a 401,
stay. While PostgreSQL or Redis is unreachable the answer is 503 with Retry-After.
"""

from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from runtime.outages import RETRY_AFTER, UNAVAILABLE, is_outage, note_outage

INVALID_INPUT = "Invalid input."


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, with every answer reshaped to {"detail", "errors"}."""
    if is_outage(exc):
        # PostgreSQL or Redis unreachable: come back later, in the API's error shape.
        request = context.get("request")
        what = f"API {getattr(request, 'method', '')} {getattr(request, 'path', '')} answered 503"
        note_outage(what, exc)
        response = Response(
            {"detail": UNAVAILABLE, "errors": {}},
            status=503,
            headers={"Retry-After": str(RETRY_AFTER), "Cache-Control": "no-store"},
        )
        return response
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # not an API error: Django answers 500 and logs it
    data = response.data
    if isinstance(exc, ValidationError):
        errors = dict(data) if isinstance(data, dict) else {api_settings.NON_FIELD_ERRORS_KEY: data}
        detail = _first_message(errors.pop("detail", None)) or INVALID_INPUT
        response.data = {"detail": detail, "errors": errors}
    else:
        detail = data.get("detail") if isinstance(data, dict) else None
        response.data = {"detail": _first_message(detail) or str(exc), "errors": {}}
    return response


def _first_message(value: object) -> str | None:
    if isinstance(value, list | tuple):
        value = value[0] if value else None
    return str(value) if value else None


class ErrorSerializer(serializers.Serializer):
    """The body of every error answer (documentation only)."""

    detail = serializers.CharField(help_text="What went wrong, in one sentence.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per invalid field (non_field_errors for the request as a "
        "whole); empty when no field is at fault.",
    )


_ERROR_DESCRIPTIONS = {
    400: "Invalid input; `errors` names the fields.",
    401: "No or invalid credentials (send `Authorization: Token <key>`).",
    403: "The user is not an operator (staff).",
    404: "No such object.",
    409: "The request conflicts with the current state; `detail` says what to do first.",
    503: "The database or Redis is unreachable for now; try again after `Retry-After` s.",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    """OpenAPI responses for the given error status codes, for `@extend_schema`."""
    return {
        code: OpenApiResponse(ErrorSerializer, description=_ERROR_DESCRIPTIONS[code])
        for code in codes
    }
