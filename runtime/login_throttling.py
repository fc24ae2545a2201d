"""What django-axes needs from ChargeNet: whose address counts, what is counted, and the
locked-out answer.

Every password login (operator /login/, the admin's /admin/login/, the drivers'
/me/login/) goes through Django's `authenticate`, which axes guards; settings.py holds
the limits. Failures are counted per user name from an address (LOGIN_FAILURE_LIMIT)
and across all user names from an address (the much higher
LOGIN_ADDRESS_FAILURE_LIMIT): guessing one user's password locks that user name from
that address only, trying many user names locks the address. A locked-out attempt is
never processed: the form is answered with HTTP 429, a page in the site's look (or the
API's error shape under /api/), and a Retry-After of the cool-off.
"""

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

TOO_MANY_REQUESTS = 429


def client_address(request: HttpRequest) -> str | None:
    """The peer's address as daphne saw it (the balancer's client with --proxy-headers)."""
    return request.META.get("REMOTE_ADDR")


class LoginFailures(AxesDatabaseHandler):
    """axes' database handler with a second, higher limit across user names per address.

    axes compares one count with one limit (AXES_FAILURE_LIMIT, per user name and
    address, as AXES_LOCKOUT_PARAMETERS says). The address-wide count is scaled onto
    that limit, so it reaches it exactly at LOGIN_ADDRESS_FAILURE_LIMIT. It is kept out
    of AXES_LOCKOUT_PARAMETERS on purpose: there, one successful login would reset the
    whole address's failures (AXES_RESET_ON_SUCCESS), every user name's.
    """

    def get_failures(self, request, credentials: dict | None = None) -> int:
        per_name = super().get_failures(request, credentials)
        address = getattr(request, "axes_ip_address", None)
        if not address:
            return per_name
        attempts = AccessAttempt.objects.filter(ip_address=address)
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        per_address = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
        limit = get_failure_limit(request, credentials)
        address_limit = max(settings.LOGIN_ADDRESS_FAILURE_LIMIT, 1)
        return max(per_name, per_address * limit // address_limit)


def cooloff_minutes() -> int:
    return max(1, round(settings.AXES_COOLOFF_TIME.total_seconds() / 60))


def lockout_response(request: HttpRequest, *_ignored) -> HttpResponse:
    """The answer to a login attempt while its user name and address are locked out.

    axes passes the original response and credentials in an order that differs between
    its sync and async middleware; neither is needed here.
    """
    minutes = cooloff_minutes()
    message = _("Too many failed logins. Try again in %(minutes)d minutes.") % {"minutes": minutes}
    if request.path.startswith("/api/"):
        response = JsonResponse({"detail": message, "errors": {}}, status=TOO_MANY_REQUESTS)
    else:
        template = "drivers/locked_out.html" if request.path.startswith("/me/") else None
        response = render(
            request,
            template or "registration/locked_out.html",
            {"message": message, "minutes": minutes},
            status=TOO_MANY_REQUESTS,
        )
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response
