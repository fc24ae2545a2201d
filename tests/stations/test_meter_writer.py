"""MeterValues by group commit: many stations' readings in one transaction, none lost."""

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext

from stations.metering import Sample
from stations.models import ChargingSession, Connector, MeterSample
from stations.services import meter_values
from stations.services.meter_values import MeterValuesIn
from stations.services.sessions import session_start, session_stop
from stations.writers import meter_writer
from tests.support.factories import make_station

T0 = datetime(2026, 11, 20, 10, tzinfo=UTC)


def readings(wh: int, minute: int) -> list[Sample]:
    at = T0.replace(minute=minute)
    return [
        Sample(at, "Energy.Active.Import.Register", Decimal(wh), "Wh"),
        Sample(at, "Power.Active.Import", Decimal(7000), "W"),
    ]


def charging(station, connector_id: int, id_tag: str) -> ChargingSession:
    """A session started at T0 on the station's connector, its meter at 1,000 Wh."""
    return session_start(
        station_pk=station.pk,
        connector_id=connector_id,
        id_tag=id_tag,
        meter_start_wh=1000,
        timestamp=T0,
    ).session


def charging_stations(count: int) -> list[ChargingSession]:
    return [
        charging(make_station(f"MW-{n:03d}", connectors=2), 1, f"TAG-{n}") for n in range(count)
    ]


@pytest.mark.django_db
def test_a_batch_of_many_stations_costs_a_handful_of_queries():
    sessions = charging_stations(40)
    messages = [
        MeterValuesIn(s.station_id, 1, s.transaction_id, readings(1000 + 100 * i, 5))
        for i, s in enumerate(sessions)
    ]
    with CaptureQueriesContext(connection) as queries:
        meter_values.meter_values_record_many(messages=messages)
    # lock the sessions, insert the samples, update the sessions (+ savepoint pair)
    assert len(queries) <= 5, [q["sql"][:80] for q in queries]
    assert MeterSample.objects.count() == 80
    for i, session in enumerate(sessions):
        session.refresh_from_db()
        assert session.meter_last_wh == 1000 + 100 * i
        assert session.energy_wh == 100 * i
        assert session.power_w == 7000


@pytest.mark.django_db
def test_a_batch_keeps_every_rule_of_a_single_message():
    running, backwards, ended = charging_stations(3)
    meter_values.meter_values_record_many(
        messages=[
            MeterValuesIn(backwards.station_id, 1, backwards.transaction_id, readings(5000, 4))
        ]
    )
    session_stop(
        station_pk=ended.station_id,
        transaction_id=ended.transaction_id,
        meter_stop_wh=1500,
        timestamp=T0.replace(minute=3),
    )
    meter_values.meter_values_record_many(
        messages=[
            # no transaction id: the connector's active session
            MeterValuesIn(running.station_id, 1, None, readings(1800, 5)),
            MeterValuesIn(backwards.station_id, 1, backwards.transaction_id, readings(4000, 5)),
            MeterValuesIn(ended.station_id, 1, ended.transaction_id, readings(1600, 5)),
            # an unknown transaction: samples kept, no session
            MeterValuesIn(running.station_id, 2, "999999", readings(10, 5)),
        ]
    )
    running.refresh_from_db()
    backwards.refresh_from_db()
    ended.refresh_from_db()
    assert (running.meter_last_wh, running.energy_wh) == (1800, 800)
    assert "meter_backwards" in backwards.flags and backwards.meter_last_wh == 5000
    assert "meter_values_after_stop" in ended.flags
    assert (ended.state, ended.meter_stop_wh) == (ChargingSession.State.ENDED, 1500)
    assert MeterSample.objects.filter(session=None, connector_id=2).count() == 2

    # A replayed batch inserts nothing twice.
    before = MeterSample.objects.count()
    meter_values.meter_values_record_many(
        messages=[MeterValuesIn(running.station_id, 1, None, readings(1800, 5))]
    )
    assert MeterSample.objects.count() == before


@pytest.mark.django_db
def test_an_evse_under_way_is_found_with_its_session_at_no_query_more():
    sessions = charging_stations(40)
    Connector.objects.filter(connector_id=1).update(evse_id=1, evse_connector_id=1)
    messages = [  # as a 2.0.1 station sends them: by EVSE, without a transaction id
        MeterValuesIn(s.station_id, 0, None, readings(1000 + 100 * i, 5), evse_id=1)
        for i, s in enumerate(sessions)
    ]
    with CaptureQueriesContext(connection) as queries:
        meter_values.meter_values_record_many(messages=messages)
    # lock the sessions (with their connectors), insert, update (+ savepoint pair)
    assert len(queries) <= 5, [q["sql"][:80] for q in queries]
    assert MeterSample.objects.filter(connector_id=1).count() == 80
    for i, session in enumerate(sessions):
        session.refresh_from_db()
        assert (session.meter_last_wh, session.energy_wh) == (1000 + 100 * i, 100 * i)
        assert MeterSample.objects.filter(session=session).count() == 2


@pytest.mark.django_db
def test_evses_without_a_session_are_numbered_in_the_batch_and_new_ones_created():
    idle, taken_over = charging_stations(2)  # connector 1 charging on both
    Connector.objects.filter(station_id=idle.station_id).update(
        evse_id=F("connector_id"), evse_connector_id=1
    )
    with CaptureQueriesContext(connection) as queries:
        meter_values.meter_values_record_many(
            messages=[
                MeterValuesIn(idle.station_id, 0, None, readings(10, 5), evse_id=2),
                MeterValuesIn(idle.station_id, 0, None, readings(20, 6), evse_id=2),
            ]
        )
    # sessions, the EVSEs' connectors (one query for the batch), insert (+ savepoints)
    assert len(queries) <= 5, [q["sql"][:80] for q in queries]
    assert MeterSample.objects.filter(connector_id=2, session=None).count() == 4

    meter_values.meter_values_record_many(
        messages=[
            # the station's connectors name no EVSE yet: connector 1 is taken over,
            # with the session under way on it
            MeterValuesIn(taken_over.station_id, 0, None, readings(1500, 5), evse_id=1),
            # never seen: created
            MeterValuesIn(taken_over.station_id, 0, None, readings(30, 5), evse_id=5),
        ]
    )
    connectors = Connector.objects.filter(station_id=taken_over.station_id)
    assert sorted(connectors.values_list("connector_id", "evse_id", "evse_connector_id")) == [
        (1, 1, 1),
        (2, None, None),
        (5, 5, 1),
    ]
    taken_over.refresh_from_db()
    assert (taken_over.meter_last_wh, taken_over.energy_wh) == (1500, 500)
    assert MeterSample.objects.filter(session=taken_over, connector_id=1).count() == 2
    assert MeterSample.objects.filter(station_id=taken_over.station_id, connector_id=5).count() == 2


@pytest.mark.django_db
def test_a_batch_that_fails_leaves_no_connector_for_an_unseen_evse(monkeypatch):
    (session,) = charging_stations(1)

    def broken(*args, **kwargs):
        raise RuntimeError("the database refused the write")

    monkeypatch.setattr(meter_values, "rows_write", broken)
    with pytest.raises(RuntimeError):
        meter_values.meter_values_record_many(
            messages=[MeterValuesIn(session.station_id, 0, None, readings(10, 5), evse_id=7)]
        )
    assert not Connector.objects.filter(evse_id=7).exists()


@pytest.mark.django_db(transaction=True)
async def test_frames_of_one_moment_share_a_transaction_and_all_are_answered():
    sessions = await asyncio.to_thread(charging_stations, 20)
    calls = []
    original = meter_writer._record_many

    async def counting(*, messages):
        calls.append(len(messages))
        await original(messages=messages)

    meter_writer._record_many = counting
    try:
        await asyncio.gather(
            *(
                meter_writer.meter_values_record(
                    MeterValuesIn(s.station_id, 1, s.transaction_id, readings(2000, 6))
                )
                for s in sessions
            )
        )
    finally:
        meter_writer._record_many = original
    assert sum(calls) == 20 and len(calls) < 20, calls
    energies = await asyncio.to_thread(
        lambda: list(ChargingSession.objects.values_list("energy_wh", flat=True))
    )
    assert energies == [1000] * 20


@pytest.mark.django_db(transaction=True)
async def test_one_bad_message_fails_only_its_own_frame():
    (session,) = await asyncio.to_thread(charging_stations, 1)
    good = meter_writer.meter_values_record(
        MeterValuesIn(session.station_id, 1, session.transaction_id, readings(3000, 7))
    )
    bad = meter_writer.meter_values_record(  # a station that does not exist
        MeterValuesIn(session.station_id + 1000, 1, None, readings(3000, 7))
    )
    results = await asyncio.gather(good, bad, return_exceptions=True)
    assert results[0] is None
    assert isinstance(results[1], Exception)
    stored = await asyncio.to_thread(
        lambda: list(MeterSample.objects.values_list("station_id", flat=True).distinct())
    )
    assert stored == [session.station_id]


@pytest.mark.django_db
def test_a_batch_changes_only_the_sessions_its_messages_name():
    """Two stations charging on both connectors; a batch naming A's connector 1 (by
    connector) and B's session on connector 2 (by transaction id) leaves the others."""
    sessions = {}
    for name in ("A", "B"):
        station = make_station(f"MW-{name}", connectors=2)
        for number in (1, 2):
            sessions[name, number] = charging(station, number, f"TAG-{name}{number}")
    a1, b2 = sessions["A", 1], sessions["B", 2]
    meter_values.meter_values_record_many(
        messages=[
            MeterValuesIn(a1.station_id, 1, None, readings(1500, 5)),
            MeterValuesIn(b2.station_id, 2, b2.transaction_id, readings(1700, 5)),
        ]
    )
    for key, session in sessions.items():
        session.refresh_from_db()
        expected = {("A", 1): 500, ("B", 2): 700}.get(key, 0)
        assert session.energy_wh == expected, key


@pytest.mark.django_db
def test_an_evse_with_two_connectors_finds_the_session_of_the_one_named():
    """EVSE 1 holds connectors 1 and 2 (its connectors 1 and 2), both charging: a
    MeterValues naming the EVSE's connector 2, without a transaction id, is connector
    2's session's alone."""
    station = make_station("MW-EVSE", connectors=2)
    Connector.objects.filter(station=station).update(evse_id=1, evse_connector_id=F("connector_id"))
    sessions = {number: charging(station, number, f"TAG-EVSE-{number}") for number in (1, 2)}
    meter_values.meter_values_record_many(
        messages=[
            MeterValuesIn(station.pk, 0, None, readings(1400, 5), evse_id=1, evse_connector_id=2)
        ]
    )
    for number, session in sessions.items():
        session.refresh_from_db()
        assert session.energy_wh == {1: 0, 2: 400}[number], number
    assert MeterSample.objects.filter(session=sessions[2], connector_id=2).count() == 2
