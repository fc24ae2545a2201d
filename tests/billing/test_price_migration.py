"""billing/0003 and stations/0008: a session's price moves from the session itself to
its SessionCharge, the one store; sessions priced before keep their price."""

from datetime import UTC, datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("billing", "0002_balances"), ("stations", "0007_station_password_rotation")]
AFTER = [("billing", "0003_charges_from_session_prices"), ("stations", "0008_remove_session_price")]
T0 = datetime(2025, 3, 14, 15, 30, tzinfo=UTC)
LINES = [{"kind": "energy", "description": "Energy", "amount": "3.75"}]


def migrate(targets):
    """Migrate the test database to `targets`; the models as they were there."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()  # what was applied has changed
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_schema(transactional_db):
    apps = migrate(BEFORE)
    yield apps
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())  # the others' schema


def old_session(apps, station, number: int, **price):
    ChargingSession = apps.get_model("stations", "ChargingSession")
    session = ChargingSession.objects.create(
        station=station,
        transaction_id=str(number),
        state="ended",
        started_at=T0,
        ended_at=T0.replace(hour=16),
        **price,
    )
    # auto_now: the moment it was priced, as the old pricing saved it.
    ChargingSession.objects.filter(pk=session.pk).update(updated_at=T0.replace(hour=17))
    return session


def test_sessions_priced_before_get_a_charge_and_keep_their_price(old_schema):
    apps = old_schema
    station = apps.get_model("stations", "ChargingStation").objects.create(station_id="CP-1")
    OldCharge = apps.get_model("billing", "SessionCharge")
    only_copy = old_session(
        apps, station, 1, price_total=D("3.75"), price_currency="EUR", price_lines=LINES
    )
    both = old_session(apps, station, 2, price_total=D("1.25"), price_currency="KWD")
    OldCharge.objects.create(
        session=both,
        tariff_name="KWD",
        currency="KWD",
        net=D("1.245"),
        tax_rate_percent=D(0),
        tax=D(0),
        gross=D("1.245"),
        lines=[],
        priced_at=T0,
    )
    unpriced = old_session(apps, station, 3)

    apps = migrate(AFTER)

    SessionCharge = apps.get_model("billing", "SessionCharge")
    charge = SessionCharge.objects.get(session_id=only_copy.pk)
    assert (charge.gross, charge.net, charge.tax, charge.tax_rate_percent) == (
        D("3.75"),
        D("3.75"),
        D(0),
        D(0),
    )
    assert (charge.currency, charge.lines, charge.tariff_id, charge.tariff_name) == (
        "EUR",
        LINES,
        None,
        "",
    )
    assert charge.priced_at == T0.replace(hour=17)  # the session's updated_at
    kept = SessionCharge.objects.get(session_id=both.pk)  # billing's own stays as it was
    assert (kept.gross, kept.tariff_name, kept.priced_at) == (D("1.245"), "KWD", T0)
    assert not SessionCharge.objects.filter(session_id=unpriced.pk).exists()
    assert SessionCharge.objects.count() == 2
    fields = {f.name for f in apps.get_model("stations", "ChargingSession")._meta.get_fields()}
    assert not fields & {"price_total", "price_currency", "price_lines"}


def test_backwards_the_sessions_copies_come_back_from_their_charges(old_schema):
    apps = old_schema
    station = apps.get_model("stations", "ChargingStation").objects.create(station_id="CP-1")
    priced = old_session(
        apps, station, 1, price_total=D("3.75"), price_currency="EUR", price_lines=LINES
    )
    migrate(AFTER)

    apps = migrate(BEFORE)

    back = apps.get_model("stations", "ChargingSession").objects.get(pk=priced.pk)
    assert (back.price_total, back.price_currency, back.price_lines) == (D("3.75"), "EUR", LINES)
