"""One clock for every page: a time in the site's time zone, labelled with that zone.

`{% clock moment site=station.site %}` renders
`<time datetime="…Z" title="Europe/Berlin">2025-03-07 14:05 <span class="zone">CET</span></time>`.
The zone is the first given of: `zone` (a name), `site` (its time zone), `driver`
(their profile's time zone, for what has no site), else the zone the request
activated (drivers.clock.ClockMiddleware), else UTC. Zones whose abbreviation is only
an offset ("+08") are labelled with their name instead. `clock_column` makes an admin
list column of the same text for a row's site (a station's, or the site itself).
"""

import datetime as dt
import zoneinfo
from collections.abc import Callable

from django import template
from django.contrib import admin
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html

register = template.Library()
DEFAULT_FORMAT = "Y-m-d H:i"


def zone_for(*, zone: str | None = None, site=None, driver=None) -> zoneinfo.ZoneInfo:
    """The zone a time is shown in (see the module docstring)."""
    profile = getattr(driver, "driver_profile", None) if driver is not None else None
    for name in (zone, getattr(site, "timezone", None), getattr(profile, "timezone", None)):
        if name:
            try:
                return zoneinfo.ZoneInfo(name)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                continue
    current = timezone.get_current_timezone()
    return current if isinstance(current, zoneinfo.ZoneInfo) else zoneinfo.ZoneInfo("UTC")


def zone_label(moment: dt.datetime, tz: zoneinfo.ZoneInfo) -> str:
    """ "CET", "CEST", "UTC"; the zone's name where its abbreviation is a bare offset."""
    abbreviation = moment.astimezone(tz).tzname() or ""
    if not abbreviation or abbreviation[0] in "+-":
        return tz.key
    return abbreviation


def clock_text(moment: dt.datetime | None, tz: zoneinfo.ZoneInfo, fmt: str = DEFAULT_FORMAT) -> str:
    """The time as plain text with its zone, e.g. "2025-03-07 14:05 CET" (CSV, admin)."""
    if moment is None:
        return "—"
    return f"{date_format(moment.astimezone(tz), fmt)} {zone_label(moment, tz)}"


def _site_of(row, paths: tuple[str, ...]):
    """The first site found along `paths` ("station.site"; "" is the row itself)."""
    for path in paths:
        value = row
        for name in filter(None, path.split(".")):
            value = getattr(value, name, None)
        if value is not None:
            return value
    return None


def clock_column(
    model, field: str, *, site: str | tuple[str, ...] = "station.site"
) -> Callable[[admin.ModelAdmin, object], str]:
    """An admin list column showing `field` in the row's site zone, labelled.

    Headed and sorted like the field itself. Rows without a site show the zone the
    request activated (the admin's UTC). The admin should select_related the site path.
    """
    paths = (site,) if isinstance(site, str) else site

    @admin.display(description=model._meta.get_field(field).verbose_name, ordering=field)
    def column(modeladmin, row) -> str:
        return clock_text(getattr(row, field), zone_for(site=_site_of(row, paths)))

    column.__name__ = f"{field}_clock"
    return column


@register.simple_tag
def clock(moment, fmt: str = DEFAULT_FORMAT, *, zone=None, site=None, driver=None):
    if not isinstance(moment, dt.datetime):
        return "—"
    tz = zone_for(zone=zone, site=site, driver=driver)
    return format_html(
        '<time datetime="{}" title="{}">{} <span class="zone">{}</span></time>',
        moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z"),
        tz.key,
        date_format(moment.astimezone(tz), fmt),
        zone_label(moment, tz),
    )


@register.simple_tag
def zone_name(*, zone=None, site=None, driver=None) -> str:
    """The zone's name, for a caption such as "Times in Europe/Berlin"."""
    return zone_for(zone=zone, site=site, driver=driver).key


@register.filter
def duration(session) -> str:
    """How long a session ran (or has run so far): "1 h 05 min", "12 min"."""
    start = getattr(session, "started_at", None)
    if start is None:
        return "—"
    end = getattr(session, "ended_at", None) or timezone.now()
    minutes = max(0, int((end - start).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"
