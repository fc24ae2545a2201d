"""Queries per OCPP frame on the hot path: these budgets fail the build if they grow."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.db import connection

from stations.metering import Sample
from stations.services import (
    authorization,
    connections,
    first_reports,
    meter_values,
    sessions,
    status,
    transaction_events,
)
from tests.support.factories import make_station

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 20, 10, tzinfo=UTC)


def samples(wh: int, minute: int) -> list[Sample]:
    at = T0.replace(minute=minute)
    return [
        Sample(at, "Energy.Active.Import.Register", Decimal(wh), "Wh"),
        Sample(at, "Power.Active.Import", Decimal(7000), "W"),
        Sample(at, "Current.Import", Decimal(16), "A", phase="L1"),
    ]


@pytest.fixture
def charging():
    station = make_station()
    authorization.id_token_authorize(value="TAG")  # warm nothing: tokens are looked up per call
    session = sessions.session_start(
        station_pk=station.pk, connector_id=1, id_tag="TAG", meter_start_wh=0, timestamp=T0
    ).session
    return station, session


def test_heartbeat_costs_one_query(django_assert_num_queries, charging):
    station, _ = charging
    with django_assert_num_queries(1):
        connections.station_touch(station_pk=station.pk)


def test_status_notification_budget(django_assert_max_num_queries, charging):
    station, _ = charging
    # the repeat check, then the change with the status history for billing
    with django_assert_max_num_queries(7):
        status.connector_status_update(station_pk=station.pk, connector_id=1, status="Charging")


def test_meter_values_budget(django_assert_max_num_queries, charging):
    station, session = charging
    with django_assert_max_num_queries(6):
        meter_values.meter_values_record_many(
            messages=[
                meter_values.MeterValuesIn(station.pk, 1, session.transaction_id, samples(1000, 5))
            ]
        )


def test_authorize_budget(django_assert_max_num_queries, charging):
    with django_assert_max_num_queries(2):
        authorization.id_token_authorize(value="TAG")


def test_stop_budget(django_assert_max_num_queries, charging):
    station, session = charging
    with django_assert_max_num_queries(9):
        sessions.session_stop(
            station_pk=station.pk,
            transaction_id=session.transaction_id,
            meter_stop_wh=2000,
            timestamp=T0.replace(minute=30),
        )


def test_transaction_event_budget(django_assert_max_num_queries, charging):
    station, _ = charging
    event = transaction_events.SessionEventIn(
        event_type="Updated",
        seq_no=1,
        transaction_id=_.transaction_id,
        timestamp=T0.replace(minute=5),
        samples=tuple(samples(1500, 5)),
    )
    with django_assert_max_num_queries(12):
        transaction_events.session_event_apply(station_pk=station.pk, event=event)


def test_a_repeated_status_is_no_news(django_assert_num_queries, charging):
    station, _ = charging
    status.connector_status_update(station_pk=station.pk, connector_id=1, status="Charging")
    with django_assert_num_queries(1):  # a reconnect storm re-reports every connector
        status.connector_status_update(station_pk=station.pk, connector_id=1, status="Charging")
    status.connector_status_update(
        station_pk=station.pk, connector_id=1, status="Charging", error_code="GroundFailure"
    )
    assert station.connectors.get(connector_id=1).error_code == "GroundFailure"


def test_a_repeated_station_status_is_no_news(django_assert_num_queries, charging):
    station, _ = charging
    status.connector_status_update(station_pk=station.pk, status="Available")
    since = type(station).objects.get(pk=station.pk).status_since
    with django_assert_num_queries(1):
        status.connector_status_update(station_pk=station.pk, status="Available")
    assert type(station).objects.get(pk=station.pk).status_since == since
    status.connector_status_update(station_pk=station.pk, status="Faulted", error_code="OtherError")
    station.refresh_from_db()
    assert (station.status, station.error_code) == ("Faulted", "OtherError")


def test_many_stations_touched_in_one_query(django_assert_num_queries):
    stations = [make_station(f"CP-T{n}") for n in range(5)]
    with django_assert_num_queries(1):
        connections.stations_touch(station_pks=[station.pk for station in stations])
    assert all(station.last_seen for station in type(stations[0]).objects.all())


def test_boot_budget(django_assert_num_queries, charging):
    """A reconnect storm boots thousands at once: no transaction, no row lock."""
    from stations.services.registration import station_boot

    station, _ = charging
    # the station (with its registration) and its sessions: one round trip on PostgreSQL;
    # on SQLite one after the other, in a transaction (here a savepoint and its release)
    with django_assert_num_queries(1 if connection.vendor == "postgresql" else 4):
        result = station_boot(station_pk=station.pk, vendor="V", model="M")
    assert result.status == "Accepted"


def test_connect_budget(django_assert_max_num_queries, django_capture_on_commit_callbacks):
    """Marking a station connected, with what reliability and roaming do about it."""
    station = make_station("CP-C1")
    with django_capture_on_commit_callbacks(execute=True):
        connections.station_connect(station_pk=station.pk, channel_name="a", ocpp_version="1.6")
    # The second connect: webhook subscriptions and roaming parties are cached by now.
    # the station, its connectivity and its offline alarm: one round trip on PostgreSQL;
    # on SQLite one after the other in a transaction (here a savepoint and its release)
    with (
        django_assert_max_num_queries(1 if connection.vendor == "postgresql" else 5),
        django_capture_on_commit_callbacks(execute=True),
    ):
        connections.station_connect(station_pk=station.pk, channel_name="b", ocpp_version="1.6")


def test_a_status_report_asks_once_about_open_alarms(django_assert_num_queries, charging):
    """Reliability's alarm rules on a status with an error code: one query, not three."""
    from reliability.alarms import rules

    station, _ = charging
    data = {"connector": 1, "status": "Available", "error_code": "OtherError"}
    with django_assert_num_queries(1):
        rules.on_status("connector.status_recorded", station.pk, data)


def test_a_session_update_asks_nothing_of_roaming_when_nobody_roams(
    django_assert_num_queries, charging
):
    """Every meter value publishes session.updated: without a roaming party, OCPI's
    hook must not load the session and its token (two queries a frame, before)."""
    from ocpi import hooks

    _, session = charging
    hooks._forget_parties()
    hooks.session_changed("session.updated", session.station_id, {"session": session.pk})
    with django_assert_num_queries(0):
        hooks.session_changed("session.updated", session.station_id, {"session": session.pk})


def first_report_budget(*, after_boot: bool) -> int:
    """A first report: the connector's (or station's) write and its first status period
    (no look for an open one first), one round trip on PostgreSQL, on SQLite one after
    the other in a transaction (here a savepoint and its release); before them the
    repeat check, unless the station has just booted having never reported."""
    together = 1 if connection.vendor == "postgresql" else 4
    return together if after_boot else 1 + together


def test_a_connectors_first_report_budget(django_assert_num_queries):
    """A burst of new stations reports every connector for the first time."""
    station = make_station("CP-NEW", connectors=0)
    with django_assert_num_queries(first_report_budget(after_boot=False)):
        status.connector_status_update(station_pk=station.pk, connector_id=1, status="Available")
    first_reports.expected(station.pk, True)
    with django_assert_num_queries(first_report_budget(after_boot=True)):
        status.connector_status_update(station_pk=station.pk, connector_id=2, status="Available")


def test_a_stations_first_status_budget(django_assert_num_queries):
    """And the station itself (connector 0) reports for the first time."""
    station = make_station("CP-NEW", connectors=0)
    with django_assert_num_queries(first_report_budget(after_boot=False)):
        status.connector_status_update(station_pk=station.pk, connector_id=0, status="Available")
    other = make_station("CP-NEW-2", connectors=0)
    first_reports.expected(other.pk, True)
    with django_assert_num_queries(first_report_budget(after_boot=True)):
        status.connector_status_update(station_pk=other.pk, connector_id=0, status="Available")
