"""Load the demo network of `demo.network` and its logins; a second run creates nothing.

The demo logins' passwords are random, made on the first run and kept in
VAR_DIR/demo-login.txt (mode 0600) so every later run prints the same ones.

The demo site is priced (a car tariff for the site, a power-tiered one for the e-bike
pile) and the demo driver gets one prepaid top-up, so demo sessions end with a price
and a debit. A tariff an operator edited or replaced is left as it is.
"""

import os
import secrets
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from billing.balances import balance_top_up
from billing.models import BalanceEntry, PowerTierPrice, Tariff, TariffAssignment
from demo.network import (
    DEMO_OPERATOR,
    DEMO_SITE,
    DEMO_STATION_PASSWORD,
    DEMO_STATIONS,
    DEMO_TOKENS,
)
from stations.models import ChargingStation, Connector, IdToken, Site

DEMO_DRIVER = "driver"
DRIVER_TOKEN_COUNT = 2
LOGINS_FILE_NAME = "demo-login.txt"
_LOGINS_HEADER = "# ChargeNet demo logins, kept by `manage.py demo_data`: user password\n"
# Rated power per connector of the demo stations (W), as their makers state it.
RATED_W = {"car": 22_000, "ebike": 400}

# Prices net of Dutch VAT (21 %), in line with public chargers in Amsterdam.
DEMO_CAR_TARIFF = {
    "description": "Demo: per kWh, a start fee, and an idle fee after 30 minutes.",
    "currency": "EUR",
    "tax_rate_percent": Decimal("21"),
    "energy_price_per_kwh": Decimal("0.35"),
    "session_fee": Decimal("0.50"),
    "idle_price_per_minute": Decimal("0.10"),
    "idle_grace_minutes": 30,
    "idle_fee_cap": Decimal("10.00"),
}
DEMO_EBIKE_TARIFF = {
    "description": "Demo: per started minute, priced by the power the e-bike draws.",
    "currency": "EUR",
    "tax_rate_percent": Decimal("21"),
    "tier_sustain_seconds": 60,
}
# (up to W, price per hour): the sustained peak picks the tier; None is the top tier.
DEMO_EBIKE_TIERS = [
    (200, Decimal("0.20")),
    (400, Decimal("0.35")),
    (None, Decimal("0.50")),
]
DEMO_TOP_UP = Decimal("50.00")
# The ledger's idempotency key: the top-up is made once, however often the demo loads.
DEMO_TOP_UP_REFERENCE = "demo:driver-top-up"


@dataclass(frozen=True)
class DemoLogin:
    role: str  # "operator" | "driver"
    username: str
    # None when someone changed the password after the demo set it: we cannot show it.
    password: str | None
    path: str  # where this login is used, e.g. "/admin/"


@dataclass(frozen=True)
class DemoNetwork:
    site: Site
    stations: list[ChargingStation]
    tokens: list[IdToken]
    logins: list[DemoLogin]
    tariffs: list[Tariff]
    top_up: BalanceEntry


def demo_logins_path() -> Path:
    return Path(settings.VAR_DIR) / LOGINS_FILE_NAME


def demo_logins_read() -> dict[str, str]:
    """The saved demo passwords by user name; empty when there is no file."""
    try:
        text = demo_logins_path().read_text()
    except FileNotFoundError:
        return {}
    pairs = (line.strip().partition(" ") for line in text.splitlines())
    return {name: password for name, _, password in pairs if name and not name.startswith("#")}


def demo_logins_write(passwords: dict[str, str]) -> None:
    """Replace the file atomically, readable by its owner only."""
    path = demo_logins_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(_LOGINS_HEADER + "".join(f"{n} {p}\n" for n, p in passwords.items()))
    os.chmod(temporary, 0o600)  # an existing leftover keeps its old mode through O_CREAT
    os.replace(temporary, path)


def demo_network_load() -> DemoNetwork:
    """Create whatever of the demo network is missing; leave what exists as it is."""
    saved = demo_logins_read()
    passwords = dict(saved)
    with transaction.atomic():
        site, _ = Site.objects.get_or_create(name=DEMO_SITE["name"], defaults=DEMO_SITE)
        stations = [_station_load(spec, site) for spec in DEMO_STATIONS]
        operator, operator_password = _user_load(DEMO_OPERATOR, saved, staff=True)
        driver, driver_password = _user_load(DEMO_DRIVER, saved, staff=False)
        tokens = _tokens_load(driver)
        tariffs = _tariffs_load(site, stations)
        top_up = balance_top_up(
            driver=driver,
            amount=DEMO_TOP_UP,
            currency=DEMO_CAR_TARIFF["currency"],
            note="Demo credit",
            reference=DEMO_TOP_UP_REFERENCE,
        )
    for user, password in [(operator, operator_password), (driver, driver_password)]:
        if password is not None:
            passwords[user.username] = password
    if passwords != saved:
        demo_logins_write(passwords)
    logins = [
        DemoLogin("operator", operator.username, operator_password, "/"),
        DemoLogin("driver", driver.username, driver_password, "/me/"),
    ]
    return DemoNetwork(site, stations, tokens, logins, tariffs, top_up)


def _station_load(spec: dict, site: Site) -> ChargingStation:
    station, created = ChargingStation.objects.get_or_create(
        station_id=spec["station_id"],
        defaults={
            "kind": spec["kind"],
            "vendor": spec["vendor"],
            "model": spec["model"],
            # What the station will speak; the consumer records it again on connect.
            "ocpp_version": spec["version"].removeprefix("ocpp"),
            "site": site,
            "registration_status": ChargingStation.Registration.ACCEPTED,
        },
    )
    if created or not station.password:
        # The simulator connects with this password (OCPP security profile 1).
        station.set_password(DEMO_STATION_PASSWORD)
        station.save(update_fields=["password"])
    for number in range(1, spec["connectors"] + 1):
        # Unavailable until the station connects and reports its StatusNotification.
        connector, _ = Connector.objects.get_or_create(
            station=station, connector_id=number, defaults={"status": "Unavailable"}
        )
        if connector.max_power_w is None:  # rated power: e-bike overload alarms need it
            connector.max_power_w = RATED_W[spec["kind"]]
            connector.save(update_fields=["max_power_w"])
    return station


def _user_load(username: str, saved: dict[str, str], *, staff: bool):
    """Return the user and the password to show (None if it was changed since)."""
    user, created = get_user_model().objects.get_or_create(
        username=username, defaults={"email": f"{username}@example.com"}
    )
    password = saved.get(username)
    if not created and password is not None:
        return user, (password if user.check_password(password) else None)
    # A new user, or one whose saved password was lost: give it a fresh login.
    password = password or secrets.token_urlsafe(16)
    user.set_password(password)
    user.is_staff = user.is_superuser = staff
    user.is_active = True
    user.save()
    return user, password


def _tokens_load(driver) -> list[IdToken]:
    tokens = []
    for index, value in enumerate(DEMO_TOKENS):
        owner = driver if index < DRIVER_TOKEN_COUNT else None
        token, created = IdToken.objects.get_or_create(
            value=value,
            defaults={
                "status": IdToken.Status.ACCEPTED,
                "owner": owner,
                "label": f"Demo card {index + 1}",
            },
        )
        if not created and owner and token.owner_id is None:
            token.owner = owner
            token.save(update_fields=["owner"])
        tokens.append(token)
    return tokens


def _tariffs_load(site: Site, stations: list[ChargingStation]) -> list[Tariff]:
    """The site's car tariff and the e-bike piles' tiered one, unless already assigned."""
    car = _tariff_load(f"{site.name} — car", DEMO_CAR_TARIFF, [])
    ebike = _tariff_load(f"{site.name} — e-bike", DEMO_EBIKE_TARIFF, DEMO_EBIKE_TIERS)
    TariffAssignment.objects.get_or_create(site=site, defaults={"tariff": car})
    for station in stations:
        if station.kind == ChargingStation.Kind.EBIKE:
            TariffAssignment.objects.get_or_create(station=station, defaults={"tariff": ebike})
    return [car, ebike]


def _tariff_load(name: str, fields: dict, tiers: list) -> Tariff:
    tariff, created = Tariff.objects.get_or_create(name=name, defaults=fields)
    if created:
        PowerTierPrice.objects.bulk_create(
            PowerTierPrice(tariff=tariff, up_to_w=bound, price_per_hour=price)
            for bound, price in tiers
        )
    return tariff
