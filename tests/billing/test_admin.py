"""The billing admin: every page loads; tariffs are edited with their parts; invoices stay put."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from billing import services
from billing.models import (
    ConnectorStatusPeriod,
    Invoice,
    InvoiceSequence,
    OperatorProfile,
    PowerTierPrice,
    Report,
    SessionCharge,
    Tariff,
    TariffAssignment,
    TimeOfUsePrice,
)
from tests.support.billing import (
    FRIDAY,
    URLCONF,
    assign,
    car_readings,
    car_tariff,
    driver,
    network,
    session,
    token_for,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls(URLCONF)]

MODELS = [
    Tariff,
    TariffAssignment,
    SessionCharge,
    ConnectorStatusPeriod,
    OperatorProfile,
    InvoiceSequence,
    Invoice,
    Report,
]


@pytest.fixture
def billed(media_root):
    OperatorProfile.current()
    _, car, _ = network()
    assign(car_tariff(), station=car)
    ended = session(car, FRIDAY, 180, 18_500, token=token_for(driver()), readings=car_readings())
    services.status_history_record(station_pk=car.pk, connector_id=1, status="Charging", at=FRIDAY)
    invoice = services.invoice_issue_for_session(session=ended)
    report = Report.objects.create(period_start=FRIDAY.date(), period_end=FRIDAY.date())
    services.report_generate(report=report)
    return {"invoice": invoice, "session": ended, "report": report}


def admin_url(model, view="changelist", *args) -> str:
    return reverse(f"admin:billing_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_list_and_detail_page_loads(ops, billed, model):
    assert ops.get(admin_url(model)).status_code == 200
    instance = model.objects.first()
    assert ops.get(admin_url(model, "change", instance.pk)).status_code == 200


def test_invoice_list_links_its_documents(ops, billed):
    page = ops.get(admin_url(Invoice)).content.decode()

    assert f"/billing/invoices/{billed['invoice'].pk}/pdf/" in page


def test_invoices_cannot_be_added_changed_or_deleted(ops, billed):
    invoice = billed["invoice"]

    assert ops.get(admin_url(Invoice, "add")).status_code == 403
    assert ops.get(admin_url(Invoice, "delete", invoice.pk)).status_code == 403
    ops.post(admin_url(Invoice, "change", invoice.pk), {"gross": "0"})
    assert Invoice.objects.get(pk=invoice.pk).gross == invoice.gross


def test_credit_note_action(ops, billed):
    invoice = billed["invoice"]
    data = {"action": "issue_credit_notes", "_selected_action": [invoice.pk]}

    ops.post(admin_url(Invoice), data)
    ops.post(admin_url(Invoice), data)  # the second time is refused, politely

    note = Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE)
    assert note.credited_invoice == invoice and note.gross == -invoice.gross
    assert Invoice.objects.count() == 2


def test_reprice_action(ops, billed):
    charge = SessionCharge.objects.get()  # invoiced: it keeps its price

    response = ops.post(
        admin_url(SessionCharge),
        {"action": "reprice", "_selected_action": [charge.pk]},
        follow=True,
    )

    assert "0 sessions re-priced." in response.content.decode()


def test_add_a_tariff_with_time_of_use_and_tiers(ops):
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
    }
    for name in ("time_of_use", "power_tiers", "assignments"):
        data.update({f"{name}-TOTAL_FORMS": "0", f"{name}-INITIAL_FORMS": "0"})
    data.update(
        {
            "power_tiers-TOTAL_FORMS": "2",
            "power_tiers-0-up_to_w": "200",
            "power_tiers-0-price_per_hour": "0.25",
            "power_tiers-1-up_to_w": "",
            "power_tiers-1-price_per_hour": "0.50",
            "time_of_use-TOTAL_FORMS": "1",
            "time_of_use-0-label": "Night",
            "time_of_use-0-weekdays": "0123456",
            "time_of_use-0-start_time": "22:00",
            "time_of_use-0-end_time": "06:00",
            "time_of_use-0-position": "0",
        }
    )

    response = ops.post(admin_url(Tariff, "add"), data)

    assert response.status_code == 302, response.context["adminform"].errors
    tariff = Tariff.objects.get(name="Bikes")
    assert list(PowerTierPrice.objects.values_list("up_to_w", flat=True)) == [200, None]
    assert TimeOfUsePrice.objects.get(tariff=tariff).label == "Night"
    assert "prepaid blocks" in ops.get(admin_url(Tariff)).content.decode()


def test_an_invalid_weekday_list_is_refused(ops):
    tariff = Tariff.objects.create(name="T", currency="EUR")
    rule = TimeOfUsePrice(tariff=tariff, label="x", weekdays="017")

    with pytest.raises(ValidationError, match="Weekdays"):
        rule.full_clean()


def test_asking_for_a_report_in_the_admin_queues_it(
    ops, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        response = ops.post(
            admin_url(Report, "add"),
            {"kind": "on_demand", "period_start": "2025-03-01", "period_end": "2025-03-31"},
        )

    assert response.status_code == 302
    report = Report.objects.get()
    assert report.status == "done" and report.requested_by.username == "ops"
