"""A site's opening hours as UTC intervals, read in the site's own time zone (so a DST
change moves them as a clock on the wall would)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from reliability.intervals import Interval, clipped, merged
from reliability.models import OpeningHours


def open_intervals(site, window: Interval) -> list[Interval] | None:
    """When `site` is open inside `window`; None: always (no hours recorded, or no site)."""
    if site is None:
        return None
    hours = list(OpeningHours.objects.filter(site=site).values_list("weekday", "opens", "closes"))
    if not hours:
        return None
    zone = ZoneInfo(site.timezone or "UTC")
    first = window.start.astimezone(zone).date() - timedelta(days=1)
    last = window.end.astimezone(zone).date()
    out, day = [], first
    while day <= last:
        for weekday, opens, closes in hours:
            if day.weekday() != weekday:
                continue
            start = datetime.combine(day, opens, tzinfo=zone)
            end_day = day if closes > opens else day + timedelta(days=1)
            end = datetime.combine(end_day, closes, tzinfo=zone)
            out.append(Interval(start.astimezone(ZoneInfo("UTC")), end.astimezone(ZoneInfo("UTC"))))
        day += timedelta(days=1)
    return clipped(merged(out), window)
