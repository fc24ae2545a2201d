"""Operator pages need a staff login; drivers are refused; login and logout work."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

PAGES = [
    ("dashboard:overview", {}),
    ("dashboard:station-list", {}),
    ("dashboard:station", {"station_id": "CP 1+ä"}),
    ("dashboard:station-messages", {"station_id": "CP 1+ä"}),
    ("dashboard:session-list", {}),
]

pytestmark = pytest.mark.station("CP 1+ä")


@pytest.fixture
def driver_account(db):
    return get_user_model().objects.create_user("driver", "d@example.com", "driver-pass-123")


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_anonymous_users_are_sent_to_log_in(client, station, name, kwargs):
    url = reverse(name, kwargs=kwargs)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login") + "?next=")


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_drivers_are_refused(client, driver_account, station, name, kwargs):
    client.force_login(driver_account)
    response = client.get(reverse(name, kwargs=kwargs))
    assert response.status_code == 403
    assert b"Operators only" in response.content


@pytest.mark.parametrize(("name", "kwargs"), PAGES)
def test_operators_see_every_page(client, operator, station, name, kwargs):
    client.force_login(operator)
    assert client.get(reverse(name, kwargs=kwargs)).status_code == 200


def test_station_urls_percent_encode_the_id(station):
    assert reverse("dashboard:station", args=["CP 1+ä"]) == "/stations/CP%201+%C3%A4/"


def test_drivers_cannot_send_commands(client, driver_account, station):
    client.force_login(driver_account)
    url = reverse("dashboard:station-command", args=[station.station_id, "reset"])
    assert client.post(url, {"reset-type": "Soft"}).status_code == 403


def test_operator_logs_in_and_lands_on_the_overview(client, operator):
    page = client.get(reverse("login"))
    assert page.status_code == 200 and b'name="password"' in page.content
    response = client.post(
        reverse("login"), {"username": "operator", "password": "operator-pass-123"}
    )
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").status_code == 200


def test_login_follows_next(client, operator):
    response = client.post(
        reverse("login") + "?next=/sessions/",
        {"username": "operator", "password": "operator-pass-123", "next": "/sessions/"},
    )
    assert response["Location"] == "/sessions/"


def test_wrong_password_shows_the_form_again(client, operator):
    response = client.post(reverse("login"), {"username": "operator", "password": "nope"})
    assert response.status_code == 200
    assert b"alert-error" in response.content


def test_logout_ends_the_session(client, operator):
    client.force_login(operator)
    response = client.post(reverse("logout"))
    assert response.status_code == 302 and response["Location"] == reverse("login")
    assert client.get("/").status_code == 302
