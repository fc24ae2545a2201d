"""OCPI 2.2.1's common rules: the response envelope, status codes, errors, request ids.

Every answer is `{"data", "status_code", "status_message", "timestamp"}`; the HTTP
status says whether the request reached the platform (401 for a missing or unknown
token, 404 for an unknown object, 405 for a registration in the wrong state), the OCPI
status code what happened (1000 success, 2xxx client errors, 3xxx server errors).
`X-Request-ID` and `X-Correlation-ID` are echoed (made up when absent). As the
specification's status-code rules say, a request that reached the OCPI layer (valid
JSON, an existing resource) answers HTTP 200 whatever its OCPI status; a body that is
not JSON answers 400.
"""

import uuid
from datetime import UTC, datetime

from rest_framework import status as http
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response

SUCCESS = 1000
CLIENT_ERROR = 2000
INVALID_PARAMETERS = 2001
NOT_ENOUGH_INFORMATION = 2002
UNKNOWN_LOCATION = 2003
UNKNOWN_TOKEN = 2004
SERVER_ERROR = 3000
CLIENT_API_UNUSABLE = 3001
UNSUPPORTED_VERSION = 3002
NO_MATCHING_ENDPOINTS = 3003

VERSION = "2.2.1"


def timestamp(moment: datetime | None = None) -> str:
    """OCPI's DateTime: UTC, seconds (with milliseconds when present), a `Z`."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"


def envelope(data=None, code: int = SUCCESS, message: str = "Success") -> dict:
    body = {"status_code": code, "status_message": message, "timestamp": timestamp()}
    if data is not None:
        body["data"] = data
    return body


def ok(data=None, *, status: int = http.HTTP_200_OK, headers: dict | None = None) -> Response:
    return Response(envelope(data), status=status, headers=headers)


class OcpiError(APIException):
    """An answer other than success: its OCPI status code, HTTP status and message."""

    def __init__(self, message: str, code: int = CLIENT_ERROR, status: int = 200):
        super().__init__(message)
        self.ocpi_code = code
        self.status_code = status
        self.message = message


def unknown(what: str, code: int = CLIENT_ERROR) -> OcpiError:
    return OcpiError(f"Unknown {what}.", code, http.HTTP_404_NOT_FOUND)


def invalid(message: str) -> OcpiError:
    return OcpiError(message, INVALID_PARAMETERS)


def error_response(exc: Exception) -> Response:
    """Any DRF error as an OCPI envelope, keeping its HTTP status."""
    if isinstance(exc, OcpiError):
        return Response(envelope(None, exc.ocpi_code, exc.message), status=exc.status_code)
    status = getattr(exc, "status_code", http.HTTP_400_BAD_REQUEST)
    detail = getattr(exc, "detail", str(exc))
    message = detail if isinstance(detail, str) else flatten(detail)
    code = SERVER_ERROR if status >= 500 else INVALID_PARAMETERS if status == 400 else CLIENT_ERROR
    return Response(envelope(None, code, message), status=status)


def flatten(detail) -> str:
    if isinstance(detail, dict):
        return "; ".join(f"{key}: {flatten(value)}" for key, value in detail.items())
    if isinstance(detail, list):
        return " ".join(flatten(item) for item in detail)
    return str(detail)


def request_headers(request: Request) -> dict:
    """The ids an answer echoes: the request's own, or new ones."""
    request_id = request.headers.get("X-Request-ID") or str(uuid.uuid4())
    correlation = request.headers.get("X-Correlation-ID") or request_id
    return {"X-Request-ID": request_id[:100], "X-Correlation-ID": correlation[:100]}
