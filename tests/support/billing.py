"""Builders for the billing tests: the issue's tariffs, a network, sessions with readings.

`URLCONF` is billing_urls.py: the project's URLs, plus billing's pages and API until
chargenet/urls.py includes them.
"""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal as D

from billing.models import OperatorProfile, SessionCharge, Tariff, TariffAssignment
from stations.models import ChargingSession, IdToken, MeterSample
from tests.support.factories import (
    ChargingSessionFactory,
    IdTokenFactory,
    MeterSampleFactory,
    PowerTierPriceFactory,
    SiteFactory,
    TariffAssignmentFactory,
    TariffFactory,
    TimeOfUsePriceFactory,
    UserFactory,
    make_station,
)

URLCONF = "tests.support.billing_urls"
POWER, ENERGY = "Power.Active.Import", "Energy.Active.Import.Register"


def charge_of(session: ChargingSession) -> SessionCharge | None:
    """The session's price as billing stored it (its only store); None while unpriced."""
    return SessionCharge.objects.filter(session_id=session.pk).first()


def car_tariff(**fields) -> Tariff:
    """The issue's car tariff: energy, an idle fee and a weekday evening peak."""
    tariff = TariffFactory(
        name=fields.pop("name", "Car AC"),
        currency="EUR",
        tax_rate_percent=D("21"),
        energy_price_per_kwh=D("0.35"),
        idle_price_per_minute=D("0.10"),
        idle_grace_minutes=15,
        idle_fee_cap=D("10.00"),
        **fields,
    )
    TimeOfUsePriceFactory(
        tariff=tariff,
        label="Peak",
        weekdays="01234",
        start_time=time(17),
        end_time=time(21),
        energy_price_per_kwh=D("0.45"),
    )
    return tariff


def ebike_tariff(**fields) -> Tariff:
    """The issue's e-bike tariff: power tiers sold as prepaid blocks of 1.00."""
    tariff = TariffFactory(
        name=fields.pop("name", "E-bike"),
        currency="CNY",
        tax_rate_percent=D("0"),
        prepaid_block_price=D("1.00"),
        **fields,
    )
    for bound, price in ((200, "0.25"), (400, "0.40"), (800, "0.50")):
        PowerTierPriceFactory(tariff=tariff, up_to_w=bound, price_per_hour=D(price))
    return tariff


def assign(tariff: Tariff, **target) -> TariffAssignment:
    return TariffAssignmentFactory(tariff=tariff, **target)


def driver(username="dora", **fields):
    return UserFactory(
        username=username,
        first_name=fields.pop("first_name", "Dora"),
        last_name=fields.pop("last_name", "Driver"),
        **fields,
    )


def network():
    """A site in Amsterdam with a car charger and an e-bike pile."""
    site = SiteFactory(name="Harbour Square", timezone="Europe/Amsterdam")
    car = make_station("CN-CAR-1", site=site)
    bike = make_station("CN-BIKE-1", site=site, kind="ebike", connectors=4)
    return site, car, bike


def token_for(owner, value="CARD-1") -> IdToken:
    return IdTokenFactory(value=value, owner=owner)


def session(
    station,
    start: datetime,
    minutes: float,
    energy_wh: int,
    *,
    connector=1,
    token=None,
    readings=(),
    meter_start=1_000,
    ended=True,
) -> ChargingSession:
    """A session with meter readings given as (minute, watts, energy register Wh)."""
    made = ChargingSessionFactory(
        station=station,
        connector_number=connector,
        id_token=token,
        id_tag=token.value if token else "",
        transaction_id=None,
        started_at=start,
        ended_at=start + timedelta(minutes=minutes) if ended else None,
        state=ChargingSession.State.ENDED if ended else ChargingSession.State.ACTIVE,
        meter_start_wh=meter_start,
        meter_stop_wh=meter_start + energy_wh if ended else None,
        energy_wh=energy_wh,
    )
    made.transaction_id = str(made.pk)
    made.save()
    samples = []
    for minute, watts, register in readings:
        at = start + timedelta(minutes=minute)
        if watts is not None:
            samples.append((at, POWER, watts, "W"))
        if register is not None:
            samples.append((at, ENERGY, register, "Wh"))
    MeterSample.objects.bulk_create(
        MeterSampleFactory.build(
            station=station,
            connector_id=connector,
            session=made,
            timestamp=at,
            measurand=measurand,
            value=D(value),
            unit=unit,
        )
        for at, measurand, value, unit in samples
    )
    return made


# A Friday afternoon in March: Amsterdam is UTC+1; the peak starts at 16:00 UTC.
FRIDAY = datetime(2025, 3, 14, 15, 30, tzinfo=UTC)


def car_readings():
    """Charging at 7.4 kW for 2.5 hours (3.7 kWh per half hour), then idle."""
    return [(30 * i, 7_400 if i < 5 else 0, 1_000 + 3_700 * min(i, 5)) for i in range(7)]


COMPLETE_PROFILE = {
    "name": "ChargeNet Harbour B.V.",
    "address": "Kade 1\n1011 AA Amsterdam",
    "tax_id": "NL001234567B01",
    "registration_number": "KvK 12345678",
}


def complete_operator_profile(**fields) -> OperatorProfile:
    """The operator profile with every field an invoice needs (invoices are refused without)."""
    profile, _ = OperatorProfile.objects.update_or_create(
        pk=1, defaults={**COMPLETE_PROFILE, **fields}
    )
    return profile
