"""A port's timeline in a window: what each stretch of time was (up, down and why, or
unknown), from the histories ChargeNet keeps.

`segments` is pure; `port_timelines` reads the rows for one station.
"""

from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from billing.models import ConnectorStatusPeriod
from reliability.intervals import Interval, clipped, merged
from reliability.models import CentralSystemRun, ConnectivityPeriod, Exclusion
from reliability.uptime import (
    CENTRAL_DOWN,
    DOWN,
    FAULTED,
    OFFLINE,
    UNKNOWN,
    Segment,
    status_state,
)
from stations.models import ChargingStation, Command

# Runs further apart than this had ChargeNet down between them.
CENTRAL_GAP_SECONDS = 180


@dataclass
class StatusTrack:
    """One connector's statuses as sorted, non-overlapping (interval, status, error)."""

    periods: list[tuple[Interval, str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.periods.sort(key=lambda p: p[0].start)
        self._starts = [p[0].start for p in self.periods]

    def at(self, t: datetime) -> tuple[str, str] | None:
        i = bisect_right(self._starts, t) - 1
        if i >= 0 and self.periods[i][0].end > t:
            return self.periods[i][1], self.periods[i][2]
        return None


def _inside(intervals: list[Interval], t: datetime) -> bool:
    starts = [i.start for i in intervals]
    i = bisect_right(starts, t) - 1
    return i >= 0 and intervals[i].end > t


def segments(
    window: Interval,
    *,
    connector: StatusTrack,
    station: StatusTrack,
    connected: list[Interval] | None,
    central_down: list[Interval],
    planned: list[Interval],
) -> list[Segment]:
    """The port's segments in `window`, stretch by stretch.

    In order: ChargeNet down (never the station's fault); the station offline
    (`connected` None: connectivity not known yet, so not judged); the station as a
    whole (connector 0) Faulted or Unavailable; the connector's own status. An
    Unavailable inside `planned` (an operator made it inoperative) is planned.
    """
    connected = merged(connected) if connected is not None else None
    central_down, planned = merged(central_down), merged(planned)
    cuts = {window.start, window.end}
    for track in (connector, station):
        for interval, _, _ in track.periods:
            cuts.update((interval.start, interval.end))
    for interval in [*(connected or []), *central_down, *planned]:
        cuts.update((interval.start, interval.end))
    points = sorted(t for t in cuts if window.start <= t <= window.end)
    out: list[Segment] = []
    for start, end in zip(points, points[1:], strict=False):
        state, cause, error = _state_at(start, connector, station, connected, central_down, planned)
        last = out[-1] if out else None
        if last and (last.state, last.cause, last.error_code) == (state, cause, error):
            out[-1] = Segment(last.start, end, state, cause, error)
        else:
            out.append(Segment(start, end, state, cause, error))
    return out


def _state_at(t, connector, station, connected, central_down, planned) -> tuple[str, str, str]:
    if _inside(central_down, t):
        return DOWN, CENTRAL_DOWN, ""
    if connected is not None and not _inside(connected, t):
        return DOWN, OFFLINE, ""
    is_planned = _inside(planned, t)
    whole = station.at(t)
    if whole and whole[0] in ("Faulted", "Unavailable"):
        state, cause = status_state(whole[0], planned=is_planned)
        return state, cause, whole[1] if cause == FAULTED else ""
    own = connector.at(t)
    if own is None:
        return UNKNOWN, "", ""
    state, cause = status_state(own[0], planned=is_planned)
    return state, cause, own[1] if cause == FAULTED else ""


@dataclass(frozen=True)
class StationHistory:
    """What the figures of one station in one window are made from."""

    station: ChargingStation
    window: Interval  # from when the station existed
    timelines: dict[int, list[Segment]]  # connector id -> segments
    exclusions: dict[int, list[tuple[Interval, str]]]  # connector id -> (interval, reason)


def station_history(station: ChargingStation, window: Interval) -> StationHistory:
    """Read one station's histories and cut each of its ports' timelines."""
    now = timezone.now()
    window = Interval(max(window.start, station.created_at), min(window.end, now))
    if window.end <= window.start:
        window = Interval(window.start, window.start)
    ports = sorted(
        c for c in station.connectors.values_list("connector_id", flat=True) if c > 0
    ) or [1]
    tracks = _status_tracks(station, window, now)
    central_down = central_downtime(window)
    planned = _planned(station, window.end)
    connected = _connectivity(station, window, now)
    exclusions = _exclusions(station, window)
    timelines, excluded = {}, {}
    for port in ports:
        timelines[port] = segments(
            window,
            connector=tracks.get(port, StatusTrack()),
            station=tracks.get(0, StatusTrack()),
            connected=connected,
            central_down=central_down,
            planned=planned.get(0, []) + planned.get(port, []),
        )
        excluded[port] = [(i, r) for c, i, r in exclusions if c in (None, port)]
    return StationHistory(station, window, timelines, excluded)


def _status_tracks(station, window: Interval, now: datetime) -> dict[int, StatusTrack]:
    rows = ConnectorStatusPeriod.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=window.start),
        station=station,
        started_at__lt=window.end,
    ).values_list("connector_id", "status", "error_code", "started_at", "ended_at")
    periods: dict[int, list] = {}
    for connector_id, status, error, started, ended in rows:
        periods.setdefault(connector_id, []).append(
            (Interval(started, ended or now), status, error)
        )
    return {c: StatusTrack(p) for c, p in periods.items()}


def _connectivity(station, window: Interval, now: datetime) -> list[Interval] | None:
    """When the station was connected; None before ChargeNet first saw it connect (the
    time before counts as not known, so the list starts being judged from there)."""
    first = (
        ConnectivityPeriod.objects.filter(station=station)
        .order_by("started_at")
        .values_list("started_at", flat=True)
        .first()
    )
    if first is None or first >= window.end:
        return None
    rows = ConnectivityPeriod.objects.filter(
        Q(ended_at__isnull=True) | Q(ended_at__gt=window.start),
        station=station,
        started_at__lt=window.end,
    ).values_list("started_at", "ended_at")
    # An open period of a station no longer connected lasted until it was last heard of.
    still = station.last_seen if not station.connected and station.last_seen else now
    periods = [Interval(s, e or max(s, still)) for s, e in rows]
    if first > window.start:  # before the first connection: not judged
        periods.append(Interval(window.start, first))
    return periods


def central_downtime(window: Interval) -> list[Interval]:
    """Gaps between ChargeNet's own runs inside `window` (time after the newest run is
    not judged: the task that extends it may simply not have run yet)."""
    runs = list(
        CentralSystemRun.objects.filter(started_at__lt=window.end)
        .order_by("started_at")
        .values_list("started_at", "alive_at")
    )
    down = []
    for (_, alive), (started, _) in zip(runs, runs[1:], strict=False):
        if (started - alive).total_seconds() > CENTRAL_GAP_SECONDS:
            down.append(Interval(alive, started))
    return clipped(down, window)


def _planned(station, until: datetime) -> dict[int, list[Interval]]:
    """Where an operator made the station (0) or a connector inoperative: from the
    accepted change_availability command until the one that made it operative."""
    commands = Command.objects.filter(
        station=station,
        action="change_availability",
        status=Command.Status.ACCEPTED,
        created_at__lt=until,
    ).order_by("created_at", "pk")
    since: dict[int, datetime] = {}
    out: dict[int, list[Interval]] = {}
    for command in commands:
        params = command.params or {}
        target = int(params.get("connector_id") or params.get("evse_id") or 0)
        at = command.finished_at or command.created_at
        if str(params.get("type", "")).lower() == "inoperative":
            since.setdefault(target, at)
        else:
            for key in [target] if target else list(since):  # station-wide ends them all
                if key in since:
                    out.setdefault(key, []).append(Interval(since.pop(key), at))
    for key, start in since.items():
        out.setdefault(key, []).append(Interval(start, until))
    return out


def _exclusions(station, window: Interval) -> list[tuple[int | None, Interval, str]]:
    rows = Exclusion.objects.filter(
        Q(station=station) | Q(station__isnull=True, site_id=station.site_id),
        start__lt=window.end,
        end__gt=window.start,
    ).values_list("connector_id", "start", "end", "reason")
    if station.site_id is None:
        rows = rows.filter(station=station)
    return [(c, Interval(s, e), r) for c, s, e, r in rows]
