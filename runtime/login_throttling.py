"""What django-axes needs from ChargeNet: whose address counts, and the locked-out answer.

Every password login (operator /login/, the admin's /admin/login/, the drivers'
/me/login/) goes through Django's `authenticate`, which axes guards; settings.py holds
the limits. A locked-out attempt is never processed: the form is answered with HTTP
429, a page in the site's look (or the API's error shape under /api/), and a
Retry-After of the cool-off.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

TOO_MANY_REQUESTS = 429


def client_address(request: HttpRequest) -> str | None:
    """The peer's address as daphne saw it (the balancer's client with --proxy-headers)."""
    return request.META.get("REMOTE_ADDR")


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
