"""A connector's status report: created on first sight with the report, locked and
changed in place afterwards, as plain SQL that behaves as the model would."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.models.signals import post_save

from billing.models import ConnectorStatusPeriod
from stations import events
from stations.models import ChargingStation, Connector
from stations.services import registration, status
from tests.support.factories import make_station

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 20, 10, tzinfo=UTC)


@pytest.fixture
def saved():
    seen = []

    def receiver(sender, instance, created, **kwargs):
        seen.append((instance.station_id, instance.connector_id, instance.status, created))

    post_save.connect(receiver, sender=Connector, dispatch_uid="test-connector-saved")
    yield seen
    post_save.disconnect(sender=Connector, dispatch_uid="test-connector-saved")


def test_a_first_report_creates_the_connector_with_it(saved):
    station = make_station(connectors=0)
    status.connector_status_update(
        station_pk=station.pk,
        connector_id=2,
        status="Faulted",
        error_code="GroundFailure",
        info="leak",
        vendor_error_code="E42",
        timestamp=T0,
    )
    connector = Connector.objects.get(station=station, connector_id=2)
    assert (connector.status, connector.error_code, connector.info) == (
        "Faulted",
        "GroundFailure",
        "leak",
    )
    assert connector.vendor_error_code == "E42" and connector.status_since == T0
    assert connector.evse_id is None and connector.max_power_w is None
    # Subscribers of the model's save (roaming's Location, reliability's ratings) hear of it.
    assert saved == [(station.pk, 2, "Faulted", True)]
    period = ConnectorStatusPeriod.objects.get(station=station, connector_id=2)
    assert (period.status, period.started_at, period.ended_at) == ("Faulted", T0, None)
    assert period.error_code == "GroundFailure" and period.station_clock


def test_a_plug_in_use_reported_first_is_preparing():
    station = make_station(connectors=0)
    status.connector_status_update(
        station_pk=station.pk, connector_id=1, status="Occupied", occupied=True
    )
    assert Connector.objects.get(station=station, connector_id=1).status == "Preparing"


def test_a_change_is_written_in_place_and_closes_the_period(saved):
    station = make_station(connectors=0)
    status.connector_status_update(
        station_pk=station.pk, connector_id=1, status="Available", timestamp=T0
    )
    later = T0.replace(minute=5)
    status.connector_status_update(
        station_pk=station.pk, connector_id=1, status="Preparing", timestamp=later
    )
    connector = Connector.objects.get(station=station, connector_id=1)
    assert (connector.status, connector.status_since) == ("Preparing", later)
    assert saved == [(station.pk, 1, "Available", True)]  # created once, changed by SQL
    periods = ConnectorStatusPeriod.objects.filter(station=station).order_by("started_at")
    assert [(p.status, p.ended_at) for p in periods] == [
        ("Available", later),
        ("Preparing", None),
    ]


def test_a_connector_created_meanwhile_by_another_socket_is_taken(saved):
    """The repeat check found no connector, but the insert meets the one another socket
    of the station created in between: it is read, locked, and not created twice."""
    station = make_station(connectors=0)
    Connector.objects.create(station=station, connector_id=1, status="Available")
    saved.clear()
    report = {"status": "Faulted", "error_code": "", "info": "", "vendor_error_code": ""}
    connector, created = status._connector_take(station.pk, 1, report, T0, first_sight=True)
    assert not created and connector.status == "Available"
    assert saved == [] and Connector.objects.filter(station=station).count() == 1


def test_a_connector_removed_meanwhile_is_created_again(saved):
    station = make_station(connectors=0)
    report = {"status": "Faulted", "error_code": "", "info": "", "vendor_error_code": ""}
    connector, created = status._connector_take(station.pk, 3, report, T0, first_sight=False)
    assert created and connector.status == "Faulted"
    assert saved == [(station.pk, 3, "Faulted", True)]


def boot(station) -> None:
    registration.station_boot(station_pk=station.pk, vendor="V", model="M")


def periods(station) -> list[tuple[int, str, bool]]:
    """(connector, status, open) of each status period."""
    return [
        (period.connector_id, period.status, period.ended_at is None)
        for period in ConnectorStatusPeriod.objects.filter(station=station).order_by(
            "connector_id", "started_at"
        )
    ]


def test_a_new_stations_first_reports_after_its_boot_skip_the_repeat_check(
    django_assert_num_queries,
):
    """A burst of new stations: each boots having never reported, so the read that looks
    for a repeat is left out of each connector's first report (and only the first)."""
    station = make_station(connectors=0)
    boot(station)
    # the station's status and its first period: one round trip on PostgreSQL; on SQLite
    # one after the other in a transaction (a savepoint and its release here)
    first_report = 1 if connection.vendor == "postgresql" else 4
    with django_assert_num_queries(first_report):
        status.connector_status_update(station_pk=station.pk, connector_id=0, status="Available")
    with django_assert_num_queries(first_report):  # the connector's insert instead
        status.connector_status_update(station_pk=station.pk, connector_id=1, status="Available")
    for connector in (0, 1):  # reported again: the read finds the repeat
        with django_assert_num_queries(1):
            status.connector_status_update(
                station_pk=station.pk, connector_id=connector, status="Available"
            )
    assert periods(station) == [(0, "Available", True), (1, "Available", True)]
    # Booted again, having reported: no guess.
    boot(station)
    with django_assert_num_queries(1):
        status.connector_status_update(station_pk=station.pk, connector_id=1, status="Available")


def test_a_wrong_guess_of_a_first_report_goes_the_usual_way():
    """The station never reported for itself, but its connector has (or an operator
    made it), or its status was set after the boot: a repeat stays no news, a change
    is one."""
    station = make_station(connectors=0)
    status.connector_status_update(station_pk=station.pk, connector_id=1, status="Available")
    boot(station)
    status.connector_status_update(station_pk=station.pk, connector_id=1, status="Available")
    ChargingStation.objects.filter(pk=station.pk).update(status="Unavailable", error_code="NoError")
    status.connector_status_update(station_pk=station.pk, connector_id=0, status="Unavailable")
    # Two repeats: nothing new, but the station's status, set without a report here, now
    # has its period (the guess's statement opens one for the status reported where none
    # is open).
    assert periods(station) == [(0, "Unavailable", True), (1, "Available", True)]
    ChargingStation.objects.filter(pk=station.pk).update(status="")
    boot(station)
    ChargingStation.objects.filter(pk=station.pk).update(status="Unavailable")
    status.connector_status_update(station_pk=station.pk, connector_id=0, status="Available")
    status.connector_status_update(station_pk=station.pk, connector_id=2, status="Faulted")
    station.refresh_from_db()
    assert station.status == "Available"
    assert periods(station) == [
        (0, "Unavailable", False),
        (0, "Available", True),
        (1, "Available", True),
        (2, "Faulted", True),
    ]


def test_a_subscriber_with_no_statement_makes_a_first_report_go_the_usual_way():
    """Every in-transaction subscriber must offer its write as a statement for a first
    report to be written in one round trip; else all of them run in a transaction."""
    heard = []

    def listener(kind, station_pk, data):
        heard.append((data["connector"], data["status"], data["first_report"]))

    events.subscribe(events.CONNECTOR_STATUS_RECORDED, listener, in_transaction=True)
    try:
        station = make_station(connectors=0)
        boot(station)
        status.connector_status_update(station_pk=station.pk, connector_id=1, status="Faulted")
    finally:
        events._in_transaction[events.CONNECTOR_STATUS_RECORDED].remove(listener)
    assert heard == [(1, "Faulted", True)]
    assert periods(station) == [(1, "Faulted", True)]  # billing's, the usual way
