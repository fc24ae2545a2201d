"""TransactionEvent in full, for 2.0.1 and 2.1: Started / Updated / Ended by seqNo.

Events may come twice (replayed after a reconnect) or out of order (queued offline):
each seqNo is applied once, state follows the newest event, readings of every event
are kept, and the session ends in the same rows as a 1.6 one.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone
from ocpp.v21 import ChargePoint as ChargePoint21
from ocpp.v21 import call as call21
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201

from stations.models import (
    ChargingSession,
    ChargingStation,
    Connector,
    IdToken,
    MeterSample,
    SessionEvent,
)
from tests.support.factories import STATION_PASSWORD
from tests.support.ocpp_client import basic_auth, communicator_for, connected_station, raw_exchange

pytestmark = [pytest.mark.protocol, pytest.mark.django_db(transaction=True)]

ENERGY = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"
CLIENTS = {"ocpp2.0.1": (ChargePoint201, call201), "ocpp2.1": (ChargePoint21, call21)}


def iso(minute: int) -> str:
    return f"2026-11-20T10:{minute:02d}:00Z"


def at(minute: int) -> datetime:
    return datetime(2026, 11, 20, 10, minute, tzinfo=UTC)


def station_for(version):
    return connected_station(
        "CP-1", STATION_PASSWORD, version=version, station_class=CLIENTS[version][0]
    )


class Transaction:
    """Builds one transaction's events as a station would send them."""

    def __init__(self, version, tx="TX-1", evse=1, connector=1):
        self.call = CLIENTS[version][1]
        self.tx, self.evse, self.connector = tx, evse, connector

    def event(
        self,
        event_type,
        seq_no,
        minute,
        *,
        state=None,
        trigger="MeterValuePeriodic",
        wh=None,
        watts=None,
        context=None,
        samples=None,
        tag=None,
        tag_type="ISO14443",
        evse=True,
        offline=None,
        stopped_reason=None,
        remote_start_id=None,
        reservation_id=None,
    ):
        info = {"transaction_id": self.tx}
        if state:
            info["charging_state"] = state
        if stopped_reason:
            info["stopped_reason"] = stopped_reason
        if remote_start_id is not None:
            info["remote_start_id"] = remote_start_id
        sampled = list(samples or [])
        if wh is not None:
            sampled.append(
                {"value": wh, "measurand": ENERGY, **({"context": context} if context else {})}
            )
        if watts is not None:
            sampled.append({"value": watts, "measurand": POWER})
        return self.call.TransactionEvent(
            event_type=event_type,
            timestamp=iso(minute),
            trigger_reason=trigger,
            seq_no=seq_no,
            transaction_info=info,
            meter_value=[{"timestamp": iso(minute), "sampled_value": sampled}] if sampled else None,
            evse={"id": self.evse, "connector_id": self.connector} if evse else None,
            id_token={"id_token": tag, "type": tag_type} if tag is not None else None,
            offline=offline,
            reservation_id=reservation_id,
        )

    def started(self, seq_no=0, minute=0, wh=1000, tag="TAG-0001", **kw):
        kw.setdefault("state", "Charging")
        kw.setdefault("trigger", "Authorized")
        kw.setdefault("context", "Transaction.Begin")
        return self.event("Started", seq_no, minute, wh=wh, tag=tag, **kw)

    def updated(self, seq_no, minute, wh=None, watts=None, **kw):
        kw.setdefault("state", "Charging")
        return self.event("Updated", seq_no, minute, wh=wh, watts=watts, **kw)

    def ended(self, seq_no, minute, wh=None, reason="EVDisconnected", **kw):
        kw.setdefault("state", "EVConnected")
        kw.setdefault("trigger", "EVCommunicationLost")
        kw.setdefault("context", "Transaction.End")
        return self.event("Ended", seq_no, minute, wh=wh, stopped_reason=reason, **kw)


async def ask(cp, payload):
    return await cp.call(payload, suppress=False)


async def session_of(tx="TX-1"):
    return await ChargingSession.objects.select_related("connector").aget(transaction_id=tx)


async def connector_status(station, number=1):
    return (await Connector.objects.aget(station=station, connector_id=number)).status


async def events_of(session):
    return [
        (e.seq_no, e.event_type, e.trigger_reason, e.charging_state, e.offline, e.id_tag)
        async for e in SessionEvent.objects.filter(session=session).order_by("seq_no")
    ]


async def energy_readings(session):
    return [
        (s.timestamp.minute, int(s.value))
        async for s in MeterSample.objects.filter(session=session, measurand=ENERGY).order_by(
            "timestamp"
        )
    ]


# --- the whole transaction ------------------------------------------------------------------


async def test_started_updated_ended(station, token, version):
    tx = Transaction(version)
    async with station_for(version) as (cp, _):
        started = await ask(cp, tx.started(remote_start_id=42, reservation_id=7, watts=0, minute=0))
        active = await session_of()
        after_start = await connector_status(station)
        suspended = await ask(
            cp, tx.updated(1, 3, state="SuspendedEV", trigger="ChargingStateChanged")
        )
        await ask(cp, tx.updated(2, 5, wh=1500, watts=7200))
        middle = await session_of()
        ended = await ask(
            cp,
            tx.ended(3, 15, wh=2500, reason="Remote", trigger="RemoteStop", state="EVConnected"),
        )
    assert started.id_token_info == {"status": "Accepted"}
    assert suspended.id_token_info is None  # no idToken in the request, none in the answer
    assert ended.id_token_info is None
    assert (active.state, active.charging_state, active.meter_start_wh) == (
        "active",
        "Charging",
        1000,
    )
    assert (active.id_tag, active.id_token_id) == ("TAG-0001", token.pk)
    assert (active.remote_start_id, active.reservation_id) == (42, 7)
    assert active.connector.connector_id == 1 and after_start == "Charging"
    assert (middle.energy_wh, middle.power_w, middle.charging_state) == (500, 7200, "Charging")
    session = await session_of()
    assert session.state == "ended"
    assert (session.meter_start_wh, session.meter_stop_wh, session.energy_wh) == (1000, 2500, 1500)
    assert (session.started_at, session.ended_at) == (at(0), at(15))
    assert session.stop_reason == "Remote" and session.power_w is None
    assert session.flags == []
    assert await events_of(session) == [
        (0, "Started", "Authorized", "Charging", False, "TAG-0001"),
        (1, "Updated", "ChargingStateChanged", "SuspendedEV", False, ""),
        (2, "Updated", "MeterValuePeriodic", "Charging", False, ""),
        (3, "Ended", "RemoteStop", "EVConnected", False, ""),
    ]
    assert await energy_readings(session) == [(0, 1000), (5, 1500), (15, 2500)]
    assert await connector_status(station) == "Finishing"
    assert await ChargingSession.objects.acount() == 1


@pytest.mark.parametrize(
    ("charging_state", "status"),
    [
        ("Charging", "Charging"),
        ("SuspendedEV", "SuspendedEV"),
        ("SuspendedEVSE", "SuspendedEVSE"),
        ("EVConnected", "Preparing"),
    ],
)
async def test_connector_follows_the_charging_state(
    station, token, version, charging_state, status
):
    tx = Transaction(version)
    async with station_for(version) as (cp, _):
        await ask(cp, tx.started(state="EVConnected"))
        await ask(cp, tx.updated(1, 1, state=charging_state, trigger="ChargingStateChanged"))
        session = await session_of()
        now = await connector_status(station)
        await ask(cp, tx.ended(2, 2, state=charging_state))
    assert (now, session.charging_state) == (status, charging_state)
    assert await connector_status(station) == "Finishing"


async def test_idle_start_and_an_end_after_unplugging_leave_the_connector_alone(
    station, token, version
):
    """TxStartPoint=Authorized: Idle until plugged in; EV gone before the Ended."""
    tx = Transaction(version)
    async with station_for(version) as (cp, _):
        await ask(cp, tx.started(state="Idle", wh=None))
        idle = await connector_status(station)
        await ask(cp, tx.updated(1, 1, state="EVConnected", trigger="CablePluggedIn"))
        plugged = await connector_status(station)
        await ask(
            cp,
            cp._call.StatusNotification(
                timestamp=iso(2), connector_status="Available", evse_id=1, connector_id=1
            ),
        )
        await ask(cp, tx.ended(2, 3, state="Idle", trigger="EVDeparted", wh=None))
    assert (idle, plugged) == ("Available", "Preparing")
    assert await connector_status(station) == "Available"


async def test_stopped_reason_defaults_to_local(station, token, version):
    tx = Transaction(version)
    async with station_for(version) as (cp, _):
        await ask(cp, tx.started())
        await ask(cp, tx.ended(1, 10, wh=1200, reason=None, trigger="StopAuthorized"))
    session = await session_of()
    assert (session.state, session.stop_reason, session.energy_wh) == ("ended", "Local", 200)


# --- seqNo: order, gaps, duplicates -----------------------------------------------------


async def test_ended_before_a_late_updated(station, token, version):
    tx = Transaction(version)
    async with station_for(version) as (cp, _):
        await ask(cp, tx.started())
        await ask(cp, tx.ended(2, 15, wh=2500, reason="EVDisconnected"))
        await ask(cp, tx.updated(1, 5, wh=1700, watts=7000, state="Charging"))
    session = await session_of()
    assert session.state == "ended" and session.stop_reason == "EVDisconnected"
    assert (session.meter_start_wh, session.meter_stop_wh, session.energy_wh) == (1000, 2500, 1500)
    assert session.ended_at == at(15) and session.power_w is None
    assert await energy_readings(session) == [(0, 1000), (5, 1700), (15, 2500)]
    assert [e[0] for e in await events_of(session)] == [0, 1, 2]
    # The late Updated's "Charging" never overrides the newer Ended.
    assert await connector_status(station) == "Finishing"


async def test_updated_before_started_creates_the_session_then_completes_it(
    station, token, version
):
    tx = Transaction(version)
    async with station_for(version) as (cp, _):
        early = await ask(cp, tx.updated(1, 5, wh=1500, watts=7200))
        provisional = await session_of()
        late = await ask(cp, tx.started(state="EVConnected"))
        await ask(cp, tx.ended(2, 15, wh=2500))
    assert early.id_token_info is None and late.id_token_info == {"status": "Accepted"}
    assert "started_event_missing" in provisional.flags
    assert provisional.meter_start_wh == 1500  # the first reading, never 0
    session = await session_of()
    assert (session.id_tag, session.id_token_id) == ("TAG-0001", token.pk)
    assert session.started_at == at(0) and session.ended_at == at(15)
    assert (session.meter_start_wh, session.meter_stop_wh, session.energy_wh) == (1000, 2500, 1500)
    assert session.flags == []
    assert [e[:2] for e in await events_of(session)] == [
        (0, "Started"),
        (1, "Updated"),
        (2, "Ended"),
    ]
    assert await ChargingSession.objects.acount() == 1


async def test_a_duplicated_seq_no_changes_nothing(station, token, version):
    tx = Transaction(version)
    async with station_for(version) as (cp, _):
        first_start = await ask(cp, tx.started())
        await ask(cp, tx.updated(1, 5, wh=1500, watts=7200))
        before = await session_of()
        again_start = await ask(cp, tx.started())
        # Same seqNo, different content: the first one counts.
        await ask(cp, tx.updated(1, 6, wh=9999, watts=1, state="SuspendedEV"))
        after = await session_of()
    assert first_start.id_token_info == again_start.id_token_info == {"status": "Accepted"}
    assert (
        (after.energy_wh, after.power_w, after.charging_state, after.meter_last_wh)
        == (
            before.energy_wh,
            before.power_w,
            before.charging_state,
            before.meter_last_wh,
        )
        == (500, 7200, "Charging", 1500)
    )
    assert await energy_readings(after) == [(0, 1000), (5, 1500)]
    assert await SessionEvent.objects.acount() == 2
    assert await connector_status(station) == "Charging"


async def test_a_gap_in_seq_no_loses_nothing_that_arrived(station, token, version):
    tx = Transaction(version)
    async with station_for(version) as (cp, _):
        await ask(cp, tx.started())
        await ask(cp, tx.updated(3, 5, wh=1500))  # 1 and 2 never come
        await ask(cp, tx.ended(4, 15, wh=2500))
    session = await session_of()
    assert [e[0] for e in await events_of(session)] == [0, 3, 4]
    assert (session.state, session.energy_wh) == ("ended", 1500)


async def test_each_transaction_numbers_its_own_events(station, token, version):
    first, second = Transaction(version, "TX-A"), Transaction(version, "TX-B", evse=2)
    async with station_for(version) as (cp, _):
        await ask(cp, first.started(minute=0, wh=100))
        await ask(cp, second.started(minute=1, wh=5000))
        await ask(cp, first.updated(1, 5, wh=600))
        await ask(cp, second.updated(1, 6, wh=5300))
        await ask(cp, first.ended(2, 10, wh=900))
    a, b = await session_of("TX-A"), await session_of("TX-B")
    assert (a.state, a.energy_wh, a.connector.connector_id) == ("ended", 800, 1)
    assert (b.state, b.energy_wh, b.connector.connector_id) == ("active", 300, 2)
    assert await SessionEvent.objects.filter(session=a).acount() == 3
    assert await SessionEvent.objects.filter(session=b).acount() == 2
    assert (await connector_status(station, 1), await connector_status(station, 2)) == (
        "Finishing",
        "Charging",
    )


async def test_a_new_start_closes_a_session_the_station_forgot(station, token, version):
    old, new = Transaction(version, "TX-OLD"), Transaction(version, "TX-NEW")
    async with station_for(version) as (cp, _):
        await ask(cp, old.started(wh=100))
        await ask(cp, old.updated(1, 5, wh=400))
        await ask(cp, new.started(minute=30, wh=500))
    stale = await session_of("TX-OLD")
    assert stale.state == "ended" and "closed_by_new_start" in stale.flags
    assert stale.energy_wh == 300
    assert (await session_of("TX-NEW")).state == "active"


async def test_an_ended_without_any_earlier_event_is_kept(station, version):
    tx = Transaction(version, "LOST")
    async with station_for(version) as (cp, _):
        await ask(cp, tx.ended(7, 15, wh=2500))
    session = await session_of("LOST")
    assert session.state == "ended" and "started_event_missing" in session.flags
    assert session.meter_stop_wh == 2500 and session.energy_wh >= 0


# --- offline: queued events replayed after a reconnect ---------------------------------


async def test_offline_events_replayed_after_reconnect(station, token, version):
    tx = Transaction(version)
    async with station_for(version) as (cp, _):
        await ask(cp, tx.started())
        await ask(cp, tx.updated(1, 5, wh=1500, watts=7200))
    # Offline: the station queues seqNo 2..4, then reconnects and sends its queue,
    # repeating seqNo 1 whose answer it never saw.
    async with station_for(version) as (cp, _):
        await ask(cp, cp._call.BootNotification(
            charging_station={"model": "M", "vendor_name": "V"}, reason="PowerUp"
        ))  # fmt: skip
        await ask(cp, tx.updated(1, 5, wh=1500, watts=7200))
        await ask(cp, tx.updated(2, 8, wh=1800, watts=7100, offline=True))
        await ask(
            cp,
            tx.updated(
                3, 10, wh=2000, state="SuspendedEV", trigger="ChargingStateChanged", offline=True
            ),
        )
        await ask(cp, tx.ended(4, 15, wh=2500, offline=True))
        await ask(cp, tx.ended(4, 15, wh=2500, offline=True))  # and once more
    session = await session_of()
    assert session.state == "ended"
    assert (session.meter_start_wh, session.meter_stop_wh, session.energy_wh) == (1000, 2500, 1500)
    assert await energy_readings(session) == [
        (0, 1000),
        (5, 1500),
        (8, 1800),
        (10, 2000),
        (15, 2500),
    ]
    assert [(e[0], e[4]) for e in await events_of(session)] == [
        (0, False),
        (1, False),
        (2, True),
        (3, True),
        (4, True),
    ]
    assert await ChargingSession.objects.acount() == 1
    assert await MeterSample.objects.filter(measurand=ENERGY).acount() == 5


async def test_offline_events_replayed_out_of_order(station, token, version):
    """A queue flushed newest first still ends in the same rows."""
    tx = Transaction(version)
    async with station_for(version) as (cp, _):
        await ask(cp, tx.ended(3, 15, wh=2500, offline=True))
        await ask(cp, tx.updated(2, 10, wh=2000, offline=True))
        await ask(cp, tx.started(offline=True))
        await ask(cp, tx.updated(1, 5, wh=1500, offline=True))
    session = await session_of()
    assert session.state == "ended" and session.flags == []
    assert (session.meter_start_wh, session.meter_stop_wh, session.energy_wh) == (1000, 2500, 1500)
    assert (session.started_at, session.ended_at) == (at(0), at(15))
    assert session.id_tag == "TAG-0001"
    # The newest event is an Ended on a connector that was never seen occupied.
    assert await connector_status(station) == "Available"


# --- idToken during a transaction ----------------------------------------------------


async def test_id_token_presented_mid_transaction_is_answered(station, token, version):
    await IdToken.objects.acreate(value="BLOCKED", status="blocked")
    group = await IdToken.objects.acreate(value="FLEET", type="Central")
    await IdToken.objects.acreate(value="DRIVER-2", parent=group)
    tx = Transaction(version)
    async with station_for(version) as (cp, _):
        await ask(cp, tx.started())
        blocked = await ask(cp, tx.updated(1, 1, tag="BLOCKED", trigger="Authorized"))
        unknown = await ask(cp, tx.updated(2, 2, tag="STRANGER", trigger="Authorized"))
        fleet = await ask(cp, tx.updated(3, 3, tag="DRIVER-2", trigger="StopAuthorized"))
        plain = await ask(cp, tx.updated(4, 4))
    assert blocked.id_token_info == {"status": "Blocked"}
    assert unknown.id_token_info == {"status": "Unknown"}
    assert fleet.id_token_info == {
        "status": "Accepted",
        "group_id_token": {"id_token": "FLEET", "type": "Central"},
    }
    assert plain.id_token_info is None
    session = await session_of()
    assert session.id_tag == "TAG-0001"  # the token that started it stays
    assert [e[5] for e in await events_of(session)] == [
        "TAG-0001",
        "BLOCKED",
        "STRANGER",
        "DRIVER-2",
        "",
    ]


async def test_the_answer_has_no_id_token_info_without_an_id_token(station, token, version):
    communicator = communicator_for(
        "/ocpp/CP-1", subprotocols=(version,), headers=[basic_auth("CP-1", STATION_PASSWORD)]
    )
    assert (await communicator.connect(timeout=10))[0]
    event = {
        "eventType": "Started",
        "timestamp": iso(0),
        "triggerReason": "CablePluggedIn",
        "seqNo": 0,
        "transactionInfo": {"transactionId": "TX-1", "chargingState": "EVConnected"},
        "evse": {"id": 1, "connectorId": 1},
    }
    without = await raw_exchange(communicator, [2, "t0", "TransactionEvent", event])
    with_token = await raw_exchange(
        communicator,
        [
            2,
            "t1",
            "TransactionEvent",
            {
                **event,
                "eventType": "Updated",
                "seqNo": 1,
                "triggerReason": "Authorized",
                "idToken": {"idToken": "TAG-0001", "type": "ISO14443"},
            },
        ],
    )
    await communicator.disconnect()
    assert without == [3, "t0", {}]
    assert with_token == [3, "t1", {"idTokenInfo": {"status": "Accepted"}}]
    session = await session_of()
    assert session.id_tag == "TAG-0001"  # authorized after plugging in


async def test_a_no_authorization_token_is_accepted(station, version):
    tx = Transaction(version)
    async with station_for(version) as (cp, _):
        result = await ask(cp, tx.started(tag="", tag_type="NoAuthorization"))
        await ask(cp, tx.ended(1, 10, wh=1800))
    assert result.id_token_info == {"status": "Accepted"}
    session = await session_of()
    assert (session.id_tag, session.id_token_id, session.energy_wh) == ("", None, 800)
    assert not [f for f in session.flags if f.startswith("token_")]


async def test_an_empty_id_token_of_a_real_type_is_answered_unknown(station, version):
    """Schema-valid (idToken has no minimum length), and known to nobody."""
    tx = Transaction(version)
    async with station_for(version) as (cp, _):
        started = await ask(cp, tx.started(tag=""))
        updated = await ask(cp, tx.updated(1, 5, wh=1500, tag="", tag_type="KeyCode"))
    assert started.id_token_info == updated.id_token_info == {"status": "Unknown"}
    session = await session_of()
    assert (session.state, session.id_tag, session.energy_wh) == ("active", "", 500)


async def test_a_start_with_a_blocked_token_is_recorded_and_answered(station, version):
    await IdToken.objects.acreate(value="BLOCKED", status="blocked")
    tx = Transaction(version)
    async with station_for(version) as (cp, _):
        result = await ask(cp, tx.started(tag="BLOCKED"))
    assert result.id_token_info == {"status": "Blocked"}
    session = await session_of()
    assert session.id_tag == "BLOCKED" and session.state == "active"


# --- readings inside events -------------------------------------------------------------


async def test_meter_values_inside_events_are_recorded_like_meter_values(station, token, version):
    tx = Transaction(version)
    samples = [
        {"value": 1.5, "measurand": ENERGY, "unit_of_measure": {"unit": "kWh"}},
        {"value": 7.2, "measurand": POWER, "unit_of_measure": {"unit": "kW"}},
        {"value": 16, "measurand": "Current.Import", "phase": "L1"},
        {"value": 64, "measurand": "SoC", "location": "EV"},
        {"value": 3, "measurand": ENERGY, "phase": "L1"},  # a phase is not the register
    ]
    async with station_for(version) as (cp, _):
        await ask(cp, tx.started())
        await ask(cp, tx.updated(1, 5, samples=samples))
    session = await session_of()
    rows = {
        (s.measurand, s.phase, s.location): (s.value, s.unit, s.connector_id, s.session_id)
        async for s in MeterSample.objects.filter(timestamp=at(5))
    }
    assert rows == {
        (ENERGY, "", ""): (1500, "Wh", 1, session.pk),
        (POWER, "", ""): (7200, "W", 1, session.pk),
        ("Current.Import", "L1", ""): (16, "A", 1, session.pk),
        ("SoC", "", "EV"): (64, "Percent", 1, session.pk),
        (ENERGY, "L1", ""): (3, "Wh", 1, session.pk),
    }
    assert (session.energy_wh, session.meter_last_wh, session.power_w) == (500, 1500, 7200)


async def test_a_start_without_a_reading_never_starts_from_zero(station, token, version):
    tx = Transaction(version)
    async with station_for(version) as (cp, _):
        await ask(cp, tx.started(wh=None))
        await ask(cp, tx.updated(1, 5, wh=51500))
        await ask(cp, tx.updated(2, 10, wh=52000))
        middle = await session_of()
        await ask(cp, tx.ended(3, 15, wh=52500))
    assert "meter_start_estimated" in middle.flags
    assert (middle.meter_start_wh, middle.energy_wh) == (51500, 500)
    session = await session_of()
    assert (session.meter_start_wh, session.meter_stop_wh, session.energy_wh) == (
        51500,
        52500,
        1000,
    )
    assert "meter_start_estimated" in session.flags


async def test_start_and_end_readings_are_taken_by_their_context(station, token, version):
    """An Ended may carry the whole series (SampledDataTxEndedMeasurands)."""
    tx = Transaction(version)

    def series(*minute_wh_context):
        return [
            {
                "timestamp": iso(minute),
                "sampled_value": [{"value": wh, "measurand": ENERGY, "context": context}],
            }
            for minute, wh, context in minute_wh_context
        ]

    started = tx.started(wh=None)
    started.meter_value = series((0, 1000, "Transaction.Begin"), (1, 1100, "Sample.Periodic"))
    ended = tx.ended(1, 15, wh=None)
    ended.meter_value = series(
        (5, 1500, "Sample.Periodic"),
        (15, 2500, "Transaction.End"),
        (16, 2510, "Sample.Clock"),
    )
    async with station_for(version) as (cp, _):
        await ask(cp, started)
        await ask(cp, ended)
    session = await session_of()
    assert (session.meter_start_wh, session.meter_stop_wh, session.energy_wh) == (1000, 2500, 1500)
    assert len(await energy_readings(session)) == 5


async def test_an_absurd_reading_never_fails_the_transaction_message(station, token, version):
    """A schema-valid number beyond any meter (10^20 Wh) must not make the station retry."""
    tx = Transaction(version)
    async with station_for(version) as (cp, _):
        await ask(cp, tx.started())
        await ask(cp, tx.updated(1, 5, samples=[{"value": 1e20, "measurand": ENERGY}]))
        await ask(cp, tx.ended(2, 15, wh=2500))
    session = await session_of()
    assert (session.state, session.meter_stop_wh) == ("ended", 2500)


async def test_late_meter_values_never_reopen_an_ended_transaction(station, token, version):
    tx = Transaction(version)
    async with station_for(version) as (cp, _):
        await ask(cp, tx.started())
        await ask(cp, tx.ended(1, 15, wh=2500))
        await ask(
            cp,
            cp._call.MeterValues(
                evse_id=1,
                meter_value=[{"timestamp": iso(10), "sampled_value": [{"value": 2000}]}],
            ),
        )
    session = await session_of()
    assert (session.state, session.energy_wh) == ("ended", 1500)


# --- where 2.0.1 must end in the same rows as 1.6 (fixes needed in services/models) -----


async def test_a_late_started_gives_the_session_its_connector(station, token, version):
    tx = Transaction(version)
    async with station_for(version) as (cp, _):
        await ask(cp, tx.updated(1, 5, wh=1500, evse=False))
        await ask(cp, tx.started())
    session = await session_of()
    assert session.connector is not None and session.connector.connector_id == 1


async def test_the_token_that_stopped_the_transaction_is_kept(station, token, version):
    tx = Transaction(version)
    async with station_for(version) as (cp, _):
        await ask(cp, tx.started())
        await ask(cp, tx.ended(1, 10, wh=1500, tag="TAG-0001", trigger="StopAuthorized"))
    assert (await session_of()).stop_id_tag == "TAG-0001"


async def test_a_start_with_an_unknown_token_is_flagged_like_16(station, version):
    tx = Transaction(version)
    async with station_for(version) as (cp, _):
        result = await ask(cp, tx.started(tag="STRANGER"))
    assert result.id_token_info == {"status": "Unknown"}
    assert "token_unknown" in (await session_of()).flags


async def test_clock_from_1970_is_flagged_like_16(station, token, version):
    tx = Transaction(version)
    started = tx.started()
    started.timestamp = "1970-01-01T00:00:10Z"
    async with station_for(version) as (cp, _):
        await ask(cp, started)
    session = await session_of()
    assert abs(session.started_at - timezone.now()) < timedelta(minutes=1)
    assert "start_time_implausible" in session.flags


async def test_a_long_21_id_token_is_kept_whole(station):
    long_token = "urn:emaid:" + "X" * 90
    for model, field in [
        (IdToken, "value"),
        (ChargingSession, "id_tag"),
        (ChargingSession, "stop_id_tag"),
        (SessionEvent, "id_tag"),
    ]:
        assert model._meta.get_field(field).max_length >= 255, (model, field)
    tx = Transaction("ocpp2.1")
    async with station_for("ocpp2.1") as (cp, _):
        result = await ask(cp, tx.started(tag=long_token, tag_type="eMAID"))
    assert result.id_token_info == {"status": "Unknown"}
    assert (await session_of()).id_tag == long_token


async def test_the_station_version_is_the_only_difference(station, token, version):
    """The session rows do not say which version the station speaks."""
    tx = Transaction(version)
    async with station_for(version) as (cp, _):
        await ask(cp, tx.started())
        await ask(cp, tx.ended(1, 10, wh=2000))
    saved = await ChargingStation.objects.aget(pk=station.pk)
    assert saved.ocpp_version == version.removeprefix("ocpp")
    session = await session_of()
    assert (session.transaction_id, session.energy_wh, session.state) == ("TX-1", 1000, "ended")
