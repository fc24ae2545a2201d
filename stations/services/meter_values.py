"""Meter values: storing the samples stations send and what they change on sessions.

Samples are stored in bulk and a replay inserts nothing twice (the unique constraint
drops it); a session takes the latest whole-meter register reading (never a reading
below the one it has: that is flagged `meter_backwards`) and power; an ended session
stays ended (`meter_values_after_stop`). Readings without a transaction id belong to
the connector's active session and say what the meter reads, not that the station
still runs the transaction. The register rule itself is stations/metering.py's.

MeterValues messages are written many at a time (stations/writers/meter_writer.py):
`meter_values_record_many` costs a handful of queries for the whole batch.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from runtime import sql
from stations import events
from stations.events import TEMPERATURE_RECORDED
from stations.metering import Sample, celsius, energy_reading_wh, power_reading_w
from stations.models import ChargingSession, Connector, MeterSample
from stations.services import reconcile, status
from stations.writers.bulk import rows_write


@dataclass(frozen=True)
class MeterValuesIn:
    """One MeterValues message, version-neutral.

    A station that numbers EVSEs names the connector by `evse_id` (and the connector
    on it) instead of `connector_id`: it is resolved, and created on first sight, in
    the transaction that stores the readings.
    """

    station_pk: int
    connector_id: int
    transaction_id: str | None
    samples: list[Sample]
    evse_id: int | None = None
    evse_connector_id: int | None = None

    @property
    def evse(self) -> tuple[int, int, int] | None:
        """(station, EVSE, connector on it) when the message names an EVSE."""
        if not self.evse_id:
            return None
        return (self.station_pk, self.evse_id, self.evse_connector_id or 1)


#: What a MeterValues message may change on its session.
_METER_FIELDS = (
    "meter_last_wh",
    "energy_wh",
    "power_w",
    "flags",
    "reconcile_after",
    "reconcile_reason",
    "updated_at",
)
#: A stored sample, as `_sample_row` gives it.
_SAMPLE_FIELDS = (
    "station",
    "connector_id",
    "session",
    "timestamp",
    "measurand",
    "phase",
    "location",
    "context",
    "value",
    "unit",
)


def _sample_row(station_pk: int, connector_id: int, session_pk: int | None, s: Sample) -> tuple:
    return (
        station_pk,
        connector_id,
        session_pk,
        s.timestamp,
        s.measurand,
        s.phase,
        s.location,
        s.context,
        s.value,
        s.unit,
    )


def samples_store(
    station_pk: int, connector_id: int, session: ChargingSession | None, samples
) -> None:
    """One INSERT for all samples; the unique constraint drops replayed ones."""
    session_pk = session.pk if session is not None else None
    rows = [_sample_row(station_pk, connector_id, session_pk, s) for s in samples]
    rows_write(MeterSample, _SAMPLE_FIELDS, rows, conflict_free=True)


def session_energy_until(session: ChargingSession, end_wh: int) -> None:
    """The session's energy up to the register reading `end_wh` (its end); a reading
    below the start is flagged and counts as nothing."""
    if end_wh < session.meter_start_wh:
        session.add_flag("meter_stop_below_start")
    session.energy_wh = max(0, end_wh - session.meter_start_wh)


@transaction.atomic
def meter_values_record_many(*, messages: list[MeterValuesIn]) -> None:
    """Store many MeterValues messages at once: a handful of queries in all.

    The sessions are locked in primary-key order (one query), every sample goes in
    one INSERT and every changed session in one UPDATE, so many stations' readings
    share one transaction (stations/writers/meter_writer.py).
    """
    by_transaction, by_connector, evse_numbers = _lock_meter_sessions(messages)
    rows: list[tuple] = []
    changed: dict[int, ChargingSession] = {}
    for message in messages:
        connector_id = evse_numbers[message.evse] if message.evse else message.connector_id
        if message.transaction_id is not None:
            session = by_transaction.get((message.station_pk, message.transaction_id))
        else:
            session = by_connector.get((message.station_pk, connector_id))
        session_pk = session.pk if session is not None else None
        rows.extend(
            _sample_row(message.station_pk, connector_id, session_pk, s) for s in message.samples
        )
        if session is None:
            continue
        if session.state == ChargingSession.State.ENDED:
            session.add_flag("meter_values_after_stop")
        else:
            _apply_readings(session, message.samples)
            if message.transaction_id is not None:
                reconcile.session_continued(session)
        changed[session.pk] = session
    rows_write(MeterSample, _SAMPLE_FIELDS, rows, conflict_free=True)
    for message in messages:
        _temperature_published(message, evse_numbers)
    if not changed:
        return
    now = timezone.now()
    for session in changed.values():
        session.updated_at = now
    rows_write(
        ChargingSession,
        (*_METER_FIELDS, "id"),
        [[getattr(s, name) for name in (*_METER_FIELDS, "id")] for s in changed.values()],
        update=True,
    )
    for session in changed.values():
        if session.state != ChargingSession.State.ENDED:
            events.publish("session.updated", session.station_id, events.session_data(session))


def _apply_readings(session: ChargingSession, samples: list[Sample]) -> None:
    reading = energy_reading_wh(samples)
    if reading is not None:
        if session.meter_last_wh is not None and reading < session.meter_last_wh:
            session.add_flag("meter_backwards")
        else:
            session.meter_last_wh = reading
            session.energy_wh = max(0, reading - session.meter_start_wh)
    power = power_reading_w(samples)
    if power is not None:
        session.power_w = power


def _lock_meter_sessions(messages: list[MeterValuesIn]):
    """The sessions the messages name, locked: by (station, transaction id) and, for
    messages without a transaction id, the active one by (station, connector number);
    and the connector numbers of the EVSEs messages name, by (station, EVSE, connector
    on it), their connectors created on first sight.

    An EVSE's connector comes with the active session on it (the same query): only
    EVSEs with no session under way cost a query more, one for the whole batch.
    """
    by_transaction = {(m.station_pk, m.transaction_id) for m in messages if m.transaction_id}
    by_connector = {
        (m.station_pk, m.connector_id)
        for m in messages
        if m.transaction_id is None and m.connector_id and not m.evse
    }
    by_evse = {m.evse for m in messages if m.transaction_id is None and m.evse}
    found_by_transaction, found_by_connector = _meter_sessions(
        by_transaction, by_connector, by_evse
    )
    evse_numbers = {}
    for session in (*found_by_transaction.values(), *found_by_connector.values()):
        connector = session.connector
        if connector is not None and connector.evse_id is not None:
            key = (session.station_id, connector.evse_id, connector.evse_connector_id)
            evse_numbers.setdefault(key, connector.connector_id)
    unseen = {m.evse for m in messages if m.evse} - evse_numbers.keys()
    if unseen:
        adopted = _evse_numbers_find(unseen, evse_numbers)
        # An operator's connector just taken over for an EVSE may have a session on it.
        late = {(key[0], evse_numbers[key]) for key in adopted & by_evse}
        if late:
            for key, session in _meter_sessions(set(), late, set())[1].items():
                found_by_connector.setdefault(key, session)
    return found_by_transaction, found_by_connector, evse_numbers


#: What a MeterValues batch reads of its sessions (the rest stays deferred), and of
#: their connectors.
_SESSION_FIELDS = (
    "id",
    "station_id",
    "connector_id",
    "transaction_id",
    "state",
    "meter_start_wh",
    *_METER_FIELDS,
)
_CONNECTOR_FIELDS = ("connector_id", "evse_id", "evse_connector_id")


def _meter_sessions(by_transaction: set, by_connector: set, by_evse: set):
    """Locked sessions by (station, transaction id) and active ones by (station,
    connector number), these also for the (station, EVSE, connector on it) given.

    Plain SQL, the sessions read with their few columns the batch uses and their
    connector's numbers: the ORM's statement (compiling the batch's conditions, the
    joined connector's whole row) was the dearest part of the batch's CPU, and the
    writer's time is what limits how many MeterValues a process answers.
    """
    if not by_transaction and not by_connector and not by_evse:
        return {}, {}
    active = ChargingSession.State.ACTIVE
    params: list = []

    def among(column: str, values) -> str:
        values = sorted(set(values))
        params.extend(values)
        return f"{column} IN ({', '.join(['%s'] * len(values))})"

    # One condition per kind over the batch's values (a condition per message costs
    # more than the query); the rows past the pairs asked for are dropped below.
    wanted = []
    if by_transaction:
        stations, ids = zip(*by_transaction, strict=True)
        wanted.append(f"{among('s.station_id', stations)} AND {among('s.transaction_id', ids)}")
    if by_connector:
        stations, numbers = zip(*by_connector, strict=True)
        wanted.append(
            f"{among('s.station_id', stations)} AND {among('c.connector_id', numbers)}"
            " AND s.state = %s"
        )
        params.append(active)
    if by_evse:
        stations, evses, numbers = zip(*by_evse, strict=True)
        wanted.append(
            f"{among('s.station_id', stations)} AND {among('c.evse_id', evses)}"
            f" AND {among('c.evse_connector_id', numbers)} AND s.state = %s"
        )
        params.append(active)
    lock = sql.row_lock()
    columns = ", ".join(
        [f"s.{ChargingSession._meta.get_field(name).column}" for name in _SESSION_FIELDS]
        + [f"c.{name} AS connector_{name}" for name in _CONNECTOR_FIELDS]
    )
    sessions = ChargingSession.objects.raw(
        f"SELECT {columns} FROM {sql.table(ChargingSession)} s"
        f" LEFT JOIN {sql.table(Connector)} c ON c.id = s.connector_id"
        f" WHERE ({') OR ('.join(wanted)}) ORDER BY s.id{lock}{' OF s' if lock else ''}",
        params,
    )
    cached = ChargingSession.connector.field.set_cached_value
    found_by_transaction, found_by_connector = {}, {}
    for session in sessions:
        connector = None
        if session.connector_id is not None:
            connector = Connector.from_db(
                sessions.db,
                ["id", "station_id", *_CONNECTOR_FIELDS],
                [
                    session.connector_id,
                    session.station_id,
                    *(getattr(session, f"connector_{name}") for name in _CONNECTOR_FIELDS),
                ],
            )
        cached(session, connector)
        if (session.station_id, session.transaction_id) in by_transaction:
            found_by_transaction.setdefault((session.station_id, session.transaction_id), session)
        if session.state == active and connector is not None:
            key = (session.station_id, connector.connector_id)
            evse = (session.station_id, connector.evse_id, connector.evse_connector_id)
            if key in by_connector or evse in by_evse:
                found_by_connector.setdefault(key, session)  # the oldest, as .first()
    return found_by_transaction, found_by_connector


def _evse_numbers_find(unseen: set, evse_numbers: dict) -> set:
    """Add the connector numbers of EVSEs no loaded session named (one query), creating
    the connectors of EVSEs never seen; returns the EVSEs whose connector an operator
    had created (taken over now)."""
    stations, evses, numbers = zip(*unseen, strict=True)
    wanted = Q(
        station_id__in=set(stations), evse_id__in=set(evses), evse_connector_id__in=set(numbers)
    )
    for connector in Connector.objects.filter(wanted).order_by("pk"):
        key = (connector.station_id, connector.evse_id, connector.evse_connector_id)
        if key in unseen:
            evse_numbers.setdefault(key, connector.connector_id)
    adopted = set()
    for key in sorted(unseen - evse_numbers.keys()):  # first sight: rare
        connector, created = status.evse_connector(*key)
        evse_numbers[key] = connector.connector_id
        if not created:
            adopted.add(key)
    return adopted


def _temperature_published(message: MeterValuesIn, evse_numbers: dict) -> None:
    """A Temperature reading, in °C, for whoever watches for heat (alarms); most
    frames hold none, and cost nothing here."""
    readings = [celsius(s) for s in message.samples if s.measurand == "Temperature"]
    readings = [r for r in readings if r is not None]
    if readings:
        connector_id = evse_numbers[message.evse] if message.evse else message.connector_id
        events.publish(
            TEMPERATURE_RECORDED,
            message.station_pk,
            {"connector": connector_id, "celsius": str(max(readings))},
            live=False,
        )
