"""Uptime by the US NEVI formula and the UK Public Charge Point Regulations' method.

Pure functions over a port's timeline (`Segment`s: up, down with a cause, or unknown).

- NEVI (23 CFR 680.116(b)): µ = (T − (T_outage − T_excluded)) / T × 100, T being the
  window (from when the station existed). Outage is every down second; excluded is
  the part of it the rule lets the operator exclude (`ALLOWED`), the planned
  (operator-set Unavailable) part, and time ChargeNet itself was down. Unknown time
  (no status ever reported yet) is not an outage.
- UK (reliability): time up / (time up + time down), over the site's opening hours;
  unknown and excluded time count in neither.

Percentages are decimal strings with two places, rounded half up; None when the
window holds no countable time.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from reliability.intervals import Interval, clipped, merged, overlap_seconds

NEVI, UK = "nevi", "uk"
METHODS = (NEVI, UK)

UP, DOWN, UNKNOWN = "up", "down", "unknown"
OFFLINE, FAULTED, UNAVAILABLE, PLANNED, CENTRAL_DOWN = (
    "offline",
    "faulted",
    "unavailable",
    "planned",
    "central_system_down",
)
#: Down time that is never the station's fault: always excluded.
NOT_BLAMED = frozenset({PLANNED, CENTRAL_DOWN})

#: The exclusion reasons each rule accepts; others are recorded but not applied.
ALLOWED = {
    NEVI: frozenset(
        {"grid_outage", "vehicle_fault", "planned_maintenance", "vandalism", "natural_disaster"}
    ),
    UK: frozenset({"grid_outage", "planned_maintenance", "vandalism", "natural_disaster"}),
}

#: Connector statuses a port is up in (1.6 and 2.0.1 names).
UP_STATUSES = frozenset(
    {
        "Available",
        "Preparing",
        "Charging",
        "SuspendedEV",
        "SuspendedEVSE",
        "Finishing",
        "Reserved",
        "Occupied",
    }
)


@dataclass(frozen=True)
class Segment:
    start: object
    end: object
    state: str
    cause: str = ""
    error_code: str = ""

    @property
    def interval(self) -> Interval:
        return Interval(self.start, self.end)


@dataclass(frozen=True)
class PortFigures:
    connector_id: int
    total_seconds: int  # the time the method counts: window (NEVI), up + down (UK)
    up_seconds: int
    outage_seconds: int
    excluded_seconds: int
    outages: list[dict]

    @property
    def counted_outage(self) -> int:
        return self.outage_seconds - self.excluded_seconds

    @property
    def uptime_percent(self) -> str | None:
        return percent(self.total_seconds - self.counted_outage, self.total_seconds)


def percent(part: int, whole: int) -> str | None:
    if whole <= 0:
        return None
    value = Decimal(part) * 100 / Decimal(whole)
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def status_state(status: str | None, *, planned: bool) -> tuple[str, str]:
    """A connector status's (state, cause)."""
    if status is None:
        return UNKNOWN, ""
    if status == "Faulted":
        return DOWN, FAULTED
    if status in UP_STATUSES:
        return UP, ""
    if status == "Unavailable":
        return DOWN, PLANNED if planned else UNAVAILABLE
    return UNKNOWN, ""


def port_figures(
    connector_id: int,
    segments: list[Segment],
    *,
    method: str,
    exclusions: Iterable[tuple[Interval, str]],
    open_hours: list[Interval] | None = None,
) -> PortFigures:
    """A port's figures by `method` from its segments (already inside the window).

    `exclusions` are (interval, reason); `open_hours` (UK) limits what counts.
    """
    if method == UK and open_hours is not None:
        segments = [
            Segment(i.start, i.end, s.state, s.cause, s.error_code)
            for s in segments
            for i in clipped(open_hours, s.interval)
        ]
    down = [s for s in segments if s.state == DOWN]
    down_intervals = [s.interval for s in down]
    allowed = [i for i, reason in exclusions if reason in ALLOWED[method]]
    cover = merged([*allowed, *(s.interval for s in down if s.cause in NOT_BLAMED)])
    outage = sum(s.interval.seconds for s in down)
    excluded = overlap_seconds(down_intervals, cover)
    up = sum(s.interval.seconds for s in segments if s.state == UP)
    # NEVI counts the whole window; UK only up and down time, less what is excluded.
    total = sum(s.interval.seconds for s in segments) if method == NEVI else up + outage - excluded
    outages = [
        {
            "start": s.start,
            "end": s.end,
            "cause": s.cause,
            "error_code": s.error_code,
            "excluded_seconds": overlap_seconds([s.interval], cover),
        }
        for s in _joined(down)
    ]
    return PortFigures(connector_id, total, up, outage, excluded, outages)


def station_percent(ports: list[PortFigures]) -> str | None:
    """The station's figure: its ports' time added up (a port-weighted mean)."""
    total = sum(p.total_seconds for p in ports)
    return percent(total - sum(p.counted_outage for p in ports), total)


def _joined(down: list[Segment]) -> list[Segment]:
    """Adjacent down segments of one cause (and error code) as one outage."""
    out: list[Segment] = []
    for s in down:
        last = out[-1] if out else None
        if (
            last
            and last.end == s.start
            and (last.cause, last.error_code)
            == (
                s.cause,
                s.error_code,
            )
        ):
            out[-1] = Segment(last.start, s.end, DOWN, s.cause, s.error_code)
        else:
            out.append(s)
    return out
