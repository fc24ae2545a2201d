"""Reads for the billing pages: energy and revenue per site, by day and by month."""

from datetime import date
from decimal import Decimal

from billing.charts import Chart, bar_chart
from billing.models import OperatorProfile
from billing.periods import days_bounds, month_days
from billing.services.reports import daily_by_site

ZERO = Decimal(0)


def _months_back(month: date, count: int) -> list[date]:
    months = []
    year, number = month.year, month.month
    for _ in range(count):
        months.append(date(year, number, 1))
        year, number = (year, number - 1) if number > 1 else (year - 1, 12)
    return months[::-1]


def site_charts(month: date) -> dict[str, list[Chart]]:
    """Energy and revenue per site: by day within `month`, and by month for a year to it."""
    tz_name = OperatorProfile.current().timezone
    first, last = month_days(month.year, month.month)
    days = [date(first.year, first.month, d) for d in range(1, last.day + 1)]
    daily = daily_by_site(*days_bounds(first, last, tz_name), tz_name)
    months = _months_back(first, 12)
    monthly = daily_by_site(*days_bounds(months[0], last, tz_name), tz_name, monthly=True)
    return {
        "daily": _charts(daily, days, lambda d: f"{d.day}"),
        "monthly": _charts(monthly, months, lambda d: f"{d:%Y-%m}"),
    }


def _charts(totals, periods: list[date], label) -> list[Chart]:
    sites = sorted({site for _, site in totals})
    currencies = sorted({c for t in totals.values() for c in t.revenue})

    def values(site, pick) -> list[Decimal]:
        return [pick(totals[(p, site)]) if (p, site) in totals else ZERO for p in periods]

    labels = [label(p) for p in periods]
    charts = [
        bar_chart(
            "Energy",
            "kWh",
            labels,
            {site: values(site, lambda t: Decimal(t.energy_wh) / 1000) for site in sites},
        )
    ]
    for currency in currencies:
        charts.append(
            bar_chart(
                f"Revenue ({currency})",
                currency,
                labels,
                {
                    site: values(site, lambda t, c=currency: t.revenue.get(c, [ZERO] * 3)[2])
                    for site in sites
                },
            )
        )
    return charts
