"""The station list's CSV import in the admin: check, then register all or none."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from stations.models import ChargingStation, Connector, Site
from tests.support.factories import make_station

pytestmark = pytest.mark.django_db

URL = "/admin/stations/chargingstation/import-csv/"
PASSWORD = "0123456789abcdef"


@pytest.fixture
def admin_client(operator):
    operator.is_superuser = True
    operator.save()
    client = Client()
    client.force_login(operator)
    return client


def upload(client, text: str, action: str = "import"):
    file = SimpleUploadedFile("stations.csv", text.encode(), content_type="text/csv")
    return client.post(URL, {"file": file, "action": action})


def test_the_station_list_links_to_the_import(admin_client):
    page = admin_client.get("/admin/stations/chargingstation/").content.decode()
    assert URL in page


def test_a_valid_file_registers_every_station(admin_client):
    site = Site.objects.create(name="Harbour")
    text = (
        "station_id,password,site,kind,connectors\n"
        f"CSV-1,{PASSWORD},Harbour,car,2\n"
        f"CSV-2,{PASSWORD}x,{site.pk},ebike,\n"
        "CSV-3,,,,\n"
        "\n"
    )
    response = upload(admin_client, text)
    assert response.status_code == 302
    assert response["Location"] == "/admin/stations/chargingstation/"
    first, second, third = ChargingStation.objects.order_by("station_id")
    assert (first.site, first.kind) == (site, "car")
    assert first.check_password(PASSWORD)
    assert second.kind == "ebike" and second.check_password(PASSWORD + "x")
    assert third.password == "" and third.site is None
    assert Connector.objects.filter(station=first).count() == 2
    assert not Connector.objects.filter(station=second).exists()


def test_check_only_registers_nothing_and_previews(admin_client):
    response = upload(admin_client, f"station_id,password\nCSV-1,{PASSWORD}\n", "check")
    assert response.status_code == 200
    assert 'id="import-valid"' in response.content.decode()
    assert PASSWORD not in response.content.decode()
    assert not ChargingStation.objects.exists()


def test_a_bad_line_registers_nothing_and_names_the_line(admin_client):
    make_station("TAKEN")
    text = (
        "station_id,password,site,connectors\n"
        f"CSV-1,{PASSWORD},,1\n"
        "CSV-2,short,,\n"
        f"CSV-1,{PASSWORD},,\n"
        f"TAKEN,{PASSWORD},Nowhere,abc\n"
    )
    response = upload(admin_client, text)
    assert response.status_code == 200
    errors = response.context["errors"]
    lines = {(line, field) for line, field, _ in errors}
    assert lines == {
        (2, "station_id"),
        (3, "password"),
        (4, "station_id"),
        (5, "site"),
        (5, "station_id"),
        (5, "connectors"),
    }
    assert any("No site is named 'Nowhere'" in message for *_, message in errors)
    assert list(ChargingStation.objects.values_list("station_id", flat=True)) == ["TAKEN"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"password\nabc\n", "must name the columns"),
        (b"station_id,colour\nA,red\n", "Unknown columns: colour"),
        (b"station_id\n\xff\xfe\n", "not UTF-8"),
        (b"station_id\n", "The list is empty."),
    ],
)
def test_an_unreadable_file_is_refused(admin_client, content, message):
    file = SimpleUploadedFile("stations.csv", content, content_type="text/csv")
    response = admin_client.post(URL, {"file": file, "action": "import"})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ChargingStation.objects.exists()


def test_only_operators_who_may_add_stations(db):
    client = Client()
    assert client.get(URL).status_code == 302  # to the login page
