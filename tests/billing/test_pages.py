"""Billing pages: reports with progress, files and charts; invoices for operators and drivers."""

import pytest
from django.contrib.auth import get_user_model

from billing import services
from billing.models import Report
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


@pytest.fixture
def staff_ops(client):
    user = get_user_model().objects.create_user("ops", "ops@example.com", None, is_staff=True)
    client.force_login(user)
    return client


@pytest.fixture
def invoiced(media_root):
    _, car, _ = network()
    assign(car_tariff(), station=car)
    dora = driver()
    ended = session(car, FRIDAY, 180, 18_500, token=token_for(dora), readings=car_readings())
    return services.invoice_issue_for_session(session=ended)


def test_pages_need_an_operator(client):
    assert client.get("/billing/reports/").status_code == 302  # to log in
    client.force_login(driver())
    assert client.get("/billing/reports/").status_code == 403
    assert client.get("/billing/invoices/").status_code == 403


def test_reports_page_asks_for_a_report_and_shows_it_when_ready(
    staff_ops, invoiced, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_ops.post(
            "/billing/reports/", {"period_start": "2025-03-01", "period_end": "2025-03-31"}
        )

    assert response.status_code == 302
    report = Report.objects.get()
    assert report.status == "done" and report.requested_by.username == "ops"
    page = staff_ops.get("/billing/reports/?month=2025-03").content.decode()
    assert f"/billing/reports/{report.pk}/csv/" in page
    assert "<svg" in page and "Harbour Square" in page and "Revenue (EUR)" in page


def test_a_report_being_made_shows_its_progress(staff_ops):
    report = Report.objects.create(
        period_start=FRIDAY.date(), period_end=FRIDAY.date(), status="running", progress=40
    )

    page = staff_ops.get("/billing/reports/").content.decode()
    status = staff_ops.get(f"/billing/reports/{report.pk}/status/").json()

    assert '<progress max="100" value="40">' in page
    assert f'data-status-url="/billing/reports/{report.pk}/status/"' in page
    assert status == {
        "id": report.pk,
        "status": "running",
        "progress": 40,
        "error": "",
        "summary": {},
    }
    assert staff_ops.get(f"/billing/reports/{report.pk}/csv/").status_code == 404


def test_an_invalid_report_request_shows_the_form_again(staff_ops):
    response = staff_ops.post(
        "/billing/reports/", {"period_start": "2025-03-02", "period_end": "2025-03-01"}
    )

    assert response.status_code == 200
    assert "The period ends before it starts." in response.content.decode()
    assert not Report.objects.exists()


def test_report_files_download(staff_ops, invoiced, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = services.report_request(
            period_start=FRIDAY.date().replace(day=1), period_end=FRIDAY.date()
        )

    csv = staff_ops.get(f"/billing/reports/{report.pk}/csv/")
    xlsx = staff_ops.get(f"/billing/reports/{report.pk}/xlsx/")

    assert csv.status_code == xlsx.status_code == 200
    assert b"CN-CAR-1" in b"".join(csv.streaming_content)
    assert b"".join(xlsx.streaming_content).startswith(b"PK")  # a zip: the XLSX container
    assert staff_ops.get(f"/billing/reports/{report.pk}/pdf/").status_code == 404


def test_operators_see_all_invoices(staff_ops, invoiced):
    page = staff_ops.get("/billing/invoices/?year=2026").content.decode()
    everything = staff_ops.get("/billing/invoices/").content.decode()

    assert invoiced.number in everything and "Dora Driver" in everything
    assert (invoiced.number in page) == (invoiced.year == 2026)


def test_a_driver_sees_their_invoice_and_nobody_elses(client, invoiced):
    client.force_login(invoiced.customer)
    assert invoiced.number in client.get("/billing/invoices/mine/").content.decode()
    assert client.get(f"/billing/invoices/{invoiced.pk}/").status_code == 200
    pdf = client.get(f"/billing/invoices/{invoiced.pk}/pdf/")
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF-")

    client.force_login(driver("erik"))
    assert client.get(f"/billing/invoices/{invoiced.pk}/").status_code == 404
    assert client.get(f"/billing/invoices/{invoiced.pk}/pdf/").status_code == 404
    assert invoiced.number not in client.get("/billing/invoices/mine/").content.decode()


def test_operator_reads_an_invoice_as_html(staff_ops, invoiced):
    page = staff_ops.get(f"/billing/invoices/{invoiced.pk}/").content.decode()

    assert f"Invoice {invoiced.number}" in page and "11.45" in page
