"""Operators' CSV import: a file of stations read into the rows a bulk registration takes.

The first line names the columns: `station_id` (required), then any of `password`,
`site` (a site's id or exact name), `kind` (car, ebike) and `connectors` (how many to
create). Empty cells are left out, so the registration's defaults apply.
"""

import csv
import io

from stations.models import Site

COLUMNS = ("station_id", "password", "site", "kind", "connectors")
#: The largest file read: 5,000 rows of long ids and passwords fit well within it.
MAX_BYTES = 2 * 1024 * 1024


class CsvError(ValueError):
    """The file as a whole cannot be read (encoding, header)."""


def rows_from_csv(content: bytes) -> tuple[list[dict], dict[int, dict[str, list[str]]]]:
    """The file's rows for stations.api.bulk, and errors by row index found reading them
    (a site name that names no site). Raises CsvError when the file cannot be read."""
    if len(content) > MAX_BYTES:
        raise CsvError(f"The file is larger than {MAX_BYTES // 1024 // 1024} MiB.")
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CsvError("The file is not UTF-8 text.") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [name.strip().lower() for name in next(reader, [])]
    if "station_id" not in header:
        raise CsvError(
            "The first line must name the columns, station_id first: " + ",".join(COLUMNS)
        )
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        raise CsvError(f"Unknown columns: {', '.join(unknown)}. Known: {', '.join(COLUMNS)}.")
    rows = []
    for record in reader:
        if not any(cell.strip() for cell in record):
            continue  # blank lines, e.g. at the end
        cells = dict(zip(header, record, strict=False))
        row = {name: value for name, value in cells.items() if value != "" and name != "connectors"}
        if cells.get("connectors", "").strip():
            row["connector_count"] = cells["connectors"].strip()
        rows.append(row)
    return rows, _resolve_sites(rows)


def _resolve_sites(rows: list[dict]) -> dict[int, dict[str, list[str]]]:
    names = {row["site"] for row in rows if "site" in row and not row["site"].isdigit()}
    by_name = dict(Site.objects.filter(name__in=names).values_list("name", "pk"))
    errors = {}
    for index, row in enumerate(rows):
        site = row.get("site")
        if site is None or site.isdigit():
            continue
        if site in by_name:
            row["site"] = by_name[site]
        else:
            del row["site"]
            errors[index] = {"site": [f"No site is named {site!r}."]}
    return errors
