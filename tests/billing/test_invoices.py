"""Invoices: per driver per month and per session, gapless numbers, credit notes, documents."""

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone
from pypdf import PdfReader

from billing import documents, services
from billing.models import ImmutableInvoiceError, Invoice, InvoiceSequence, OperatorProfile
from billing.services.invoices import InvoiceError
from billing.tasks import issue_monthly_invoices
from chargenet.celery import app
from tests.support.billing import (
    FRIDAY,
    URLCONF,
    assign,
    car_readings,
    car_tariff,
    charge_of,
    driver,
    ebike_tariff,
    network,
    session,
    token_for,
)

pytestmark = [pytest.mark.django_db, pytest.mark.urls(URLCONF)]

APRIL_1 = datetime(2025, 4, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def month():
    """March 2025: two drivers, a car and an e-bike, and sessions that are not billed."""
    OperatorProfile.objects.update_or_create(
        pk=1,
        defaults={
            "name": "ChargeNet Harbour B.V.",
            "address": "Kade 1\nAmsterdam",
            "tax_id": "NL001",
            "registration_number": "KvK 1",
        },
    )
    _, car, bike = network()
    assign(car_tariff(), station=car)
    assign(ebike_tariff(), station=bike)
    dora, erik = driver("dora"), driver("erik", first_name="Erik", last_name="")
    dora_card, erik_card = token_for(dora, "DORA"), token_for(erik, "ERIK")
    anonymous = token_for(None, "LOOSE")
    return {
        "dora_car": session(car, FRIDAY, 180, 18_500, token=dora_card, readings=car_readings()),
        "dora_car_2": session(car, FRIDAY + timedelta(days=3), 60, 3_700, token=dora_card),
        "dora_bike": session(bike, FRIDAY, 150, 800, token=dora_card, readings=[(0, 350, 1_000)]),
        "erik_car": session(car, FRIDAY + timedelta(days=1), 60, 7_400, token=erik_card),
        "anonymous": session(car, FRIDAY + timedelta(days=2), 60, 1_000, token=anonymous),
        "april": session(car, APRIL_1, 60, 1_000, token=dora_card),
        "dora": dora,
        "erik": erik,
    }


def test_monthly_invoices_one_per_driver_and_currency(month):
    invoices = services.invoice_issue_monthly(year=2025, month=3, now=APRIL_1)

    summary = [(i.number, i.customer.username, i.currency, i.lines.count()) for i in invoices]
    assert summary == [
        ("2025-000001", "dora", "CNY", 1),
        ("2025-000002", "dora", "EUR", 2),
        ("2025-000003", "erik", "EUR", 1),
    ]
    dora_eur = invoices[1]
    assert (dora_eur.period_start.isoformat(), dora_eur.period_end.isoformat()) == (
        "2025-03-01",
        "2025-03-31",
    )
    assert dora_eur.customer_name == "Dora Driver" and dora_eur.customer_email == "dora@example.com"
    assert dora_eur.seller_name == "ChargeNet Harbour B.V." and dora_eur.seller_tax_id == "NL001"
    # 11.45 for the first session (no status history); 1.79 for the second (no readings:
    # evenly over 16:30-17:30 local, half off-peak and half peak)
    assert [line.gross for line in dora_eur.lines.order_by("position")] == [D("11.45"), D("1.79")]
    assert (dora_eur.net, dora_eur.tax, dora_eur.gross) == (D("10.94"), D("2.30"), D("13.24"))


def test_sessions_without_an_owner_or_outside_the_month_are_not_invoiced(month):
    services.invoice_issue_monthly(year=2025, month=3, now=APRIL_1)

    invoiced = {line.session_id for i in Invoice.objects.all() for line in i.lines.all()}
    assert month["anonymous"].pk not in invoiced and month["april"].pk not in invoiced
    assert charge_of(month["anonymous"]) is not None  # but priced


def test_a_repeated_monthly_run_issues_nothing_new(month):
    first = issue_monthly_invoices.delay(2025, 3).get(disable_sync_subtasks=False)
    again = issue_monthly_invoices.delay(2025, 3).get(disable_sync_subtasks=False)

    assert len(first) == 3 and again == []
    assert InvoiceSequence.objects.get().last_number == 3


def test_numbers_run_without_gaps_per_year_across_kinds(month):
    services.invoice_issue_monthly(year=2025, month=3, now=APRIL_1)
    note = services.credit_note_issue(
        invoice=Invoice.objects.get(number="2025-000002"), now=APRIL_1
    )
    next_year = services.invoice_issue_for_session(
        session=month["april"], now=datetime(2026, 1, 2, tzinfo=UTC)
    )

    assert note.number == "2025-000004"
    assert next_year.number == "2026-000001"
    numbers = (
        Invoice.objects.filter(year=2025).order_by("sequence").values_list("sequence", flat=True)
    )
    assert list(numbers) == [1, 2, 3, 4]


def test_a_session_can_be_invoiced_on_demand_once(month):
    invoice = services.invoice_issue_for_session(session=month["anonymous"], now=APRIL_1)

    assert invoice.customer is None and invoice.lines.get().session == month["anonymous"]
    assert invoice.period_start == invoice.period_end == month["anonymous"].ended_at.date()
    with pytest.raises(InvoiceError, match="already invoiced"):
        services.invoice_issue_for_session(session=month["anonymous"])
    assert month["anonymous"].pk not in {
        line.session_id
        for i in services.invoice_issue_monthly(year=2025, month=3, now=APRIL_1)
        for line in i.lines.all()
    }


def test_a_running_session_cannot_be_invoiced(month):
    car = month["dora_car"].station
    running = session(car, FRIDAY, 0, 0, ended=False, connector=2)

    with pytest.raises(InvoiceError, match="not ended"):
        services.invoice_issue_for_session(session=running)


def test_a_credit_note_cancels_an_invoice_and_frees_its_sessions(month):
    invoice = services.invoice_issue_for_session(session=month["erik_car"], now=APRIL_1)

    note = services.credit_note_issue(invoice=invoice, reason="Wrong tariff", now=APRIL_1)

    assert note.kind == Invoice.Kind.CREDIT_NOTE and note.credited_invoice == invoice
    assert (note.net, note.tax, note.gross) == (-invoice.net, -invoice.tax, -invoice.gross)
    assert [line.gross for line in note.lines.all()] == [-invoice.gross]
    assert services.session_is_invoiced(month["erik_car"]) is False
    again = services.invoice_issue_for_session(session=month["erik_car"], now=APRIL_1)
    assert again.number == "2025-000003"
    with pytest.raises(InvoiceError, match="credited already"):
        services.credit_note_issue(invoice=invoice)
    with pytest.raises(InvoiceError, match="Only an invoice"):
        services.credit_note_issue(invoice=note)


def test_an_issued_invoice_never_changes(month):
    invoice = services.invoice_issue_for_session(session=month["erik_car"], now=APRIL_1)
    line = invoice.lines.get()

    invoice.gross = D("0")
    with pytest.raises(ImmutableInvoiceError):
        invoice.save()
    with pytest.raises(ImmutableInvoiceError):
        invoice.delete()
    with pytest.raises(ImmutableInvoiceError):
        line.save()
    # Saturday, no peak: 7.4 kWh x 0.35 = 2.59, tax 0.5439 -> 0.54
    assert Invoice.objects.get(pk=invoice.pk).gross == D("3.13")


def test_invoice_html_shows_parties_lines_and_totals(month):
    invoice = services.invoice_issue_monthly(year=2025, month=3, now=APRIL_1)[1]

    html = documents.invoice_html(invoice)

    for text in (
        "Invoice 2025-000002",
        "ChargeNet Harbour B.V.",
        "NL001",
        "Dora Driver",
        "Energy (Peak)",
        "Net at 21 %",
        "13.24",
        "CN-CAR-1/1",
    ):
        assert text in html


def test_invoice_pdf_is_a_pdf_named_after_the_invoice(month):
    invoice = services.invoice_issue_monthly(year=2025, month=3, now=APRIL_1)[0]

    pdf = documents.invoice_pdf(invoice)

    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert b"Invoice 2025-000001" in pdf  # the document title, kept uncompressed


def test_invoice_pdf_prints_chinese_names(month):
    month["dora"].first_name, month["dora"].last_name = "李", "娜"
    month["dora"].save()
    invoice = services.invoice_issue_monthly(year=2025, month=3, now=APRIL_1)[0]

    pdf = documents.invoice_pdf(invoice)

    assert invoice.customer_name == "李 娜"
    assert b"/FontFile2" in pdf  # the CJK font is embedded, not left to the viewer
    assert "李 娜" in "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_monthly_task_defaults_to_the_month_that_ended(month, monkeypatch):
    monkeypatch.setattr(timezone, "now", lambda: APRIL_1)

    assert issue_monthly_invoices.delay().get(disable_sync_subtasks=False) == [
        "2025-000001",
        "2025-000002",
        "2025-000003",
    ]


def test_beat_schedule_issues_invoices_and_reports_monthly():
    schedule = app.conf.beat_schedule
    invoices = schedule["billing-issue-monthly-invoices"]
    reports = schedule["billing-monthly-report"]

    assert invoices["task"] == issue_monthly_invoices.name and invoices["task"] in app.tasks
    assert reports["task"] in app.tasks
    assert invoices["schedule"].day_of_month == {1}
