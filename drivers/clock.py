"""Activates the time zone a request's pages show times in, for times without a site.

A driver's pages use the driver's own time zone (their profile). Operators' pages and
the admin stay in UTC, labelled so, for what has no site (a query per request would
cost every operator page); times that belong to a site are shown in the site's zone by
the `clock` tag (the admin's lists by `clock_column`), and billing's pages pass the
operator's accounting zone themselves.
"""

import zoneinfo

from django.utils import timezone

SKIPPED = ("/api/", "/static/", "/healthz")


def request_zone(user) -> str:
    """The zone name for a signed-in user's pages ("UTC" when nothing says otherwise)."""
    if user is None or not user.is_authenticated or user.is_staff:
        return "UTC"
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
