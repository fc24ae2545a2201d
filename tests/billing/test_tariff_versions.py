"""The price shown is the price billed: a session keeps the tariff version in force when
it started, whatever happens to the tariff (edited, replaced by another assignment)
while it runs. The QR page, the running cost (CostUpdated), the station's totalCost,
the driver's live cost, the stored price and the invoice agree.
"""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from ocpp.routing import on
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201

from billing import tasks
from billing.models import (
    ImmutableVersionError,
    SessionCharge,
    SessionTariff,
    Tariff,
    TariffVersion,
)
from billing.pricing.snapshot import snapshot_digest, spec_from_json, spec_to_json
from billing.services import invoice_issue_for_session, session_cost_so_far
from drivers.charging import live_figures
from stations.models import ChargingSession, IdToken
from tests.support.billing import assign, car_tariff, driver, ebike_tariff, network
from tests.support.charge_points import Station201
from tests.support.factories import STATION_PASSWORD, PowerTierPriceFactory, TariffFactory
from tests.support.ocpp_client import connected_station

ENERGY = "Energy.Active.Import.Register"


# --- the snapshot -------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_snapshot_holds_the_whole_tariff_and_reads_back_equal():
    for made in (car_tariff(minimum_price=D("1")), ebike_tariff()):
        tariff = Tariff.objects.get(pk=made.pk)  # as stored
        spec = tariff.spec()
        data = spec_to_json(spec)
        assert spec_from_json(data) == spec
        assert snapshot_digest(data) == snapshot_digest(spec_to_json(tariff.spec()))
    assert data["power_tiers"][0] == {"up_to_w": 200, "price_per_hour": "0.25000"}
    assert data["currency"] == "CNY" and data["prepaid_block_price"] == "1.00000"


@pytest.mark.django_db(transaction=True)
def test_every_change_writes_a_new_version_and_versions_are_never_edited():
    tariff = car_tariff()  # the tariff, then its time-of-use rule: one version each commit
    numbers = lambda: list(  # noqa: E731
        TariffVersion.objects.filter(tariff=tariff)
        .order_by("number")
        .values_list("number", flat=True)
    )
    first = numbers()
    tariff.save()  # nothing changed: no new version
    assert numbers() == first
    tariff.energy_price_per_kwh = D("0.39")
    tariff.save()
    PowerTierPriceFactory(tariff=tariff, up_to_w=None, price_per_hour=D("2"))
    tariff.time_of_use.all().delete()
    latest = TariffVersion.objects.filter(tariff=tariff).order_by("-number").first()
    assert numbers() == list(range(1, first[-1] + 4))
    assert latest.spec() == Tariff.objects.get(pk=tariff.pk).spec()
    assert latest.definition["energy_price_per_kwh"] == "0.39000"
    assert latest.definition["time_of_use"] == []

    latest.definition["energy_price_per_kwh"] = "0.01"
    with pytest.raises(ImmutableVersionError):
        latest.save()
    count = len(numbers())
    tariff.delete()  # its versions stay for the sessions priced with them
    assert TariffVersion.objects.filter(tariff__isnull=True).count() == count


@pytest.mark.django_db(transaction=True)
def test_the_api_edit_writes_a_version(api_client):
    body = {"name": "API", "currency": "EUR", "energy_price_per_kwh": "0.30"}
    created = api_client.post("/api/v1/tariffs/", body, format="json").json()
    api_client.patch(
        f"/api/v1/tariffs/{created['id']}/",
        {"time_of_use": [{"label": "Night", "weekdays": [0], "energy_price_per_kwh": "0.1"}]},
        format="json",
    )
    versions = TariffVersion.objects.filter(tariff_id=created["id"]).order_by("number")
    assert [len(v.definition["time_of_use"]) for v in versions] == [0, 1]


# --- a change while a session runs ---------------------------------------------------------


class CostStation(Station201):
    @on("CostUpdated")
    def cost_updated(self, **kw):
        self.got("CostUpdated", kw)
        return result201.CostUpdated()


def stamp(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def event(kind, seq_no, moment, wh):
    context = {"Started": "Transaction.Begin", "Ended": "Transaction.End"}.get(
        kind, "Sample.Periodic"
    )
    return call201.TransactionEvent(
        event_type=kind,
        timestamp=stamp(moment),
        trigger_reason={"Started": "Authorized", "Ended": "StopAuthorized"}.get(
            kind, "MeterValuePeriodic"
        ),
        seq_no=seq_no,
        transaction_info={
            "transaction_id": "TX-1",
            "charging_state": "Charging",
            **({"stopped_reason": "EVDisconnected"} if kind == "Ended" else {}),
        },
        meter_value=[
            {
                "timestamp": stamp(moment),
                "sampled_value": [{"value": wh, "measurand": ENERGY, "context": context}],
            }
        ],
        evse={"id": 1, "connector_id": 1},
        id_token={"id_token": "DORA", "type": "ISO14443"} if kind == "Started" else None,
    )


@pytest.fixture
def quoted(transactional_db, eager_tasks):
    """0.35/kWh, no tax, on the car charger; Dora's card."""
    _, car, _ = network()
    car.ocpp_version = "2.0.1"
    car.save(update_fields=["ocpp_version"])
    tariff = TariffFactory(name="Quoted", currency="EUR", energy_price_per_kwh=D("0.35"))
    assign(tariff, station=car)
    dora = driver()
    IdToken.objects.create(value="DORA", owner=dora)
    return car, tariff, dora


@sync_to_async
def change_the_tariffs(car, tariff):
    """What an operator does while Dora charges: edits the tariff, then assigns another
    one to the very connector."""
    tariff.energy_price_per_kwh = D("0.39")
    tariff.save()
    assign(
        TariffFactory(name="New", currency="EUR", energy_price_per_kwh=D("0.50")),
        connector=car.connectors.get(connector_id=1),
    )


@sync_to_async
def qr_page_text(car) -> str:
    return Client().get(f"/c/{car.station_id}/1/").content.decode()


async def test_a_tariff_changed_while_charging_never_reprices_the_session(quoted):
    car, tariff, dora = quoted
    assert "0.35" in await qr_page_text(car)  # what Dora sees before she starts
    start = timezone.now().replace(microsecond=0) - timedelta(minutes=30)
    async with connected_station("CN-CAR-1", STATION_PASSWORD, "ocpp2.0.1", CostStation) as (
        cp,
        _,
    ):
        await cp.call(event("Started", 0, start, 1_000), suppress=False)
        await cp.call(event("Updated", 1, start + timedelta(minutes=10), 5_000), suppress=False)
        await change_the_tariffs(car, tariff)
        assert "0.50" in await qr_page_text(car)  # the next driver sees the new price
        session = await ChargingSession.objects.select_related("station__site", "connector").aget()
        running = await sync_to_async(session_cost_so_far)(session)
        live = await sync_to_async(live_figures)(session)
        await sync_to_async(tasks.send_cost_updates, thread_sensitive=False)()
        ended = await cp.call(
            event("Ended", 2, start + timedelta(minutes=20), 11_000), suppress=False
        )
    # 10 kWh x 0.35 = 3.50 at the end; 4 kWh x 0.35 = 1.40 while charging
    assert (running.gross, live.cost) == (D("1.40"), D("1.40"))
    assert cp.received == [("CostUpdated", {"total_cost": 1.4, "transaction_id": "TX-1"})]
    assert ended.total_cost == 3.5

    @sync_to_async
    def billed():
        session = ChargingSession.objects.get()
        charge = SessionCharge.objects.select_related("tariff_version").get(session=session)
        invoice = invoice_issue_for_session(session=session)
        pin = SessionTariff.objects.select_related("version").get(session=session)
        return charge, invoice, pin

    charge, invoice, pin = await billed()
    assert charge.gross == D("3.50") and charge.tariff_name == "Quoted"
    assert charge.tariff_version == pin.version and pin.version.number == 1
    assert pin.version.definition["energy_price_per_kwh"] == "0.35000"
    assert invoice.gross == D("3.50")

    # A session started after the change is priced by the connector's new tariff.
    later = start + timedelta(minutes=25)
    async with connected_station("CN-CAR-1", STATION_PASSWORD, "ocpp2.0.1", CostStation) as (
        cp,
        _,
    ):
        second = "TX-2"
        for kind, seq_no, minute, wh in (("Started", 0, 0, 11_000), ("Ended", 1, 2, 13_000)):
            frame = event(kind, seq_no, later + timedelta(minutes=minute), wh)
            frame.transaction_info["transaction_id"] = second
            answer = await cp.call(frame, suppress=False)
    assert answer.total_cost == 1.0  # 2 kWh x 0.50


@pytest.mark.django_db
def test_the_admin_add_and_edit_write_versions_with_their_inlines(
    ops, django_capture_on_commit_callbacks
):
    data = {
        "name": "Bikes",
        "currency": "CNY",
        "tax_rate_percent": "0",
        "energy_price_per_kwh": "0",
        "time_price_per_hour": "0",
        "time_block_minutes": "60",
        "session_fee": "0",
        "idle_price_per_minute": "0",
        "idle_grace_minutes": "0",
        "tier_sustain_seconds": "60",
        "prepaid_block_price": "1.00",
        "assignments-TOTAL_FORMS": "0",
        "assignments-INITIAL_FORMS": "0",
        "time_of_use-TOTAL_FORMS": "0",
        "time_of_use-INITIAL_FORMS": "0",
        "power_tiers-TOTAL_FORMS": "1",
        "power_tiers-INITIAL_FORMS": "0",
        "power_tiers-0-up_to_w": "",
        "power_tiers-0-price_per_hour": "0.50",
    }
    with django_capture_on_commit_callbacks(execute=True):
        added = ops.post(reverse("admin:billing_tariff_add"), data)
    assert added.status_code == 302
    tariff = Tariff.objects.get(name="Bikes")
    tier = tariff.power_tiers.get()
    edit = {
        **data,
        "prepaid_block_price": "2.00",
        "power_tiers-INITIAL_FORMS": "1",
        "power_tiers-0-id": str(tier.pk),
        "power_tiers-0-tariff": str(tariff.pk),
        "power_tiers-0-price_per_hour": "0.60",
    }
    with django_capture_on_commit_callbacks(execute=True):
        edited = ops.post(reverse("admin:billing_tariff_change", args=[tariff.pk]), edit)
    assert edited.status_code == 302

    versions = list(TariffVersion.objects.filter(tariff=tariff).order_by("number"))
    assert [v.number for v in versions] == [1, 2]
    assert versions[0].definition["power_tiers"] == [{"up_to_w": None, "price_per_hour": "0.50000"}]
    assert versions[1].definition["power_tiers"][0]["price_per_hour"] == "0.60000"
    assert versions[1].definition["prepaid_block_price"] == "2.00000"
