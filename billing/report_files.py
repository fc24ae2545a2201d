"""Report tables and their CSV and XLSX files; pure functions of computed totals.

Revenue gets three columns (net, tax, gross) per currency present in the report, so
every station stays one row however many currencies the network uses.
"""

import csv
import io
from decimal import Decimal

from openpyxl import Workbook
from openpyxl.styles import Font

from billing.pricing import round_money

BASE_COLUMNS = [
    "level",
    "site",
    "station",
    "connectors",
    "sessions",
    "unpriced_sessions",
    "energy_kwh",
    "utilisation_percent",
    "faults",
]


def _currencies(totals_list) -> list[str]:
    return sorted({currency for totals in totals_list for currency in totals.revenue})


def _money(amount: Decimal, currency: str) -> Decimal:
    return round_money(amount, currency)


def _kwh(energy_wh: int) -> Decimal:
    return (Decimal(energy_wh) / 1000).quantize(Decimal("0.001"))


def summary_table(rows) -> tuple[list[str], list[list]]:
    """Columns and rows: one per station, then per site, then the network."""
    currencies = _currencies(totals for *_, totals in rows)
    columns = BASE_COLUMNS + [
        f"revenue_{part}_{currency}" for currency in currencies for part in ("net", "tax", "gross")
    ]
    table = []
    for level, site, station, totals in rows:
        row = [
            level,
            site,
            station,
            totals.connectors,
            totals.sessions,
            totals.unpriced,
            _kwh(totals.energy_wh),
            totals.utilisation_percent,
            totals.faults,
        ]
        for currency in currencies:
            row += [_money(a, currency) for a in totals.revenue.get(currency, [Decimal(0)] * 3)]
        table.append(row)
    return columns, table


def daily_table(daily) -> tuple[list[str], list[list]]:
    """Per day and site: sessions, energy and gross revenue per currency."""
    currencies = _currencies(daily.values())
    columns = ["date", "site", "sessions", "energy_kwh"] + [
        f"revenue_gross_{currency}" for currency in currencies
    ]
    table = [
        [day, site, totals.sessions, _kwh(totals.energy_wh)]
        + [_money(totals.revenue.get(c, [Decimal(0)] * 3)[2], c) for c in currencies]
        for (day, site), totals in daily.items()
    ]
    return columns, table


def summary(totals) -> dict:
    """The network totals as JSON for the report row (shown on the page and the API)."""
    return {
        "sessions": totals.sessions,
        "energy_kwh": str(_kwh(totals.energy_wh)),
        "utilisation_percent": str(totals.utilisation_percent),
        "faults": totals.faults,
        "revenue_gross": {
            currency: str(_money(amounts[2], currency))
            for currency, amounts in sorted(totals.revenue.items())
        },
    }


def csv_bytes(columns: list[str], rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows([[_plain(value) for value in row] for row in rows])
    return buffer.getvalue().encode("utf-8")


def _plain(value) -> str:
    return format(value, "f") if isinstance(value, Decimal) else str(value)


def xlsx_bytes(sheets: dict[str, tuple[list[str], list[list]]]) -> bytes:
    """A workbook with one sheet per table; numbers stay numbers, money to the cent."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, (columns, rows) in sheets.items():
        sheet = workbook.create_sheet(title[:31])
        sheet.append(columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
        for index, column in enumerate(columns, start=1):
            letter = sheet.cell(row=1, column=index).column_letter
            sheet.column_dimensions[letter].width = max(12, len(column) + 2)
            number_format = {"date": "yyyy-mm-dd"}.get(column)
            if column.startswith("revenue_"):
                number_format = "#,##0.00"
            if number_format:
                for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                    cell.number_format = number_format
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
