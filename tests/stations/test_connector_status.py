"""A connector's status report: created on first sight with the report, locked and
changed in place afterwards, as plain SQL that behaves as the model would."""

from datetime import UTC, datetime

import pytest
from django.db.models.signals import post_save

from billing.models import ConnectorStatusPeriod
from stations.models import Connector
from stations.services import status
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
