"""Billing's pages and API resolve in the billing tests' URLconf."""

from django.urls import reverse

from tests.support.billing import URLCONF


def test_billing_pages_and_api_resolve():
    assert reverse("billing:report-list", urlconf=URLCONF) == "/billing/reports/"
    assert reverse("tariff-list", urlconf=URLCONF) == "/api/v1/tariffs/"
    assert reverse("invoice-pdf", args=[1], urlconf=URLCONF) == "/api/v1/invoices/1/pdf/"
    assert reverse("report-xlsx", args=[1], urlconf=URLCONF) == "/api/v1/reports/1/xlsx/"
