"""factory_boy factories for the models tests create most, and `make_station`.

Each factory makes the smallest valid row and keeps the model's own defaults, so a test
names what matters to it: `ChargingSessionFactory(station=car, energy_wh=7_400)`.
A station comes with its connectors (two, Available) and the stations' hashed password:

    ChargingStationFactory(station_id="EB-1", kind="ebike", connectors=4)
    make_station("EB-1", kind="ebike", connectors=4)  # the same, station id first
"""

from datetime import time
from decimal import Decimal

import factory
from django.conf import settings
from django.utils import timezone
from factory.django import DjangoModelFactory

from billing.models import (
    PowerTierPrice,
    SessionCharge,
    Tariff,
    TariffAssignment,
    TimeOfUsePrice,
)
from stations.models import (
    ChargingSession,
    ChargingStation,
    Connector,
    IdToken,
    MeterSample,
    OcppMessage,
    Site,
)

STATION_PASSWORD = "station-secret-0001"
OPERATOR_PASSWORD = "operator-pass-123"


class UserFactory(DjangoModelFactory):
    """A user made with `create_user`: `password=None` (the default) is unusable."""

    class Meta:
        model = settings.AUTH_USER_MODEL
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user-{n + 1}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@example.com")
    password = None

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        return model_class._default_manager.create_user(*args, **kwargs)


class OperatorFactory(UserFactory):
    """Staff: the operator pages let them in."""

    username = "operator"
    password = OPERATOR_PASSWORD
    is_staff = True


class SiteFactory(DjangoModelFactory):
    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"Site {n + 1}")


class ConnectorFactory(DjangoModelFactory):
    """A connector, Available as a station reports it after booting."""

    class Meta:
        model = Connector

    station = factory.SubFactory("tests.support.factories.ChargingStationFactory", connectors=0)
    connector_id = 1
    status = "Available"


class ChargingStationFactory(DjangoModelFactory):
    """A station with `connectors` (2) Available connectors, numbered from 1.

    `password` is the raw password, stored hashed as a station's (None: no password).
    """

    class Meta:
        model = ChargingStation
        skip_postgeneration_save = True

    station_id = factory.Sequence(lambda n: f"CP-{n + 1:04d}")
    password = STATION_PASSWORD

    @classmethod
    def _create(cls, model_class, *args, password=None, **kwargs):
        station = model_class(*args, **kwargs)
        station.set_password(password)
        station.save()
        return station

    @factory.post_generation
    def connectors(station, create, count, **fields):
        if not create:
            return
        for number in range(1, (2 if count is None else count) + 1):
            ConnectorFactory(station=station, connector_id=number, **fields)


def make_station(station_id="CP-1", password=STATION_PASSWORD, connectors=2, **fields):
    """`ChargingStationFactory` with the station id first: `make_station("CP-2", site=site)`."""
    return ChargingStationFactory(
        station_id=station_id, password=password, connectors=connectors, **fields
    )


class IdTokenFactory(DjangoModelFactory):
    """A card (ISO14443, Accepted)."""

    class Meta:
        model = IdToken

    value = factory.Sequence(lambda n: f"TAG-{n + 1:04d}")


class ChargingSessionFactory(DjangoModelFactory):
    """An active session begun now on connector `connector_number` (1) of its station.

    Nothing else is filled in: no transaction id, token, tag or energy unless given.
    `connector=None` makes one without a connector.
    """

    class Meta:
        model = ChargingSession

    class Params:
        connector_number = 1

    station = factory.SubFactory(ChargingStationFactory)
    connector = factory.LazyAttribute(
        lambda session: session.station.connectors.get(connector_id=session.connector_number)
    )
    started_at = factory.LazyFunction(timezone.now)


class SessionChargeFactory(DjangoModelFactory):
    """A session's price as billing stores it (the only store): 1.00 EUR, no tax, no lines.

    `net` follows `gross` and `tax` unless given:
    `SessionChargeFactory(session=session, gross=Decimal("3.75"))`.
    """

    class Meta:
        model = SessionCharge

    session = factory.SubFactory(ChargingSessionFactory)
    tariff = None
    tariff_name = ""
    currency = "EUR"
    gross = Decimal("1.00")
    tax_rate_percent = Decimal(0)
    tax = Decimal(0)
    net = factory.LazyAttribute(lambda charge: charge.gross - charge.tax)
    lines = factory.LazyFunction(list)
    priced_at = factory.LazyFunction(timezone.now)


class MeterSampleFactory(DjangoModelFactory):
    """A reading; `MeterSampleFactory.build(...)` makes rows for `bulk_create`."""

    class Meta:
        model = MeterSample

    station = factory.SubFactory(ChargingStationFactory)
    connector_id = 1
    timestamp = factory.LazyFunction(timezone.now)
    measurand = "Energy.Active.Import.Register"
    value = Decimal(0)
    unit = "Wh"


class OcppMessageFactory(DjangoModelFactory):
    """A logged frame: by default a Heartbeat call the station sent."""

    class Meta:
        model = OcppMessage

    station = factory.SubFactory(ChargingStationFactory)
    direction = OcppMessage.Direction.IN
    message_type = 2
    action = "Heartbeat"
    unique_id = factory.Sequence(lambda n: f"msg-{n + 1}")
    payload = factory.LazyAttribute(lambda m: f'[2, "{m.unique_id}", "{m.action}", {{}}]')


class TariffFactory(DjangoModelFactory):
    """A tariff in euros with nothing priced: a test sets the prices it checks."""

    class Meta:
        model = Tariff

    name = factory.Sequence(lambda n: f"Tariff {n + 1}")
    currency = "EUR"


class TimeOfUsePriceFactory(DjangoModelFactory):
    """A weekday evening peak (17:00 to 21:00, Monday to Friday)."""

    class Meta:
        model = TimeOfUsePrice

    tariff = factory.SubFactory(TariffFactory)
    label = "Peak"
    weekdays = "01234"
    start_time = time(17)
    end_time = time(21)


class PowerTierPriceFactory(DjangoModelFactory):
    class Meta:
        model = PowerTierPrice

    tariff = factory.SubFactory(TariffFactory)


class TariffAssignmentFactory(DjangoModelFactory):
    """A tariff for the one site, station or connector given."""

    class Meta:
        model = TariffAssignment

    tariff = factory.SubFactory(TariffFactory)
