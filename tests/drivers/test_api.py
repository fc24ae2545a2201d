"""/api/v1/me/…: a driver's token sees and acts on that driver's data only."""

from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from billing.balances import balance_top_up
from tests.support.drivers import session_for


def client_for(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def api(driver):
    return client_for(driver)


def test_without_a_token_the_answer_is_401(db):
    assert APIClient().get("/api/v1/me/sessions/").status_code == 401


def test_a_drivers_token_works_on_me_only(api):
    assert api.get("/api/v1/me/sessions/").status_code == 200
    assert api.get("/api/v1/sessions/").status_code == 403
    assert api.get("/api/v1/id-tokens/").status_code == 403


def test_sessions_list_only_the_drivers_own(api, driver, other, pile):
    mine = session_for(driver, pile)
    theirs = session_for(other, pile)
    ids = [s["id"] for s in api.get("/api/v1/me/sessions/").json()["results"]]
    assert ids == [mine.pk]
    assert api.get(f"/api/v1/me/sessions/{theirs.pk}/").status_code == 404
    assert api.get(f"/api/v1/me/sessions/{mine.pk}/").json()["price"]["total"] == "1.50"


def test_live_figures_of_a_running_session(api, driver, pile):
    session = session_for(driver, pile, state="active")
    live = api.get(f"/api/v1/me/sessions/{session.pk}/live/").json()
    assert live["energy_wh"] == 1200 and live["station_id"] == "EB-1"


def test_start_and_stop(api, driver, other, pile, sent):
    answer = api.post("/api/v1/me/start/", {"station_id": "EB-1", "connector_id": 2})
    assert answer.status_code == 201 and answer.json()["status"] == "accepted"
    session = session_for(driver, pile, state="active")
    assert api.post(f"/api/v1/me/sessions/{session.pk}/stop/").status_code == 200
    theirs = session_for(other, pile, state="active")
    assert api.post(f"/api/v1/me/sessions/{theirs.pk}/stop/").status_code == 404
    assert [action for _, action, _ in sent] == ["remote_start", "remote_stop"]


def test_start_on_a_busy_connector_is_refused(api, pile, sent):
    pile.connectors.filter(connector_id=1).update(status="Charging")
    answer = api.post("/api/v1/me/start/", {"station_id": "EB-1", "connector_id": 1})
    assert answer.status_code == 409 and "busy" in answer.json()["detail"]
    assert sent == []


def test_cards_add_list_and_block(api, driver, other):
    answer = api.post("/api/v1/me/cards/", {"value": "NEW-1"})
    assert answer.status_code == 201 and answer.json()["state"] == "pending"
    values = [c["value"] for c in api.get("/api/v1/me/cards/").json()]
    assert values == ["DORA-1", "NEW-1"]
    card = driver.id_tokens.get(value="DORA-1")
    assert api.post(f"/api/v1/me/cards/{card.pk}/block/").json()["state"] == "blocked"
    theirs = other.id_tokens.get()
    assert api.post(f"/api/v1/me/cards/{theirs.pk}/block/").status_code == 404
    assert api.post("/api/v1/me/cards/", {"value": "OTTO-1"}).status_code == 400


def test_balance_is_the_drivers_own(api, driver, other):
    balance_top_up(driver=driver, amount=Decimal("3"), currency="CNY")
    balance_top_up(driver=other, amount=Decimal("50"), currency="CNY")
    data = api.get("/api/v1/me/balance/").json()
    assert data["balances"] == {"CNY": "3.00"}
    assert len(data["entries"]) == 1
