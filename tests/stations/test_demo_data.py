"""`manage.py demo_data`: the demo network and its logins, the same however often it runs."""

import re
import stat
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from billing.balances import balance_of
from billing.models import BalanceEntry, Tariff, TariffAssignment
from billing.services.sessions import session_price, session_tariff
from demo.loader import DEMO_DRIVER, demo_logins_path, demo_logins_read
from demo.network import (
    DEMO_OPERATOR,
    DEMO_SITE,
    DEMO_STATION_PASSWORD,
    DEMO_STATIONS,
    DEMO_TOKENS,
)
from stations.models import ChargingStation, Connector, IdToken, Site
from tests.support.billing import session

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture(autouse=True)
def demo_settings(settings, tmp_path, monkeypatch):
    settings.VAR_DIR = tmp_path
    # Fast hashing for people; stations keep their own hasher (set_password names it).
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "stations.services.passwords.StationPasswordHasher",
    ]
    monkeypatch.delenv("PORT", raising=False)


def demo_data() -> str:
    out = StringIO()
    call_command("demo_data", stdout=out)
    return out.getvalue()


def printed_passwords(output: str) -> list[str]:
    return re.findall(r"^\|\s+password\s+(.+?)\s+\|$", output, re.MULTILINE)


def counts() -> dict[str, int]:
    return {
        model.__name__: model.objects.count()
        for model in [
            Site,
            ChargingStation,
            Connector,
            IdToken,
            User,
            Tariff,
            TariffAssignment,
            BalanceEntry,
        ]
    }


def test_loads_the_demo_network():
    demo_data()

    site = Site.objects.get()
    assert site.name == DEMO_SITE["name"] and site.timezone == DEMO_SITE["timezone"]
    for spec in DEMO_STATIONS:
        station = ChargingStation.objects.get(station_id=spec["station_id"])
        assert (station.kind, station.vendor, station.model) == (
            spec["kind"],
            spec["vendor"],
            spec["model"],
        )
        assert station.site == site
        assert station.registration_status == ChargingStation.Registration.ACCEPTED
        assert station.check_password(DEMO_STATION_PASSWORD)
        connectors = station.connectors.order_by("connector_id")
        assert [c.connector_id for c in connectors] == list(range(1, spec["connectors"] + 1))
        assert {c.status for c in connectors} == {"Unavailable"}
    assert set(IdToken.objects.values_list("status", flat=True)) == {IdToken.Status.ACCEPTED}


def test_running_twice_creates_nothing_twice_and_prints_the_same_logins():
    first = demo_data()
    before = counts()

    second = demo_data()

    assert counts() == before
    assert before["ChargingStation"] == len(DEMO_STATIONS)
    assert printed_passwords(first) == printed_passwords(second)
    assert len(printed_passwords(first)) == 2


def test_demo_network_has_a_2_0_1_station_and_a_card_for_every_connector():
    demo_data()
    versions = dict(ChargingStation.objects.values_list("station_id", "ocpp_version"))
    assert {spec["station_id"]: spec["version"].removeprefix("ocpp") for spec in DEMO_STATIONS} == (
        versions
    )
    assert "2.0.1" in versions.values() and "1.6" in versions.values()
    assert len(set(DEMO_TOKENS)) >= sum(spec["connectors"] for spec in DEMO_STATIONS)
    assert set(IdToken.objects.values_list("value", flat=True)) == set(DEMO_TOKENS)

    demo_data()  # a second run changes nothing
    assert IdToken.objects.count() == len(DEMO_TOKENS)
    assert dict(ChargingStation.objects.values_list("station_id", "ocpp_version")) == versions


def test_operator_is_a_staff_superuser_who_can_log_in_to_the_admin(client):
    operator_password, _ = printed_passwords(demo_data())

    operator = User.objects.get(username=DEMO_OPERATOR)
    assert operator.is_staff and operator.is_superuser
    assert client.login(username=DEMO_OPERATOR, password=operator_password)
    assert client.get("/admin/stations/chargingstation/").status_code == 200


def test_driver_is_not_staff_and_owns_two_tokens():
    _, driver_password = printed_passwords(demo_data())

    driver = User.objects.get(username=DEMO_DRIVER)
    assert not driver.is_staff and not driver.is_superuser
    assert driver.check_password(driver_password)
    assert driver.id_tokens.count() == 2


def test_prints_the_dashboard_url_with_the_port(monkeypatch):
    monkeypatch.setenv("PORT", "8123")

    output = demo_data()

    assert "http://127.0.0.1:8123/" in output
    assert re.search(r"user\s+operator\b", output)
    assert re.search(r"user\s+driver\b", output)


def test_logins_are_kept_in_a_private_file():
    operator_password, driver_password = printed_passwords(demo_data())

    assert stat.S_IMODE(demo_logins_path().stat().st_mode) == 0o600
    assert demo_logins_read() == {DEMO_OPERATOR: operator_password, DEMO_DRIVER: driver_password}


def test_lost_file_with_existing_user_gets_a_new_password():
    old_password, _ = printed_passwords(demo_data())
    demo_logins_path().unlink()

    new_password, _ = printed_passwords(demo_data())

    assert new_password != old_password
    operator = User.objects.get(username=DEMO_OPERATOR)
    assert operator.check_password(new_password)
    assert demo_logins_read()[DEMO_OPERATOR] == new_password


def test_recreated_database_reuses_the_saved_password():
    saved_password, _ = printed_passwords(demo_data())
    User.objects.filter(username=DEMO_OPERATOR).delete()

    password, _ = printed_passwords(demo_data())

    assert password == saved_password
    assert User.objects.get(username=DEMO_OPERATOR).check_password(saved_password)


def test_password_changed_by_its_owner_is_neither_shown_nor_reset():
    demo_data()
    operator = User.objects.get(username=DEMO_OPERATOR)
    operator.set_password("my-own-choice-123")
    operator.save()

    output = demo_data()

    assert "changed since the demo set it" in output
    operator.refresh_from_db()
    assert operator.check_password("my-own-choice-123")


def test_existing_station_keeps_its_settings_and_gets_missing_connectors():
    spec = DEMO_STATIONS[0]
    station = ChargingStation.objects.create(
        station_id=spec["station_id"], registration_status="pending"
    )

    demo_data()

    station.refresh_from_db()
    assert station.registration_status == "pending"
    assert station.check_password(DEMO_STATION_PASSWORD)
    assert station.connectors.count() == spec["connectors"]


# --- the demo is priced --------------------------------------------------------------

NOON = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)


def test_every_demo_station_has_a_tariff_and_the_driver_a_prepaid_balance():
    demo_data()
    demo_data()  # a second run adds no tariff and no second top-up

    driver = User.objects.get(username=DEMO_DRIVER)
    assert balance_of(driver=driver, currency="EUR") == Decimal("50.00")
    assert BalanceEntry.objects.count() == 1
    for station in ChargingStation.objects.all():
        tariff = session_tariff(session(station, NOON, 10, 100, ended=False))
        assert tariff is not None and tariff.currency == "EUR"
        if station.kind == ChargingStation.Kind.EBIKE:
            assert tariff.power_tiers.count() >= 2 and not tariff.energy_price_per_kwh
        else:
            assert tariff.energy_price_per_kwh > 0 and tariff.session_fee > 0
            assert tariff.idle_price_per_minute > 0 and tariff.idle_grace_minutes > 0


def test_a_demo_car_session_is_priced_and_paid_from_the_balance():
    demo_data()
    driver = User.objects.get(username=DEMO_DRIVER)
    car = ChargingStation.objects.get(station_id="CN-CAR-001")
    card = driver.id_tokens.order_by("value").first()
    charge = session(car, NOON, 60, 10_000, token=card)

    price = session_price(charge)

    # 10 kWh at 0.35 plus the 0.50 start fee, net; 21 % VAT on top.
    assert price.net == Decimal("4.00") and price.gross == Decimal("4.84")
    assert balance_of(driver=driver, currency="EUR") == Decimal("45.16")


def test_a_demo_ebike_session_is_priced_by_its_power_tier():
    demo_data()
    pile = ChargingStation.objects.get(station_id="CN-EBIKE-001")
    # An hour at a steady 300 W: the 201-400 W tier.
    charge = session(pile, NOON, 60, 300, readings=[(0, 300, 1_000), (60, 300, 1_300)])

    price = session_price(charge)

    assert price.net == Decimal("0.35")


def test_a_tariff_the_operator_changed_is_kept_and_a_lost_assignment_comes_back():
    demo_data()
    Tariff.objects.filter(name__endswith="— car").update(energy_price_per_kwh=Decimal("0.99"))
    TariffAssignment.objects.filter(station__isnull=False).delete()

    demo_data()

    assert Tariff.objects.get(name__endswith="— car").energy_price_per_kwh == Decimal("0.99")
    assert TariffAssignment.objects.filter(station__isnull=False).count() == 1
