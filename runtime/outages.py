"""Answers while PostgreSQL or Redis is away: 503 with Retry-After, never a 500.

A request that fails because a server ChargeNet depends on cannot be reached is not
ChargeNet's error: the client is told to come back (503, `Retry-After`), the API in its
error shape ({"detail", "errors"}), and the log gets one warning line instead of a
traceback. What counts as "cannot be reached" is `is_outage`: Django's database
OperationalError / InterfaceError (PostgreSQL down, connection cut) and redis-py's
ConnectionError / TimeoutError (Redis down).

- `OutageMiddleware` answers for any view that raised such an error;
- `server_error` (the project's handler500) does it for errors raised elsewhere in
  the middleware stack, and is Django's plain 500 page otherwise;
- api/errors.py uses `unavailable_response` for the API's own views.
"""

import logging
import sys
import time

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)

#: Seconds a client is asked to wait before it tries again.
RETRY_AFTER = 10
#: What a server ChargeNet depends on being away looks like.
OUTAGE_ERRORS = (OperationalError, InterfaceError, RedisConnectionError, RedisTimeoutError)
UNAVAILABLE = "Service temporarily unavailable (database or Redis unreachable); try again later."
API_PREFIX = "/api/"
#: One warning per kind of outage and this many seconds: an outage fails every request.
WARN_EVERY = 10.0
_warned: dict[str, float] = {}


def is_outage(error: BaseException | None) -> bool:
    """Whether `error` (or an error it was raised from) says a server is unreachable."""
    seen = 0
    while error is not None and seen < 5:
        if isinstance(error, OUTAGE_ERRORS):
            return True
        error = error.__cause__ or error.__context__
        seen += 1
    return False


def note_outage(what: str, error: BaseException) -> None:
    """Log an outage once every WARN_EVERY seconds per `what`, without a traceback."""
    now = time.monotonic()
    if now - _warned.get(what, -WARN_EVERY) >= WARN_EVERY:
        _warned[what] = now
        message = str(error).strip().splitlines()[0] if str(error).strip() else ""
        logger.warning("%s (%s: %s)", what, type(error).__name__, message)


def unavailable_response(request: HttpRequest | None = None) -> HttpResponse:
    """503 with Retry-After: the API's error shape under /api/, plain text elsewhere."""
    path = getattr(request, "path", "") or ""
    if path.startswith(API_PREFIX):
        response = JsonResponse({"detail": UNAVAILABLE, "errors": {}}, status=503)
    else:
        response = HttpResponse(UNAVAILABLE, status=503, content_type="text/plain")
    response["Retry-After"] = str(RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


class OutageMiddleware:
    """A view's unreachable database or Redis is a 503 with Retry-After."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_outage(exception):
            return None
        note_outage(f"{request.method} {request.path} answered 503", exception)
        return unavailable_response(request)


def server_error(request, template_name: str = defaults.ERROR_500_TEMPLATE_NAME):
    """handler500: a 503 for an outage raised outside a view, else Django's 500."""
    error = sys.exc_info()[1]
    if is_outage(error):
        return unavailable_response(request)
    return defaults.server_error(request, template_name)
