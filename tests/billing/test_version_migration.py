"""billing/0005 and 0006: existing tariffs get their first version, and the sessions
priced or running under them are fixed to it."""

from datetime import UTC, datetime, time
from decimal import Decimal as D

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("billing", "0004_status_periods_station_time"),
    ("stations", "0009_reservation_connector_type"),
]
AFTER = [("billing", "0006_tariff_versions_data"), ("stations", "0009_reservation_connector_type")]
T0 = datetime(2025, 3, 14, 15, 30, tzinfo=UTC)


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_schema(transactional_db):
    apps = migrate(BEFORE)
    yield apps
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())


def test_tariffs_get_a_first_version_and_sessions_are_fixed_to_it(old_schema):
    apps = old_schema
    Station = apps.get_model("stations", "ChargingStation")
    Session = apps.get_model("stations", "ChargingSession")
    Tariff = apps.get_model("billing", "Tariff")
    station = Station.objects.create(station_id="CP-1")
    other = Station.objects.create(station_id="CP-2")
    car = Tariff.objects.create(name="Car", currency="EUR", energy_price_per_kwh=D("0.35"))
    apps.get_model("billing", "TimeOfUsePrice").objects.create(
        tariff=car, label="Peak", weekdays="01234", start_time=time(17), end_time=time(21)
    )
    fallback = Tariff.objects.create(name="Default", currency="EUR", is_default=True)
    apps.get_model("billing", "TariffAssignment").objects.create(tariff=car, station=station)
    priced = Session.objects.create(
        station=station, transaction_id="1", state="ended", started_at=T0, ended_at=T0
    )
    apps.get_model("billing", "SessionCharge").objects.create(
        session=priced,
        tariff=car,
        tariff_name="Car",
        currency="EUR",
        net=D("1"),
        tax_rate_percent=D(0),
        tax=D(0),
        gross=D("1"),
        priced_at=T0,
    )
    running = Session.objects.create(
        station=station, transaction_id="2", state="active", started_at=T0
    )
    elsewhere = Session.objects.create(
        station=other, transaction_id="3", state="active", started_at=T0
    )

    apps = migrate(AFTER)

    Version = apps.get_model("billing", "TariffVersion")
    Pin = apps.get_model("billing", "SessionTariff")
    car_version = Version.objects.get(tariff_id=car.pk)
    assert car_version.number == 1
    assert car_version.definition["energy_price_per_kwh"] == "0.35000"
    assert car_version.definition["time_of_use"][0]["label"] == "Peak"
    assert Version.objects.get(tariff_id=fallback.pk).number == 1
    charge = apps.get_model("billing", "SessionCharge").objects.get(session_id=priced.pk)
    assert charge.tariff_version_id == car_version.pk
    pins = dict(Pin.objects.values_list("session_id", "version__tariff_id"))
    assert pins == {priced.pk: car.pk, running.pk: car.pk, elsewhere.pk: fallback.pk}
