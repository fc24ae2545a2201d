"""REST API v1: tariffs, invoices and reports — fields, writes, errors, files, schema."""

import io

import pytest
import yaml
from django.core.management import call_command
from openpyxl import load_workbook
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from billing import services
from billing.models import Invoice, Report, Tariff
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

CAR_TARIFF = {
    "name": "Car AC",
    "currency": "eur",
    "tax_rate_percent": "21",
    "energy_price_per_kwh": "0.35",
    "idle_price_per_minute": "0.10",
    "idle_grace_minutes": 15,
    "idle_fee_cap": "10.00",
    "time_of_use": [
        {
            "label": "Peak",
            "weekdays": [4, 0, 1, 2, 3],
            "start_time": "17:00",
            "end_time": "21:00",
            "energy_price_per_kwh": "0.45",
        }
    ],
}


@pytest.fixture
def stations():
    return network()


# --- access ------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["/api/v1/tariffs/", "/api/v1/invoices/", "/api/v1/reports/"])
def test_anonymous_gets_401_and_drivers_403(url):
    assert APIClient().get(url).status_code == 401
    user = driver()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    response = client.get(url)
    assert response.status_code == 403
    assert response.json() == {"detail": "Operator (staff) access is required.", "errors": {}}


# --- tariffs -----------------------------------------------------------------------


def test_create_a_tariff_with_time_of_use_and_assignments(api_client, stations):
    site, car, bike = stations
    body = {
        **CAR_TARIFF,
        "assignments": [{"station": "CN-CAR-1"}, {"station": "CN-BIKE-1", "connector": 2}],
    }

    response = api_client.post("/api/v1/tariffs/", body, format="json")

    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["currency"] == "EUR" and data["energy_price_per_kwh"] == "0.35000"
    assert data["time_of_use"][0]["weekdays"] == [0, 1, 2, 3, 4]
    assert data["time_of_use"][0]["start_time"] == "17:00:00"
    assert data["assignments"] == [
        {"site": None, "station": "CN-CAR-1", "connector": None},
        {"site": None, "station": "CN-BIKE-1", "connector": 2},
    ]
    tariff = Tariff.objects.get(pk=data["id"])
    resolved = services.tariff_for(station_pk=car.pk, connector_pk=None, site_pk=site.pk)
    assert resolved == tariff and tariff.time_of_use.get().weekdays == "01234"


def test_edit_replaces_only_the_lists_given(api_client, stations):
    tariff = api_client.post("/api/v1/tariffs/", CAR_TARIFF, format="json").json()
    url = f"/api/v1/tariffs/{tariff['id']}/"

    response = api_client.patch(
        url,
        {"session_fee": "0.50", "power_tiers": [{"up_to_w": 200, "price_per_hour": "0.25"}]},
        format="json",
    )

    data = response.json()
    assert response.status_code == 200 and data["session_fee"] == "0.50000"
    assert len(data["time_of_use"]) == 1 and data["power_tiers"] == [
        {"up_to_w": 200, "price_per_hour": "0.25000"}
    ]
    assert api_client.delete(url).status_code == 204
    assert not Tariff.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"currency": "EURO"}, "currency"),
        ({"currency": "XYZ"}, "currency"),
        ({"minimum_price": "5", "maximum_price": "1"}, "maximum_price"),
        ({"energy_price_per_kwh": "-0.1"}, "energy_price_per_kwh"),
        ({"time_block_minutes": 7}, "time_block_minutes"),
        (
            {
                "time_of_use": [
                    {"label": "x", "weekdays": [7], "start_time": "1:00", "end_time": "2:00"}
                ]
            },
            "time_of_use",
        ),
        (
            {
                "power_tiers": [
                    {"up_to_w": 200, "price_per_hour": "1"},
                    {"up_to_w": 200, "price_per_hour": "2"},
                ]
            },
            "power_tiers",
        ),
        ({"assignments": [{"connector": 1}]}, "assignments"),
        ({"assignments": [{"station": "CN-CAR-1", "connector": 9}]}, "assignments"),
        ({"assignments": [{"station": "NOPE"}]}, "assignments"),
    ],
)
def test_invalid_tariffs_are_refused_with_the_field(api_client, stations, change, field):
    response = api_client.post("/api/v1/tariffs/", {**CAR_TARIFF, **change}, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_a_target_has_one_tariff_and_there_is_one_default(api_client, stations):
    car_tariff(is_default=True)
    assign(Tariff.objects.get(), station=stations[1])
    body = {**CAR_TARIFF, "name": "Other", "assignments": [{"station": "CN-CAR-1"}]}

    taken = api_client.post("/api/v1/tariffs/", body, format="json")
    second_default = api_client.post(
        "/api/v1/tariffs/", {**CAR_TARIFF, "name": "Other", "is_default": True}, format="json"
    )

    assert taken.status_code == 400 and "already has another tariff" in str(taken.json())
    assert second_default.status_code == 400 and "is_default" in second_default.json()["errors"]


def test_tariffs_list_and_filter(api_client, stations):
    car_tariff()
    Tariff.objects.create(name="Yuan", currency="CNY")

    response = api_client.get("/api/v1/tariffs/?currency=CNY")

    assert response.json()["count"] == 1 and response.json()["results"][0]["name"] == "Yuan"


# --- invoices ----------------------------------------------------------------------


@pytest.fixture
def ended(stations):
    _, car, _ = stations
    assign(car_tariff(), station=car)
    dora = driver()
    return session(car, FRIDAY, 180, 18_500, token=token_for(dora), readings=car_readings())


def test_invoice_a_session_on_demand_and_read_it(api_client, ended):
    response = api_client.post("/api/v1/invoices/", {"session": ended.pk}, format="json")

    assert response.status_code == 201, response.json()
    invoice = response.json()
    assert invoice["kind"] == "invoice" and invoice["customer_name"] == "Dora Driver"
    assert (invoice["net"], invoice["tax"], invoice["gross"]) == ("9.46", "1.99", "11.45")
    (line,) = invoice["lines"]
    assert line["session"] == ended.pk and line["gross"] == "11.45"
    assert [d["description"] for d in line["details"]] == [
        "Energy",
        "Energy (Peak)",
        "Idle fee after 15 min grace",
    ]
    assert invoice["pdf_url"].endswith(f"/api/v1/invoices/{invoice['id']}/pdf/")
    listed = api_client.get("/api/v1/invoices/?kind=invoice").json()
    assert listed["count"] == 1 and listed["results"][0]["number"] == invoice["number"]
    again = api_client.post("/api/v1/invoices/", {"session": ended.pk}, format="json")
    assert again.status_code == 400
    assert again.json()["detail"] == "The session is already invoiced."


def test_invoice_of_an_unknown_session_is_a_400(api_client, stations):
    response = api_client.post("/api/v1/invoices/", {"session": 999}, format="json")

    assert response.status_code == 400 and "session" in response.json()["errors"]


def test_credit_note_through_the_api(api_client, ended):
    invoice = services.invoice_issue_for_session(session=ended)

    response = api_client.post(
        f"/api/v1/invoices/{invoice.pk}/credit-note/", {"reason": "Wrong tariff"}, format="json"
    )

    assert response.status_code == 201
    note = response.json()
    assert note["kind"] == "credit_note" and note["credited_invoice"] == invoice.number
    assert note["gross"] == "-11.45" and note["reason"] == "Wrong tariff"
    read = api_client.get(f"/api/v1/invoices/{invoice.pk}/").json()
    assert read["credit_note"] == note["number"]
    twice = api_client.post(f"/api/v1/invoices/{invoice.pk}/credit-note/", {}, format="json")
    assert twice.status_code == 400


def test_invoices_cannot_be_edited_or_deleted(api_client, ended):
    invoice = services.invoice_issue_for_session(session=ended)
    url = f"/api/v1/invoices/{invoice.pk}/"

    assert api_client.patch(url, {"gross": "0"}, format="json").status_code == 405
    assert api_client.delete(url).status_code == 405
    assert Invoice.objects.get().gross == invoice.gross


def test_invoice_pdf_download(api_client, ended):
    invoice = services.invoice_issue_for_session(session=ended)

    response = api_client.get(f"/api/v1/invoices/{invoice.pk}/pdf/")
    as_pdf = api_client.get(f"/api/v1/invoices/{invoice.pk}/pdf/", HTTP_ACCEPT="application/pdf")
    missing = api_client.get("/api/v1/invoices/999/pdf/", HTTP_ACCEPT="application/pdf")

    assert response.status_code == as_pdf.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert invoice.number in response["Content-Disposition"]
    assert missing.status_code == 404 and b"detail" in missing.content


# --- reports -----------------------------------------------------------------------


def test_ask_for_a_report_then_download_it(
    api_client, ended, settings, tmp_path, django_capture_on_commit_callbacks
):
    settings.MEDIA_ROOT = tmp_path
    services.session_price(ended)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client.post(
            "/api/v1/reports/",
            {"period_start": "2025-03-01", "period_end": "2025-03-31", "station": "CN-CAR-1"},
            format="json",
        )

    assert response.status_code == 201
    report = response.json()
    assert report["station"] == "CN-CAR-1" and report["kind"] == "on_demand"
    # Celery runs eagerly here, after the commit: read the report again.
    report = api_client.get(f"/api/v1/reports/{report['id']}/").json()
    assert report["status"] == "done" and report["progress"] == 100
    assert report["summary"]["revenue_gross"] == {"EUR": "11.45"}
    csv = api_client.get(report["csv_url"])
    assert csv.status_code == 200 and b"CN-CAR-1" in b"".join(csv.streaming_content)
    xlsx = api_client.get(report["xlsx_url"])
    workbook = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content)))
    assert workbook.sheetnames == ["Sites and stations", "Daily by site"]


def test_a_report_not_done_has_no_files(api_client, stations):
    report = Report.objects.create(period_start=FRIDAY.date(), period_end=FRIDAY.date())

    data = api_client.get(f"/api/v1/reports/{report.pk}/").json()

    assert data["status"] == "pending" and data["csv_url"] is None
    assert api_client.get(f"/api/v1/reports/{report.pk}/csv/").status_code == 404


def test_a_report_period_must_not_end_before_it_starts(api_client):
    response = api_client.post(
        "/api/v1/reports/",
        {"period_start": "2025-03-02", "period_end": "2025-03-01"},
        format="json",
    )

    assert response.status_code == 400 and "period_end" in response.json()["errors"]


# --- schema ------------------------------------------------------------------------


def test_schema_lists_the_billing_resources(schema):
    paths = schema["paths"]
    assert set(paths["/api/v1/tariffs/"]) == {"get", "post"}
    assert set(paths["/api/v1/tariffs/{id}/"]) == {"get", "patch", "delete"}
    assert set(paths["/api/v1/invoices/"]) == {"get", "post"}
    assert set(paths["/api/v1/invoices/{id}/pdf/"]) == {"get"}
    assert set(paths["/api/v1/invoices/{id}/credit-note/"]) == {"post"}
    assert set(paths["/api/v1/reports/"]) == {"get", "post"}
    assert set(paths["/api/v1/reports/{id}/csv/"]) == {"get"}
    pdf = paths["/api/v1/invoices/{id}/pdf/"]["get"]["responses"]["200"]["content"]
    assert list(pdf) == ["application/pdf"]


def test_every_billing_field_is_described(schema):
    for name, component in schema["components"]["schemas"].items():
        if name.startswith("Paginated"):
            continue
        for field, spec in component.get("properties", {}).items():
            assert spec.get("description"), f"{name}.{field} has no description"


def test_schema_validates_without_warnings(tmp_path):
    target = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "/api/v1/tariffs/" in yaml.safe_load(target.read_text())["paths"]
