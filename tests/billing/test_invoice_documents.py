"""Invoices ready to send: the seller's full details, the customer's name and address from
the driver's profile, totals on the right, and the whole document in the driver's
language, HTML and PDF (a CJK font embedded; the PDF's text holds the Chinese words).
"""

import io

import pytest
from django.test import Client
from pypdf import PdfReader

from billing import documents, services
from drivers.models import DriverProfile
from tests.support.billing import (
    FRIDAY,
    assign,
    car_readings,
    car_tariff,
    complete_operator_profile,
    driver,
    network,
    session,
    token_for,
)

pytestmark = pytest.mark.django_db


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


@pytest.fixture
def issue(media_root):
    """Issue an invoice for a Friday car session of a driver with a profile in `language`."""

    def issue_for(language: str):
        complete_operator_profile(
            name="港湾充电有限公司" if language == "zh-hans" else "Harbour Charging B.V.",
            bank_account="NL91 ABNA 0417 1643 00",
        )
        _, car, _ = network()
        assign(car_tariff(), station=car)
        dora = driver()
        DriverProfile.objects.create(
            user=dora,
            full_name="李娜" if language == "zh-hans" else "Dora Driver",
            street="Keizersgracht 12",
            postal_code="1015 CX",
            city="Amsterdam",
            country="Nederland",
            language=language,
        )
        ended = session(car, FRIDAY, 180, 18_500, token=token_for(dora), readings=car_readings())
        return services.invoice_issue_for_session(session=ended), dora

    return issue_for


def test_the_invoice_shows_seller_and_customer_as_a_tax_authority_asks(issue):
    invoice, _ = issue("en")

    html = documents.invoice_html(invoice)

    assert invoice.customer_name == "Dora Driver" and invoice.language == "en"
    assert invoice.customer_address == "Keizersgracht 12\n1015 CX Amsterdam\nNederland"
    for text in (
        "Harbour Charging B.V.",
        "VAT id: NL001234567B01",
        "Registration number: KvK 12345678",
        "Kade 1",
        "Bill to",
        "Dora Driver",
        "Keizersgracht 12",
        "1015 CX Amsterdam",
        "NL91 ABNA 0417 1643 00",
    ):
        assert text in html
    assert ".totals td:first-child { text-align: right; }" in html
    assert '<tr class="grand"><td>Total (EUR)</td><td></td><td class="num">' in html


def test_the_chinese_html_invoice_is_chinese_throughout(issue):
    invoice, _ = issue("zh-hans")

    html = documents.invoice_html(invoice)

    assert '<html lang="zh-hans">' in html
    for words in (
        "发票",
        "付款方",
        "增值税号",
        "注册号",
        "净额合计",
        "税额合计",
        "合计 (EUR)",
        "电量",
    ):
        assert words in html
    assert "充电会话" in invoice.lines.get().description
    for english in ("Bill to", "Net total", "Tax total", "Charging session", "Energy"):
        assert english not in html
    assert "账期: 2025年3月14日 – 2025年3月14日" in html  # dates as Chinese writes them
    assert "年" in html and "李娜" in html


def test_the_chinese_pdf_embeds_a_cjk_font_and_its_text_reads_chinese(issue):
    invoice, _ = issue("zh-hans")

    pdf = documents.invoice_pdf(invoice)

    assert b"/FontFile2" in pdf  # a TrueType font inside the file, not a viewer's CID font
    text = pdf_text(pdf)
    for words in ("发票", "付款方", "李娜", "港湾充电有限公司", "净额合计", "合计", "电量"):
        assert words in text
    assert "Bill to" not in text and "■" not in text


def test_the_english_pdf_reads_english(issue):
    invoice, _ = issue("en")

    text = pdf_text(documents.invoice_pdf(invoice))

    assert "Bill to" in text and "Dora Driver" in text and "Keizersgracht 12" in text
    assert "Registration number: KvK 12345678" in text and "Net total" in text


def test_without_a_cjk_font_the_pdf_fails_clearly(issue, monkeypatch, settings):
    invoice, dora = issue("zh-hans")
    settings.INVOICE_CJK_FONT = "/nonexistent/font.ttf"
    monkeypatch.setattr(documents.pdfmetrics, "getRegisteredFontNames", lambda: [])

    with pytest.raises(documents.DocumentFontMissing, match="fonts-wqy-microhei"):
        documents.invoice_pdf(invoice)

    client = Client()
    client.force_login(dora)
    response = client.get(f"/billing/invoices/{invoice.pk}/pdf/")
    assert response.status_code == 503 and b"fonts-wqy-microhei" in response.content


def test_a_credit_note_keeps_the_invoices_language_and_address(issue):
    invoice, _ = issue("zh-hans")

    note = services.credit_note_issue(invoice=invoice, reason="退款")

    assert note.language == "zh-hans" and note.customer_address == invoice.customer_address
    assert note.lines.get().description.startswith("冲销：")
    assert "红字发票" in documents.invoice_html(note)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_driver_edits_their_name_and_address_for_invoices(client, language):
    dora = driver()
    client.force_login(dora)
    client.cookies["django_language"] = language

    page = client.get("/me/profile/")
    assert page.status_code == 200
    assert ("Street and number" if language == "en" else "街道和门牌号") in page.content.decode()
    response = client.post(
        "/me/profile/",
        {
            "full_name": "Dora Driver",
            "street": "Keizersgracht 12",
            "postal_code": "1015 CX",
            "city": "Amsterdam",
            "country": "NL",
            "language": "zh-hans",
            "timezone": "Europe/Amsterdam",
        },
    )

    assert response.status_code == 302
    profile = DriverProfile.objects.get(user=dora)
    assert profile.address == "Keizersgracht 12\n1015 CX Amsterdam\nNL"
    assert profile.language == "zh-hans" and profile.timezone == "Europe/Amsterdam"


def test_a_bad_time_zone_is_refused_and_changes_nothing(client):
    dora = driver()
    client.force_login(dora)
    response = client.post(
        "/me/profile/", {"full_name": "X", "language": "en", "timezone": "Mars/Olympus"}
    )
    assert response.status_code == 200
    assert DriverProfile.objects.get(user=dora).full_name == ""
