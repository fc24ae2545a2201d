"""OCPP 2.0.1 transaction events: a session told as a numbered series of Started,
Updated and Ended events, each with its readings, and what they change on the
session and its connector.

Events can arrive twice (replay after reconnect) or out of order (queued offline).
Each seq_no is applied once; state (charging state, connector status) follows only
the newest event, while readings and the start/end facts of any event are kept. The
first event of a transaction opens its session, whichever event that is.
"""

from dataclasses import dataclass, replace
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from stations import events
from stations.commands.answered import remote_start_link
from stations.metering import Sample, plausible_time, power_reading_w, register_readings_wh
from stations.models import ChargingSession, ChargingStation, Connector
from stations.services import costs, load_management, meter_values, reconcile, sessions, status
from stations.services.authorization import (
    ACCEPTED,
    Authorization,
    id_token_authorize,
    reservation_session_start,
    start_authorize,
    token_find,
)


@dataclass(frozen=True)
class SessionEventIn:
    """One event of a session as the station numbered it (seq_no)."""

    event_type: str  # Started | Updated | Ended
    seq_no: int
    transaction_id: str
    timestamp: datetime | None
    trigger_reason: str = ""
    charging_state: str = ""
    connector_status: str = ""  # what the charging state means for the connector
    stopped_reason: str = ""
    offline: bool = False
    id_tag: str = ""
    connector_id: int | None = None
    # A station that numbers EVSEs names the connector by these instead (resolved, and
    # created on first sight, in the transaction that applies the event).
    evse_id: int | None = None
    evse_connector_id: int | None = None
    remote_start_id: int | None = None
    reservation_id: int | None = None
    samples: tuple[Sample, ...] = ()
    meter_start_wh: int | None = None  # the reading at the start, if the event has one
    meter_stop_wh: int | None = None  # the reading at the end, if the event has one


@dataclass(frozen=True)
class SessionEventResult:
    session: ChargingSession
    authorization: Authorization | None
    duplicate: bool
    # An Ended event's session: its total cost, for the station to show (None: no price).
    total_cost: costs.SessionCost | None = None


def session_event_apply(*, station_pk: int, event: SessionEventIn) -> SessionEventResult:
    """Apply one transaction event; replays change nothing, late events fill gaps.

    An Ended event (a replayed one too) is answered with the session's total cost,
    priced once the event is committed, by the engine and from the facts the invoice's
    price comes from (stations/services/costs.py).
    """
    result = _session_event_apply(station_pk=station_pk, event=event)
    if event.event_type == "Ended" and result.session.state == ChargingSession.State.ENDED:
        return replace(result, total_cost=costs.session_total_cost(result.session))
    return result


@transaction.atomic
def _session_event_apply(*, station_pk: int, event: SessionEventIn) -> SessionEventResult:
    now = timezone.now()
    moment = event.timestamp if plausible_time(event.timestamp, now) else now
    # The station row lock serialises a station's events, so the first event of a
    # transaction creates its session exactly once.
    ChargingStation.objects.select_for_update(no_key=True).filter(pk=station_pk).first()
    session = sessions.session_find(station_pk=station_pk, transaction_id=event.transaction_id)
    if session is None:
        session = _session_from_event(station_pk, event, moment)
    authorization = _token_answer(event, session)
    later = set(session.events.filter(seq_no__gte=event.seq_no).values_list("seq_no", flat=True))
    if event.seq_no in later:
        return SessionEventResult(session, authorization, duplicate=True)
    session.events.create(
        seq_no=event.seq_no,
        event_type=event.event_type,
        timestamp=moment,
        trigger_reason=event.trigger_reason,
        charging_state=event.charging_state,
        offline=event.offline,
        id_tag=event.id_tag,
    )
    is_newest = not later
    reconcile.session_continued(session)
    if (
        event.event_type == "Ended"
        and session.state == ChargingSession.State.ENDED
        and reconcile.late_stop_applies(session)
    ):
        session.meter_stop_wh = None  # the estimate gives way to what the station says
    if event.samples:
        connector_id = session.connector.connector_id if session.connector_id else 0
        meter_values.samples_store(station_pk, connector_id, session, event.samples)
    _apply_event(session, event, moment, is_newest)
    if moment is not event.timestamp and event.event_type in ("Started", "Ended"):
        session.add_flag(
            "stop_time_implausible" if event.event_type == "Ended" else "start_time_implausible"
        )
    if authorization and authorization.status != ACCEPTED and event.event_type == "Started":
        session.add_flag(f"token_{authorization.status.lower()}")
    if event.id_tag and event.event_type != "Ended":  # the token may come after the start
        authorization = reservation_session_start(session, authorization)
    session.save()
    if event.event_type in ("Started", "Ended"):
        load_management.session_changed(session)
    kind = {"Started": "session.started", "Ended": "session.ended"}.get(
        event.event_type, "session.updated"
    )
    events.publish(kind, station_pk, events.session_data(session))
    return SessionEventResult(session, authorization, duplicate=False)


def _token_answer(event: SessionEventIn, session: ChargingSession) -> Authorization | None:
    """The idTokenInfo for an event's token: ConcurrentTx only answers Started (2.0.1
    AuthorizationStatusEnumType), when the token charges in another session."""
    if not event.id_tag:
        return None
    if event.event_type == "Started":
        return start_authorize(value=event.id_tag, session=session)
    return id_token_authorize(value=event.id_tag)


def _event_connector(station_pk: int, event: SessionEventIn) -> Connector | None:
    """The connector an event names (created on first sight), or None."""
    if event.evse_id:
        return status.evse_connector(station_pk, event.evse_id, event.evse_connector_id)[0]
    if event.connector_id:
        return Connector.objects.get_or_create(
            station_id=station_pk, connector_id=event.connector_id
        )[0]
    return None


def _session_from_event(station_pk: int, event: SessionEventIn, moment: datetime):
    connector = _event_connector(station_pk, event)
    if connector is not None:
        sessions.close_superseded_sessions(connector, moment)
    session = ChargingSession.objects.create(
        station_id=station_pk,
        connector=connector,
        transaction_id=event.transaction_id,
        id_tag=event.id_tag,
        id_token=token_find(event.id_tag),
        started_at=moment,
        meter_start_wh=0,
    )
    if event.event_type != "Started":
        session.add_flag("started_event_missing")
    return session


def _apply_event(session, event: SessionEventIn, moment: datetime, is_newest: bool) -> None:
    if event.id_tag and not session.id_tag:
        session.id_tag = event.id_tag
        session.id_token = token_find(event.id_tag)
    if event.remote_start_id is not None and session.remote_start_id is None:
        session.remote_start_id = event.remote_start_id
        remote_start_link(session)
    if event.reservation_id is not None:
        session.reservation_id = event.reservation_id
    if session.connector_id is None:
        session.connector = _event_connector(session.station_id, event)
    if event.id_tag and (event.event_type == "Ended" or event.trigger_reason == "StopAuthorized"):
        session.stop_id_tag = event.id_tag
    if event.event_type == "Started":
        session.started_at = min(session.started_at, moment)
        if "started_event_missing" in session.flags:
            session.flags = [f for f in session.flags if f != "started_event_missing"]
    if event.event_type == "Ended":
        session.state = ChargingSession.State.ENDED
        session.ended_at = max(moment, session.started_at)
        session.stop_reason = event.stopped_reason or "Local"
        session.power_w = None
    _apply_event_readings(session, event, is_newest)
    if is_newest and session.state == ChargingSession.State.ACTIVE:
        if event.charging_state:
            session.charging_state = event.charging_state
        power = power_reading_w(list(event.samples))
        if power is not None:
            session.power_w = power
    if is_newest and session.connector_id:
        _connector_follows_event(session, event, moment)
    elif session.connector_id and event.connector_status and event.event_type != "Ended":
        # A late event still tells when its status began: kept in the status history
        # (idle fees), while the connector shows what the newest event said.
        status.connector_status_history(session.connector, event.connector_status, moment)


def _apply_event_readings(session: ChargingSession, event: SessionEventIn, is_newest: bool) -> None:
    """Start, latest and end register readings, whatever order events arrive in."""
    readings = register_readings_wh(list(event.samples))
    if event.meter_start_wh is not None:
        session.meter_start_wh = event.meter_start_wh
        session.flags = [f for f in session.flags if f != "meter_start_estimated"]
    elif readings and (session.meter_last_wh is None or "meter_start_estimated" in session.flags):
        # Never take 0 as the start when the station sent no start reading (an
        # offline Transaction.Begin=0 would bill the meter's lifetime total).
        first = readings[0]
        if session.meter_last_wh is None or first < session.meter_start_wh:
            session.meter_start_wh = first
        session.add_flag("meter_start_estimated")
    if readings and (is_newest or session.meter_last_wh is None):
        session.meter_last_wh = readings[-1]
    if event.meter_stop_wh is not None:
        session.meter_stop_wh = event.meter_stop_wh
    elif session.state == ChargingSession.State.ENDED and session.meter_stop_wh is None:
        session.meter_stop_wh = session.meter_last_wh
    end = session.meter_stop_wh if session.meter_stop_wh is not None else session.meter_last_wh
    if end is not None:
        meter_values.session_energy_until(session, end)


def _connector_follows_event(
    session: ChargingSession, event: SessionEventIn, moment: datetime
) -> None:
    """The connector takes the status the event implies, from the event's own time (an
    offline event replayed later still starts its status when the station said)."""
    connector = session.connector
    new_status = event.connector_status
    if event.event_type == "Ended":
        new_status = "Finishing" if connector.status in status.OCCUPIED_STATUSES else ""
    if new_status and new_status != connector.status:
        at = moment if moment is event.timestamp else None
        inferred = event.event_type == "Ended"  # 2.x has no Finishing: ChargeNet's guess
        status.connector_status_follow(connector, new_status, at, inferred=inferred)
