"""Activates the time zone a request's pages show times in, for times without a site.

A driver's pages use the driver's own time zone (their profile); operators' pages and
the admin use the operator's accounting time zone (billing's OperatorProfile). Times
that belong to a site are shown in the site's zone by the `clock` tag regardless.
"""

import zoneinfo

from django.utils import timezone

from billing.models import OperatorProfile

SKIPPED = ("/api/", "/static/", "/healthz")


def request_zone(user) -> str:
    """The zone name for a signed-in user's pages ("UTC" when nothing says otherwise)."""
    if user is None or not user.is_authenticated:
        return "UTC"
    if user.is_staff:
        name = OperatorProfile.objects.filter(pk=1).values_list("timezone", flat=True).first()
        return name or "UTC"
    profile = getattr(user, "driver_profile", None)
    return profile.timezone if profile else "UTC"


class ClockMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(SKIPPED):
            return self.get_response(request)
        try:
            timezone.activate(zoneinfo.ZoneInfo(request_zone(getattr(request, "user", None))))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
