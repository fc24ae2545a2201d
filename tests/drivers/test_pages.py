"""Drivers' pages: accounts, /me/, the QR start flow, cards, balance and what they may see."""

from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from billing.balances import balance_debit_session, balance_of, balance_top_up
from billing.models import BalanceEntry, CardRequest, Tariff
from stations.models import IdToken, LocalAuthList
from tests.support.drivers import PASSWORD, session_for


@pytest.fixture
def client_in(client, driver):
    client.force_login(driver)
    return client


# --- accounts ----------------------------------------------------------------------------


def test_sign_up_sends_a_link_that_activates_the_account(client, db):
    answer = client.post(
        "/me/signup/",
        {
            "username": "newbie",
            "email": "newbie@example.com",
            "password1": "a-Long-pass-9931",
            "password2": "a-Long-pass-9931",
        },
    )
    assert answer.status_code == 200
    user = get_user_model().objects.get(username="newbie")
    assert not user.is_active
    assert len(mail.outbox) == 1
    link = next(line for line in mail.outbox[0].body.splitlines() if "/me/confirm/" in line)
    answer = client.get(link.split("testserver")[1])
    assert answer.status_code == 302 and answer["Location"] == "/me/"
    user.refresh_from_db()
    assert user.is_active


def test_a_forged_confirmation_link_is_refused(client, driver):
    assert client.get("/me/confirm/MQ/not-a-token/").status_code == 400


def test_password_reset_mails_a_link_to_the_drivers_page(client, driver):
    client.post("/me/password-reset/", {"email": "dora@example.com"})
    assert len(mail.outbox) == 1
    assert "/me/password-reset/" in mail.outbox[0].body


def test_login_goes_to_me(client, driver):
    answer = client.post("/me/login/", {"username": "dora", "password": PASSWORD})
    assert answer.status_code == 302 and answer["Location"] == "/me/"


def test_me_asks_anonymous_visitors_to_log_in(client, db):
    answer = client.get("/me/")
    assert answer.status_code == 302 and answer["Location"].startswith("/me/login/?next=/me/")


# --- now and history ----------------------------------------------------------------------


def test_me_shows_the_running_session_with_a_stop_button(client_in, driver, pile):
    session = session_for(driver, pile, state="active")
    page = client_in.get("/me/").content.decode()
    assert "EB-1" in page and f"/me/sessions/{session.pk}/stop/" in page
    live = client_in.get("/me/live.json").json()["sessions"]
    assert live[0]["id"] == session.pk and live[0]["energy_wh"] == 1200


def test_stop_sends_a_remote_stop_for_the_session(client_in, driver, pile, sent):
    session = session_for(driver, pile, state="active")
    answer = client_in.post(f"/me/sessions/{session.pk}/stop/", follow=True)
    assert sent == [("EB-1", "remote_stop", {"session_id": session.pk})]
    assert "The charger accepted." in answer.content.decode()


def test_history_totals_each_month_and_itemises_a_price(client_in, driver, pile):
    session_for(driver, pile)
    session = session_for(driver, pile, price=Decimal("2.00"))
    page = client_in.get("/me/history/").content.decode()
    assert "3.50 CNY" in page
    detail = client_in.get(f"/me/sessions/{session.pk}/").content.decode()
    assert "Energy" in detail and "2.00 CNY" in detail


def test_history_filters_by_station(client_in, driver, pile):
    session_for(driver, pile)
    page = client_in.get("/me/history/?station=nowhere").content.decode()
    assert "No sessions." in page


# --- privacy: another driver's ids answer 404 ----------------------------------------------


def test_another_drivers_session_is_not_found(client_in, other, pile):
    session = session_for(other, pile)
    assert client_in.get(f"/me/sessions/{session.pk}/").status_code == 404
    assert "OTTO" not in client_in.get("/me/history/").content.decode()


def test_another_drivers_session_cannot_be_stopped(client_in, other, pile, sent):
    session = session_for(other, pile, state="active")
    assert client_in.post(f"/me/sessions/{session.pk}/stop/").status_code == 404
    assert sent == []
    assert client_in.get("/me/live.json").json()["sessions"] == []


def test_another_drivers_card_cannot_be_blocked_or_seen(client_in, other):
    card = other.id_tokens.get()
    assert client_in.post(f"/me/cards/{card.pk}/block/").status_code == 404
    card.refresh_from_db()
    assert card.status == "accepted"
    assert "OTTO-1" not in client_in.get("/me/cards/").content.decode()


def test_another_drivers_balance_is_not_shown(client_in, other):
    balance_top_up(driver=other, amount=Decimal("99"), currency="CNY")
    assert "99.00" not in client_in.get("/me/balance/").content.decode()


def test_another_drivers_invoice_is_not_found(client_in, driver, other, pile):
    from billing.services import invoice_issue_for_session

    Tariff.objects.create(
        name="Bike", currency="CNY", energy_price_per_kwh=Decimal("1"), is_default=True
    )
    mine = invoice_issue_for_session(session=session_for(driver, pile))
    theirs = invoice_issue_for_session(session=session_for(other, pile))
    assert client_in.get(f"/billing/invoices/{mine.pk}/").status_code == 200
    assert client_in.get(f"/billing/invoices/{theirs.pk}/").status_code == 404
    assert client_in.get(f"/billing/invoices/{theirs.pk}/pdf/").status_code == 404
    listing = client_in.get("/billing/invoices/mine/").content.decode()
    assert mine.number in listing and theirs.number not in listing


# --- cards ---------------------------------------------------------------------------------


def test_an_added_card_waits_for_an_operator(client_in, driver):
    client_in.post("/me/cards/", {"value": "NEW-CARD", "label": "bike"})
    card = IdToken.objects.get(value="NEW-CARD")
    assert card.owner == driver and card.status == "blocked"
    assert card.card_request.status == CardRequest.Status.PENDING
    assert "pending approval" in client_in.get("/me/cards/").content.decode()


def test_without_approval_an_added_card_works_at_once(client_in, settings):
    settings.DRIVER_CARDS_NEED_APPROVAL = False
    client_in.post("/me/cards/", {"value": "NEW-CARD"})
    assert IdToken.objects.get(value="NEW-CARD").status == "accepted"


def test_a_card_already_registered_is_refused(client_in, other):
    page = client_in.post("/me/cards/", {"value": "otto-1"}, follow=True).content.decode()
    assert "already registered" in page
    assert other.id_tokens.get().owner == other


def test_blocking_a_lost_card_marks_local_lists_stale(client_in, driver, pile):
    LocalAuthList.objects.create(station=pile, version=3)
    card = driver.id_tokens.get()
    client_in.post(f"/me/cards/{card.pk}/block/")
    card.refresh_from_db()
    assert card.status == "blocked"
    assert LocalAuthList.objects.get(station=pile).needs_sync


# --- the QR landing page -------------------------------------------------------------------


def test_connector_page_shows_status_and_tariff_in_words(client, pile):
    Tariff.objects.create(
        name="Bike", currency="CNY", energy_price_per_kwh=Decimal("1.2"), is_default=True
    )
    page = client.get("/c/EB-1/1/").content.decode()
    assert "Available" in page and "1.20 CNY per kWh" in page and "Log in to start" in page


def test_unknown_connector_is_not_found(client, pile):
    assert client.get("/c/EB-1/9/").status_code == 404
    assert client.get("/c/NOPE/1/").status_code == 404


def test_start_when_logged_out_goes_to_login_and_back(client, pile, sent):
    answer = client.post("/c/EB-1/1/")
    assert answer["Location"] == "/me/login/?next=/c/EB-1/1/"
    assert sent == []


def test_start_sends_a_remote_start_with_the_drivers_card(client_in, pile, sent):
    answer = client_in.post("/c/EB-1/1/")
    assert answer["Location"] == "/me/"
    assert sent == [("EB-1", "remote_start", {"id_tag": "DORA-1", "connector_id": 1})]


@pytest.mark.parametrize(
    ("status", "connected", "words"),
    [
        ("Charging", True, "busy"),
        ("Faulted", True, "out of order"),
        ("Available", False, "offline"),
    ],
)
def test_no_start_on_a_busy_faulted_or_offline_connector(
    client_in, pile, sent, status, connected, words
):
    pile.connectors.filter(connector_id=1).update(status=status)
    type(pile).objects.filter(pk=pile.pk).update(connected=connected)
    assert words in client_in.get("/c/EB-1/1/").content.decode()
    page = client_in.post("/c/EB-1/1/", follow=True).content.decode()
    assert words in page
    assert sent == []


def test_a_blocked_card_cannot_start(client_in, driver, pile, sent):
    driver.id_tokens.update(status="blocked")
    page = client_in.post("/c/EB-1/1/", follow=True).content.decode()
    assert "no active card" in page and sent == []


def test_qr_code_is_an_svg_of_the_connector_page(client, pile):
    answer = client.get("/c/EB-1/2/qr.svg")
    assert answer.status_code == 200 and answer["Content-Type"] == "image/svg+xml"
    assert answer.content.startswith(b"<svg")


# --- prepaid balance -----------------------------------------------------------------------


@pytest.fixture
def block_tariff(db):
    return Tariff.objects.create(
        name="Block", currency="CNY", prepaid_block_price=Decimal("2.00"), is_default=True
    )


def test_a_start_is_refused_when_the_balance_is_short(client_in, pile, block_tariff, sent):
    page = client_in.post("/c/EB-1/1/", follow=True).content.decode()
    assert "does not cover" in page and sent == []


def test_a_start_goes_through_once_topped_up(client_in, driver, pile, block_tariff, sent):
    balance_top_up(driver=driver, amount=Decimal("5"), currency="CNY")
    client_in.post("/c/EB-1/1/")
    assert len(sent) == 1


def test_a_priced_session_is_debited_once(driver, pile):
    balance_top_up(driver=driver, amount=Decimal("5"), currency="CNY", reference="pay-1")
    balance_top_up(driver=driver, amount=Decimal("5"), currency="CNY", reference="pay-1")
    session = session_for(driver, pile, price=Decimal("1.50"))
    balance_debit_session(session=session)
    balance_debit_session(session=session)
    assert balance_of(driver=driver, currency="CNY") == Decimal("3.50")
    session.charge.gross = session.charge.net = Decimal("2.00")  # priced again, higher
    session.charge.save()
    balance_debit_session(session=session)
    assert balance_of(driver=driver, currency="CNY") == Decimal("3.00")
    kinds = list(BalanceEntry.objects.order_by("pk").values_list("kind", flat=True))
    assert kinds == ["top_up", "debit", "adjustment"]


def test_the_balance_page_lists_the_ledger(client_in, driver):
    balance_top_up(driver=driver, amount=Decimal("8"), currency="CNY")
    page = client_in.get("/me/balance/").content.decode()
    assert "8.00 CNY" in page and "Top-up" in page


def test_an_operator_approves_a_card_in_the_admin(admin_client, driver):
    from drivers.cards import card_add

    card = card_add(driver=driver, value="NEW-CARD")
    admin_client.post(
        "/admin/billing/cardrequest/",
        {"action": "approve", "_selected_action": [card.card_request.pk]},
    )
    card.refresh_from_db()
    assert card.status == "accepted"
    assert card.card_request.status == CardRequest.Status.APPROVED


def test_an_operator_records_a_top_up_in_the_admin(admin_client, admin_user, driver):
    admin_client.post(
        "/admin/billing/balanceentry/add/",
        {"driver": driver.pk, "kind": "top_up", "amount": "10", "currency": "CNY"},
    )
    entry = BalanceEntry.objects.get()
    assert entry.created_by == admin_user and balance_of(driver=driver, currency="CNY") == 10
