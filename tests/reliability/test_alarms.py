"""Alarms raised and cleared by real OCPP frames (1.6 and 2.0.1), once each, with the
operators' e-mail and the signed webhook events observed; the e-bike safety stop."""

from datetime import timedelta
from decimal import Decimal

import pytest
from asgiref.sync import sync_to_async
from django.core import mail
from django.utils import timezone
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from reliability.alarms import rules
from reliability.models import Alarm
from stations.models import ChargingSession, ChargingStation, Command, Connector
from stations.services import status
from stations.services.connections import station_connect
from tests.support.billing import assign, ebike_tariff
from tests.support.charge_points import Station16, Station201, booted
from tests.support.factories import STATION_PASSWORD, OperatorFactory
from tests.support.ocpp_client import connected_station
from tests.support.waiting import await_condition
from webhooks.models import WebhookDelivery, WebhookSubscription

# Mails and the safety stop are Celery tasks: in process here, as in the embedded default.
pytestmark = [
    pytest.mark.protocol,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_tasks"),
]

NOW = "2026-03-10T10:00:00Z"


@pytest.fixture(autouse=True)
def watchers(db):
    """An operator with an e-mail address, and a webhook subscribed to alarms."""
    OperatorFactory(username="watch", email="ops@example.test")
    WebhookSubscription.objects.create(
        owner=OperatorFactory(username="hook"),
        url="http://127.0.0.1:9/alarms",
        events=["alarm.raised", "alarm.cleared"],
    )


@sync_to_async
def alarms(**filters):
    return list(Alarm.objects.filter(**filters).order_by("pk").values_list(
        "kind", "connector_id", "cleared_at"
    ))  # fmt: skip


@sync_to_async
def delivered_kinds():
    return list(WebhookDelivery.objects.order_by("pk").values_list("kind", flat=True))


def status16(connector, status, error="NoError"):
    return call16.StatusNotification(
        connector_id=connector, error_code=error, status=status, timestamp=NOW
    )


async def test_a_faulted_connector_raises_once_and_clears(station):
    async with connected_station("CP-1", STATION_PASSWORD, station_class=Station16) as (cp, _):
        await booted(cp, "1.6")
        await cp.call(status16(1, "Faulted", "GroundFailure"))
        await cp.call(status16(1, "Faulted", "GroundFailure"))  # repeated: no second alarm
        [(kind, connector, cleared)] = await alarms()
        assert (kind, connector, cleared) == ("connector_faulted", 1, None)
        await cp.call(status16(1, "Available"))
    [(_, _, cleared)] = await alarms()
    assert cleared is not None
    # The e-mails are sent by tasks queued once the change committed.
    await await_condition(lambda: len(mail.outbox) >= 2, 10, "the second alarm e-mail")
    assert [m.subject for m in mail.outbox] == [
        "Alarm: Connector faulted at CP-1 / 1",
        "Cleared: Connector faulted at CP-1 / 1",
    ]
    assert "ops@example.test" in mail.outbox[0].to and "GroundFailure" in mail.outbox[0].body
    assert await delivered_kinds() == ["alarm.raised", "alarm.cleared"]


async def test_error_codes_raise_heat_and_overload_alarms(station):
    async with connected_station("CP-1", STATION_PASSWORD, station_class=Station16) as (cp, _):
        await booted(cp, "1.6")
        await cp.call(status16(2, "Charging", "HighTemperature"))
        await cp.call(status16(1, "SuspendedEVSE", "OverCurrentFailure"))
        assert {(k, c) for k, c, _ in await alarms(cleared_at__isnull=True)} == {
            ("overtemperature", 2),
            ("overload", 1),
        }
        await cp.call(status16(2, "Charging"))
        await cp.call(status16(1, "Available"))
    assert await alarms(cleared_at__isnull=True) == []


def meter16(connector, *values, tx=None):
    return call16.MeterValues(
        connector_id=connector,
        transaction_id=tx,
        meter_value=[{"timestamp": NOW, "sampled_value": list(values)}],
    )


async def test_a_temperature_reading_raises_and_only_a_cool_one_clears(station):
    hot = {"value": "80.5", "measurand": "Temperature", "unit": "Celsius"}
    async with connected_station("CP-1", STATION_PASSWORD, station_class=Station16) as (cp, _):
        await booted(cp, "1.6")
        await cp.call(meter16(1, hot))
        [(kind, connector, _)] = await alarms()
        assert (kind, connector) == ("overtemperature", 1)
        await cp.call(status16(1, "Available"))  # "NoError" does not clear the meter's alarm
        assert len(await alarms(cleared_at__isnull=True)) == 1
        await cp.call(meter16(1, {**hot, "value": "68"}))  # under the limit, not 5 °C under
        assert len(await alarms(cleared_at__isnull=True)) == 1
        await cp.call(meter16(1, {**hot, "value": "300", "unit": "K"}))  # 26.85 °C
    assert await alarms(cleared_at__isnull=True) == []


def notify_event(component, variable, value, *, evse=None, cleared=None):
    data = {
        "event_id": 1,
        "timestamp": NOW,
        "trigger": "Alerting",
        "actual_value": value,
        "event_notification_type": "HardWiredMonitor",
        "component": {"name": component, **({"evse": {"id": evse}} if evse else {})},
        "variable": {"name": variable},
    }
    if cleared is not None:
        data["cleared"] = cleared
    return call201.NotifyEvent(generated_at=NOW, seq_no=0, event_data=[data])


async def test_201_status_and_notify_event_alarms(station):
    async with connected_station(
        "CP-1", STATION_PASSWORD, version="ocpp2.0.1", station_class=Station201
    ) as (cp, _):
        await booted(cp, "2.0.1")
        await cp.call(
            call201.StatusNotification(
                timestamp=NOW, connector_status="Faulted", evse_id=1, connector_id=1
            )
        )
        await cp.call(notify_event("Connector", "Temperature", "92", evse=1))
        await cp.call(notify_event("OverCurrentBreaker", "Tripped", "true", evse=1))
        assert {k for k, _, _ in await alarms(cleared_at__isnull=True)} == {
            "connector_faulted",
            "overtemperature",
            "overload",
        }
        await cp.call(notify_event("Connector", "Temperature", "40", evse=1))
        await cp.call(notify_event("OverCurrentBreaker", "Tripped", "false", evse=1, cleared=True))
        await cp.call(
            call201.StatusNotification(
                timestamp=NOW, connector_status="Available", evse_id=1, connector_id=1
            )
        )
    assert await alarms(cleared_at__isnull=True) == []


async def session16(cp, connector, wh, hour):
    start, stop = f"2026-03-10T{hour:02d}:00:00Z", f"2026-03-10T{hour:02d}:30:00Z"
    started = await cp.call(
        call16.StartTransaction(
            connector_id=connector, id_tag="TAG-0001", meter_start=0, timestamp=start
        )
    )
    await cp.call(
        call16.StopTransaction(
            transaction_id=started.transaction_id, meter_stop=wh, timestamp=stop, id_tag="TAG-0001"
        )
    )


async def test_sessions_failing_in_a_row(station, token, settings):
    settings.ALARM_FAILED_SESSIONS_IN_A_ROW = 3
    async with connected_station("CP-1", STATION_PASSWORD, station_class=Station16) as (cp, _):
        await booted(cp, "1.6")
        for hour in (1, 2):
            await session16(cp, 1, 0, hour)
        assert await alarms() == []
        await session16(cp, 1, 0, 3)
        [(kind, connector, _)] = await alarms()
        assert (kind, connector) == ("failed_sessions", 1)
        await session16(cp, 1, 1_500, 4)
    assert await alarms(cleared_at__isnull=True) == []


@pytest.mark.station("BIKE-1", kind="ebike", connectors=1)
async def test_an_overloaded_ebike_port_is_stopped(station, token):
    await sync_to_async(Connector.objects.filter(station=station).update)(max_power_w=500)
    await sync_to_async(lambda: assign(ebike_tariff(), station=station))()
    async with connected_station("BIKE-1", STATION_PASSWORD, station_class=Station16) as (cp, _):
        await booted(cp, "1.6")
        started = await cp.call(
            call16.StartTransaction(connector_id=1, id_tag="TAG", meter_start=0, timestamp=NOW)
        )
        power = {"value": "720", "measurand": "Power.Active.Import", "unit": "W"}
        await cp.call(meter16(1, power, tx=started.transaction_id))
        # Connected until the station's answer is stored: closing earlier ends it offline.
        stop = Command.objects.filter(action="remote_stop", status=Command.Status.ACCEPTED)
        await await_condition(sync_to_async(stop.exists), 10, "the accepted remote stop")
        assert ("RemoteStopTransaction", {"transaction_id": started.transaction_id}) in cp.received
    session = await sync_to_async(ChargingSession.objects.get)()
    assert "safety_stop_overload" in session.flags
    async with connected_station("BIKE-1", STATION_PASSWORD, station_class=Station16) as (cp, _):
        await cp.call(
            call16.StopTransaction(
                transaction_id=started.transaction_id,
                meter_stop=240,
                timestamp="2026-03-10T10:20:00Z",
                reason="Remote",
            )
        )
    # 720 W: the 0.50/h tier, so the 1.00 block buys 2 h; 20 min used, 100 min refunded.
    charge = await sync_to_async(lambda: ChargingSession.objects.get().charge)()
    refund = [line for line in charge.lines if line["kind"] == "prepaid_refund"]
    assert refund and refund[0]["amount"] == "-0.83"
    assert charge.gross == Decimal("0.17")
    [(kind, connector, _)] = await alarms()
    assert (kind, connector) == ("overload", 1)


def test_a_station_silent_too_long_is_offline_until_it_connects(station, settings):
    settings.ALARM_OFFLINE_AFTER = 600
    ChargingStation.objects.filter(pk=station.pk).update(
        connected=False, last_seen=timezone.now() - timedelta(minutes=5)
    )
    assert rules.offline_sweep() == 0
    ChargingStation.objects.filter(pk=station.pk).update(
        last_seen=timezone.now() - timedelta(minutes=11)
    )
    assert rules.offline_sweep() == 1
    assert rules.offline_sweep() == 0  # raised once
    station_connect(station_pk=station.pk, channel_name="x", ocpp_version="1.6")
    assert Alarm.objects.get().cleared_at is not None
    assert [m.subject for m in mail.outbox] == [
        "Alarm: Station offline at CP-1",
        "Cleared: Station offline at CP-1",
    ]


def test_a_first_report_asks_nothing_of_alarms_and_a_deleted_connectors_are_cleared(
    station, django_assert_num_queries
):
    """A burst of new stations: a connector's first report has no alarm to clear, so it
    does not look. A connector deleted with an alarm its status raised takes it along,
    and its number reported again starts with none open."""
    first = {"connector": 3, "status": "Available", "error_code": "NoError", "first_report": True}
    with django_assert_num_queries(0):
        rules.on_status("connector.status_recorded", station.pk, first)
    status.connector_status_update(
        station_pk=station.pk, connector_id=1, status="Faulted", error_code="GroundFailure"
    )
    assert alarms_open(station) == [("connector_faulted", 1)]
    Connector.objects.get(station=station, connector_id=1).delete()
    assert alarms_open(station) == []
    status.connector_status_update(station_pk=station.pk, connector_id=1, status="Available")
    assert Connector.objects.get(station=station, connector_id=1).status == "Available"
    assert [m.subject for m in mail.outbox] == [
        "Alarm: Connector faulted at CP-1 / 1",
        "Cleared: Connector faulted at CP-1 / 1",
    ]
    # A station deleted with an open alarm goes with it: nothing is cleared first.
    status.connector_status_update(
        station_pk=station.pk, connector_id=2, status="Faulted", error_code="GroundFailure"
    )
    ChargingStation.objects.filter(pk=station.pk).delete()
    assert not Alarm.objects.exists() and len(mail.outbox) == 3


def alarms_open(station) -> list[tuple[str, int]]:
    return list(
        Alarm.objects.filter(station=station, cleared_at__isnull=True).values_list(
            "kind", "connector_id"
        )
    )
