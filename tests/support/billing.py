"""Shared builders and the URLconf for the billing tests; its tests check the wiring.

Until chargenet/urls.py includes billing, `URLCONF` adds billing's pages and API to
the project's URLs; once it does, it is the project's URLconf unchanged.
"""

from datetime import UTC, datetime, time, timedelta
from decimal import Decimal as D

from django.contrib.auth import get_user_model
from django.urls import NoReverseMatch, include, path, reverse

from billing.models import PowerTierPrice, Tariff, TariffAssignment, TimeOfUsePrice
from chargenet import urls as project_urls
from stations.models import ChargingSession, IdToken, MeterSample, Site
from tests.conftest import make_station

URLCONF = "tests.test_billing_support"
POWER, ENERGY = "Power.Active.Import", "Energy.Active.Import.Register"


def _wired(name: str) -> bool:
    try:
        reverse(name, urlconf=project_urls)
    except NoReverseMatch:
        return False
    return True


urlpatterns = list(project_urls.urlpatterns)
if not _wired("tariff-list"):
    urlpatterns.append(path("api/v1/", include("billing.api_urls")))
if not _wired("billing:report-list"):
    urlpatterns.append(path("billing/", include("billing.urls")))


def car_tariff(**fields) -> Tariff:
    """The issue's car tariff: energy, an idle fee and a weekday evening peak."""
    tariff = Tariff.objects.create(
        name=fields.pop("name", "Car AC"),
        currency="EUR",
        tax_rate_percent=D("21"),
        energy_price_per_kwh=D("0.35"),
        idle_price_per_minute=D("0.10"),
        idle_grace_minutes=15,
        idle_fee_cap=D("10.00"),
        **fields,
    )
    TimeOfUsePrice.objects.create(
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
    tariff = Tariff.objects.create(
        name=fields.pop("name", "E-bike"),
        currency="CNY",
        tax_rate_percent=D("0"),
        prepaid_block_price=D("1.00"),
        **fields,
    )
    for bound, price in ((200, "0.25"), (400, "0.40"), (800, "0.50")):
        PowerTierPrice.objects.create(tariff=tariff, up_to_w=bound, price_per_hour=D(price))
    return tariff


def assign(tariff: Tariff, **target) -> TariffAssignment:
    return TariffAssignment.objects.create(tariff=tariff, **target)


def driver(username="dora", **fields):
    return get_user_model().objects.create_user(
        username,
        f"{username}@example.com",
        None,
        first_name=fields.pop("first_name", "Dora"),
        last_name=fields.pop("last_name", "Driver"),
        **fields,
    )


def network():
    """A site in Amsterdam with a car charger and an e-bike pile."""
    site = Site.objects.create(name="Harbour Square", timezone="Europe/Amsterdam")
    car = make_station("CN-CAR-1", site=site)
    bike = make_station("CN-BIKE-1", site=site, kind="ebike", connectors=4)
    return site, car, bike


def token_for(owner, value="CARD-1") -> IdToken:
    return IdToken.objects.create(value=value, owner=owner)


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
    made = ChargingSession.objects.create(
        station=station,
        connector=station.connectors.get(connector_id=connector),
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
        MeterSample(
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


def test_billing_pages_and_api_resolve():
    assert reverse("billing:report-list", urlconf=URLCONF) == "/billing/reports/"
    assert reverse("tariff-list", urlconf=URLCONF) == "/api/v1/tariffs/"
    assert reverse("invoice-pdf", args=[1], urlconf=URLCONF) == "/api/v1/invoices/1/pdf/"
    assert reverse("report-xlsx", args=[1], urlconf=URLCONF) == "/api/v1/reports/1/xlsx/"
