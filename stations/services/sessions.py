"""Charging sessions started and stopped by the station's own words: OCPP 1.6
StartTransaction and StopTransaction (stations/services/transaction_events.py has
2.0.1's TransactionEvent).

Sanity problems in transaction data (meter going backwards, clocks in 1970, unknown
transaction ids, late or replayed messages) are recorded as flags and always
answered: a CallError on a transaction message makes the station retry it for ever.
A replayed start returns the session it opened; a replayed stop changes nothing; a
new start on a connector ends the session the station forgot to stop.

Every end publishes `session.ended` (billing prices the session on it).
"""

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from stations import events
from stations.commands.answered import remote_start_link
from stations.metering import Sample, plausible_time
from stations.models import ChargingSession, ChargingStation, Connector
from stations.services import load_management, meter_values, reconcile
from stations.services.authorization import (
    ACCEPTED,
    Authorization,
    reservation_session_start,
    start_authorize,
    token_find,
)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class StartResult:
    session: ChargingSession
    authorization: Authorization


@transaction.atomic
def session_start(
    *,
    station_pk: int,
    connector_id: int,
    id_tag: str,
    meter_start_wh: int,
    timestamp: datetime | None,
    reservation_id: int | None = None,
    transaction_id: str | None = None,
    remote_start_id: int | None = None,
) -> StartResult:
    """Open a session, or return the one a replayed start already opened.

    `transaction_id` is the station's own id (2.0.1); without it ChargeNet assigns an
    integer id (1.6).
    """
    now = timezone.now()
    started_at = timestamp if plausible_time(timestamp, now) else now
    station = ChargingStation.objects.select_for_update(no_key=True).get(pk=station_pk)
    replayed = _find_replayed_start(
        station, connector_id, id_tag, meter_start_wh, started_at, transaction_id
    )
    if replayed:
        return StartResult(replayed, _start_answer(id_tag, replayed))
    connector, _ = Connector.objects.get_or_create(station=station, connector_id=connector_id)
    close_superseded_sessions(connector, started_at)
    # After the connector's forgotten session ended: only another one is concurrent.
    authorization = _start_answer(id_tag, None)
    session = ChargingSession.objects.create(
        station=station,
        connector=connector,
        id_token=token_find(id_tag),
        id_tag=id_tag,
        transaction_id=transaction_id,
        started_at=started_at,
        meter_start_wh=meter_start_wh,
        meter_last_wh=meter_start_wh,
        reservation_id=reservation_id,
        remote_start_id=remote_start_id,
    )
    if started_at is not timestamp:
        session.add_flag("start_time_implausible")
    if authorization.status != ACCEPTED:
        session.add_flag(f"token_{authorization.status.lower()}")
    if transaction_id is None:
        session.transaction_id = str(session.pk)
    authorization = reservation_session_start(session, authorization)
    session.save()
    remote_start_link(session)
    load_management.session_changed(session)
    events.publish("session.started", station_pk, events.session_data(session))
    return StartResult(session, authorization)


def _start_answer(id_tag: str, session: ChargingSession | None) -> Authorization:
    return start_authorize(value=id_tag, session=session) if id_tag else Authorization(ACCEPTED)


def _find_replayed_start(station, connector_id, id_tag, meter_start_wh, started_at, transaction_id):
    sessions = ChargingSession.objects.filter(station=station)
    if transaction_id is not None:
        return sessions.filter(transaction_id=transaction_id).first()
    return sessions.filter(
        connector__connector_id=connector_id,
        id_tag=id_tag,
        meter_start_wh=meter_start_wh,
        started_at=started_at,
    ).first()


def close_superseded_sessions(connector: Connector, started_at: datetime) -> None:
    """A new start on a connector ends any session the station forgot to stop."""
    for stale in connector.sessions.filter(state=ChargingSession.State.ACTIVE):
        stale.state = ChargingSession.State.ENDED
        stale.ended_at = max(started_at, stale.started_at)
        stale.meter_stop_wh = stale.meter_last_wh
        stale.stop_reason = "Superseded"
        stale.add_flag("closed_by_new_start")
        stale.save()
        events.publish("session.ended", connector.station_id, events.session_data(stale))


def session_find(
    *, station_pk: int, transaction_id: str | None, lock: bool = False
) -> ChargingSession | None:
    """The station's session with that transaction id (locked for update if asked)."""
    if transaction_id is None:
        return None
    sessions = ChargingSession.objects.select_related("connector")
    if lock:
        sessions = sessions.select_for_update(of=("self",), no_key=True)
    return sessions.filter(station_id=station_pk, transaction_id=transaction_id).first()


@transaction.atomic
def session_stop(
    *,
    station_pk: int,
    transaction_id: str | None,
    meter_stop_wh: int | None,
    timestamp: datetime | None,
    reason: str = "",
    id_tag: str = "",
    samples: list[Sample] | None = None,
) -> ChargingSession:
    """End a session; an unknown transaction is recorded as an ended, flagged session."""
    now = timezone.now()
    ended_at = timestamp if plausible_time(timestamp, now) else now
    session = session_find(station_pk=station_pk, transaction_id=transaction_id, lock=True)
    if session is None:
        session = _record_unknown_stop(station_pk, transaction_id, ended_at, meter_stop_wh)
    if samples:
        connector_id = session.connector.connector_id if session.connector else 0
        meter_values.samples_store(station_pk, connector_id, session, samples)
    # A replayed stop changes nothing; the station's real stop of a session closed by
    # reconciliation replaces the estimate (end time, meter stop, reason, price).
    if session.state == ChargingSession.State.ENDED and not reconcile.late_stop_applies(session):
        return session
    reconcile.session_continued(session)
    session.state = ChargingSession.State.ENDED
    session.ended_at = max(ended_at, session.started_at)
    if ended_at is not timestamp:
        session.add_flag("stop_time_implausible")
    session.stop_reason = reason or "Local"
    session.stop_id_tag = id_tag
    session.power_w = None
    if meter_stop_wh is None:
        meter_stop_wh = session.meter_last_wh
    session.meter_stop_wh = meter_stop_wh
    if meter_stop_wh is not None:
        meter_values.session_energy_until(session, meter_stop_wh)
        session.meter_last_wh = meter_stop_wh
    session.save()
    load_management.session_changed(session)
    events.publish("session.ended", station_pk, events.session_data(session))
    return session


def _record_unknown_stop(station_pk, transaction_id, ended_at, meter_stop_wh) -> ChargingSession:
    """Keep a stop for a transaction ChargeNet never saw (offline start, id -1)."""
    reported = str(transaction_id) if transaction_id is not None else ""
    existing = ChargingSession.objects.filter(
        station_id=station_pk,
        transaction_id=None,
        reported_transaction_id=reported,
        ended_at=ended_at,
    ).first()
    if existing:
        return existing
    logger.warning("Stop for unknown transaction %r on station %s", reported, station_pk)
    return ChargingSession.objects.create(
        station_id=station_pk,
        reported_transaction_id=reported,
        started_at=ended_at,
        meter_start_wh=meter_stop_wh or 0,
        meter_last_wh=meter_stop_wh,
        flags=["unknown_transaction"],
    )
