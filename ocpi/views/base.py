"""The view every OCPI endpoint is: token authentication, the envelope on every answer
(errors too), request ids echoed; and OCPI's pagination of lists."""

from datetime import UTC, datetime
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, JsonResponse
from django.utils.dateparse import parse_datetime
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ocpi import common
from ocpi.auth import Registered, TokenAuthentication


class OcpiView(APIView):
    authentication_classes = [TokenAuthentication]
    permission_classes = [Registered]
    throttle_classes: list = []
    schema = None  # OCPI is specified elsewhere: not part of the /api/v1 schema

    def handle_exception(self, exc: Exception) -> Response:
        response = super().handle_exception(exc)
        fresh = common.error_response(exc)
        for header in ("WWW-Authenticate", "Allow"):
            if header in response:
                fresh[header] = response[header]
        return fresh

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        for name, value in common.request_headers(request).items():
            response[name] = value
        return response

    @property
    def party(self):
        return self.request.auth.party


def _moment(request: Request, name: str) -> datetime | None:
    text = request.query_params.get(name)
    if not text:
        return None
    moment = parse_datetime(text)
    if moment is None:
        raise common.invalid(f"{name} is not a date and time.")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment


def _number(request: Request, name: str, default: int) -> int:
    text = request.query_params.get(name)
    if text is None or text == "":
        return default
    if not text.isdigit():
        raise common.invalid(f"{name} must be a whole number of zero or more.")
    return int(text)


def date_range(request: Request) -> tuple[datetime | None, datetime | None]:
    """`date_from` (inclusive) and `date_to` (exclusive), on last_updated."""
    return _moment(request, "date_from"), _moment(request, "date_to")


def paginate(request: Request, items: list, render) -> Response:
    """One page of `items` (already filtered and ordered), each rendered by `render`,
    with OCPI's X-Total-Count, X-Limit and a Link to the next page."""
    maximum = settings.OCPI_PAGE_LIMIT
    limit = min(_number(request, "limit", maximum), maximum)
    offset = _number(request, "offset", 0)
    page = items[offset : offset + limit] if limit else []
    headers = {"X-Total-Count": str(len(items)), "X-Limit": str(maximum)}
    if limit and offset + limit < len(items):
        query = request.query_params.copy()
        query["offset"], query["limit"] = str(offset + limit), str(limit)
        url = request.build_absolute_uri(request.path) + "?" + urlencode(query)
        headers["Link"] = f'<{url}>; rel="next"'
    return common.ok([render(item) for item in page], headers=headers)


def unknown_endpoint(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Any other path under /ocpi/: an OCPI envelope 404 rather than Django's HTML."""
    body = common.envelope(None, common.CLIENT_ERROR, "Unknown endpoint.")
    return JsonResponse(body, status=404, headers=common.request_headers(request))
