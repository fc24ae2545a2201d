"""Calendar periods in a time zone, as UTC instants; pure functions."""

from datetime import UTC, date, datetime, timedelta

from billing.pricing.timeofuse import zone


def day_start(day: date, tz_name: str) -> datetime:
    """Local midnight at the start of `day`, in UTC."""
    return datetime(day.year, day.month, day.day, tzinfo=zone(tz_name)).astimezone(UTC)


def days_bounds(first: date, last: date, tz_name: str) -> tuple[datetime, datetime]:
    """[first 00:00, the day after last 00:00) in the time zone, as UTC instants."""
    return day_start(first, tz_name), day_start(last + timedelta(days=1), tz_name)


def month_days(year: int, month: int) -> tuple[date, date]:
    """The first and the last day of a month."""
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return first, following - timedelta(days=1)


def previous_month(now: datetime, tz_name: str) -> tuple[int, int]:
    """The last month that has ended, in the time zone."""
    local = now.astimezone(zone(tz_name))
    return (local.year, local.month - 1) if local.month > 1 else (local.year - 1, 12)


def local_date(moment: datetime, tz_name: str) -> date:
    return moment.astimezone(zone(tz_name)).date()
