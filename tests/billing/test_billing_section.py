"""The Billing section of the operator's pages, in English and Chinese: the menu, tariffs
(edit, assign, price preview), issuing invoices and credit notes (refused until the
operator profile is complete), the profile, balances and card requests.
"""

from decimal import Decimal as D

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from billing.models import (
    BalanceEntry,
    CardRequest,
    Invoice,
    OperatorProfile,
    Tariff,
    TariffAssignment,
)
from stations.models import IdToken
from tests.support.billing import (
    FRIDAY,
    assign,
    car_readings,
    car_tariff,
    driver,
    network,
    session,
    token_for,
)

pytestmark = pytest.mark.django_db

LANGUAGES = ["en", "zh-hans"]
BILLING_PAGES = [
    "/billing/tariffs/",
    "/billing/tariffs/new/",
    "/billing/invoices/",
    "/billing/reports/",
    "/billing/balances/",
    "/billing/cards/",
    "/billing/profile/",
]


@pytest.fixture
def ops():
    user = get_user_model().objects.create_user("ops", "ops@example.com", None, is_staff=True)
    client = Client()
    client.force_login(user)
    return client


def in_language(client: Client, language: str) -> Client:
    client.cookies["django_language"] = language
    return client


@pytest.fixture
def ended(media_root):
    """A priced-later car session of Dora's that ended on a Friday evening."""
    _, car, _ = network()
    assign(car_tariff(), station=car)
    dora = driver()
    return session(car, FRIDAY, 180, 18_500, token=token_for(dora), readings=car_readings())


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Billing", "Tariffs", "Invoices", "Reports", "Balances", "Card requests"]),
        ("zh-hans", ["计费", "资费", "发票", "报表", "余额", "卡申请"]),
    ],
)
def test_the_dashboard_menu_links_every_billing_page(ops, language, words):
    page = in_language(ops, language).get("/").content.decode()

    for url in BILLING_PAGES:
        if url != "/billing/tariffs/new/":
            assert f'href="{url}"' in page
    for word in words:
        assert word in page


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("url", BILLING_PAGES)
def test_every_billing_page_opens_for_operators_only(ops, url, language):
    assert in_language(ops, language).get(url).status_code == 200
    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    outsider = Client()
    outsider.force_login(driver("erik"))
    assert outsider.get(url).status_code == 403


def test_an_operator_creates_a_tariff_and_assigns_it_to_a_station(ops):
    _, car, _ = network()
    response = ops.post(
        "/billing/tariffs/new/",
        {
            "name": "Harbour AC",
            "currency": "eur",
            "tax_rate_percent": "21",
            "energy_price_per_kwh": "0.35",
            "time_price_per_hour": "0",
            "time_block_minutes": "1",
            "session_fee": "0.50",
            "idle_price_per_minute": "0",
            "idle_grace_minutes": "0",
        },
    )
    tariff = Tariff.objects.get(name="Harbour AC")
    assert response.status_code == 302 and response["Location"] == f"/billing/tariffs/{tariff.pk}/"
    assert tariff.currency == "EUR" and tariff.session_fee == D("0.50")

    ops.post(f"/billing/tariffs/{tariff.pk}/assign/", {"station": car.pk})

    assert TariffAssignment.objects.get(station=car).tariff == tariff
    page = ops.get("/billing/tariffs/").content.decode()
    assert "Harbour AC" in page and "CN-CAR-1" in page


def test_an_assignment_needs_exactly_one_target_and_changes_nothing_otherwise(ops):
    site, car, _ = network()
    tariff = car_tariff()

    response = ops.post(
        f"/billing/tariffs/{tariff.pk}/assign/", {"station": car.pk, "site": site.pk}, follow=True
    )

    assert not TariffAssignment.objects.exists()
    assert "Choose exactly one site, station or connector." in response.content.decode()


def test_a_bad_tariff_is_refused_with_its_reason_and_nothing_is_saved(ops):
    response = ops.post("/billing/tariffs/new/", {"name": "X", "currency": "EURO"})
    assert response.status_code == 200
    assert not Tariff.objects.exists()
    assert "field-error-text" in response.content.decode()


@pytest.mark.parametrize(
    ("start", "energy_line", "gross"),
    [
        # Saturday 18:00: the base price, 12 kWh × 0.35 = 4.20, 21 % tax 0.88.
        ("2025-03-08T18:00", "12 kWh", "5.08"),
        # Friday 18:00: the weekday evening peak, 12 kWh × 0.45 = 5.40, tax 1.13.
        ("2025-03-07T18:00", "12 kWh", "6.53"),
    ],
)
def test_the_price_preview_prices_a_session_line_by_line(ops, start, energy_line, gross):
    site, _, _ = network()
    tariff = car_tariff()

    page = ops.get(
        f"/billing/tariffs/{tariff.pk}/",
        {"start": start, "minutes": "45", "kwh": "12", "site": site.pk},
    ).content.decode()

    assert "A 45-minute, 12 kWh session starting at" in page
    assert f"costs {gross} EUR, line by line" in page
    assert 'id="preview-lines"' in page and "Energy" in page
    assert f"data-preview-total>{gross}<" in page


def test_the_price_preview_is_in_chinese_too(ops):
    site, _, _ = network()
    tariff = car_tariff()

    page = (
        in_language(ops, "zh-hans")
        .get(
            f"/billing/tariffs/{tariff.pk}/",
            {"start": "2025-03-08T18:00", "minutes": "45", "kwh": "12", "site": site.pk},
        )
        .content.decode()
    )

    assert "5.08 EUR" in page and "价格预览" in page and "逐项" in page


def test_issuing_is_refused_until_the_operator_profile_is_complete(ops, ended):
    OperatorProfile.objects.filter(pk=1).update(tax_id="", registration_number="")

    response = ops.post("/billing/invoices/issue/session/", {"session": ended.pk}, follow=True)

    assert not Invoice.objects.exists()
    text = response.content.decode()
    assert "Complete the operator profile before issuing invoices" in text
    assert "tax (VAT) id" in text and "registration number" in text
    assert 'id="profile-missing"' in ops.get("/billing/invoices/").content.decode()


def test_the_api_refuses_issuing_with_409_until_the_profile_is_complete(api_client, ended):
    OperatorProfile.objects.filter(pk=1).update(name="")

    response = api_client.post("/api/v1/invoices/", {"session": ended.pk}, format="json")

    assert response.status_code == 409
    body = response.json()
    assert body["errors"] == {} and "legal name" in body["detail"]
    assert not Invoice.objects.exists()


def test_an_operator_completes_the_profile_then_issues_and_credits_an_invoice(ops, ended):
    OperatorProfile.objects.filter(pk=1).delete()
    ops.post(
        "/billing/profile/",
        {
            "name": "Harbour Charging GmbH",
            "address": "Kaistraße 1\n10115 Berlin",
            "tax_id": "DE123456789",
            "registration_number": "HRB 12345 B",
            "payment_terms_days": "14",
            "timezone": "Europe/Berlin",
        },
    )
    assert OperatorProfile.current().missing() == []

    issued = ops.post("/billing/invoices/issue/session/", {"session": ended.pk}, follow=True)
    invoice = Invoice.objects.get()
    assert f"Invoice {invoice.number} issued." in issued.content.decode()
    assert invoice.seller_registration == "HRB 12345 B"

    ops.post(f"/billing/invoices/{invoice.pk}/credit-note/", {"reason": "Wrong card"})
    note = Invoice.objects.get(kind=Invoice.Kind.CREDIT_NOTE)
    assert note.credited_invoice == invoice and note.gross == -invoice.gross
    listing = ops.get("/billing/invoices/").content.decode()
    assert f"Credited by {note.number}" in listing
    assert ops.get(f"/billing/invoices/{invoice.pk}/pdf/")["Content-Type"] == "application/pdf"


def test_an_operator_invoices_a_month(ops, ended):
    response = ops.post("/billing/invoices/issue/month/", {"month": "2025-03"}, follow=True)

    assert Invoice.objects.count() == 1
    assert "1 invoice issued for 2025-03." in response.content.decode()
    again = ops.post("/billing/invoices/issue/month/", {"month": "2025-03"}, follow=True)
    assert Invoice.objects.count() == 1 and "0 invoices issued" in again.content.decode()


def test_an_operator_tops_up_a_balance_and_reads_the_ledger(ops):
    dora = driver()

    response = ops.post(
        "/billing/balances/",
        {"driver": dora.pk, "amount": "20.00", "currency": "eur", "note": "Cash at the desk"},
    )

    assert response.status_code == 302
    entry = BalanceEntry.objects.get()
    assert (
        entry.amount == D("20.00")
        and entry.currency == "EUR"
        and entry.created_by.username == "ops"
    )
    ledger = ops.get(f"/billing/balances/{dora.pk}/").content.decode()
    assert "20.00 EUR" in ledger and "Cash at the desk" in ledger
    assert "20.00 EUR" in ops.get("/billing/balances/").content.decode()


def test_a_negative_top_up_is_refused_and_records_nothing(ops):
    dora = driver()
    response = ops.post(
        "/billing/balances/", {"driver": dora.pk, "amount": "-5", "currency": "EUR"}
    )
    assert response.status_code == 200 and not BalanceEntry.objects.exists()


@pytest.mark.parametrize(("decision", "status"), [("approve", "accepted"), ("refuse", "blocked")])
def test_an_operator_answers_a_card_request(ops, decision, status):
    dora = driver()
    card = IdToken.objects.create(value="DORA-2", owner=dora, status=IdToken.Status.BLOCKED)
    request = CardRequest.objects.create(id_token=card, driver=dora)
    assert "DORA-2" in ops.get("/billing/cards/").content.decode()

    ops.post(f"/billing/cards/{request.pk}/answer/", {"decision": decision})

    card.refresh_from_db()
    request.refresh_from_db()
    assert card.status == status
    assert request.status == ("approved" if decision == "approve" else "refused")


def test_a_refusal_from_a_sessions_page_returns_there_and_never_elsewhere(ops, ended):
    OperatorProfile.objects.filter(pk=1).update(address="")
    back = f"/sessions/{ended.pk}/"

    here = ops.post("/billing/invoices/issue/session/", {"session": ended.pk, "next": back})
    away = ops.post(
        "/billing/invoices/issue/session/",
        {"session": ended.pk, "next": "https://elsewhere.example/"},
    )

    assert here["Location"] == back
    assert away["Location"] == "/billing/invoices/"
    assert not Invoice.objects.exists()
