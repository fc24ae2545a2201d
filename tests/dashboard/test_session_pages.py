"""The sessions page shows duration, energy, price and stop reason and re-reads its rows
live; each session has a page with its meter chart, price lines and who stopped it.
Times everywhere carry their zone; stop, unlock and hard reset ask first.
"""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.template import Context, Template
from django.urls import reverse

from stations.commands import views as station_commands
from stations.commands.answered import stop_requester_record
from stations.models import ChargingSession, Command, Site
from tests.support.factories import SessionChargeFactory, make_station

START = dt.datetime(2026, 11, 20, 17, 5, tzinfo=dt.UTC)


@pytest.fixture
def priced(db):
    site = Site.objects.create(name="Harbour Square", timezone="Europe/Berlin")
    car = make_station("CN-CAR-001", site=site)
    session = ChargingSession.objects.create(
        station=car,
        connector=car.connectors.first(),
        transaction_id="7",
        id_tag="TAG-AAA",
        started_at=START,
        ended_at=START + dt.timedelta(minutes=95),
        state="ended",
        energy_wh=12_340,
        stop_reason="EVDisconnected",
    )
    SessionChargeFactory(
        session=session,
        gross=D("5.08"),
        lines=[
            {
                "kind": "energy",
                "description": "Energy",
                "quantity": "12.340",
                "unit": "kWh",
                "unit_price": "0.35",
                "price_unit": "kWh",
                "amount": "4.32",
            }
        ],
    )
    return session


@pytest.mark.parametrize(
    ("language", "words"),
    [("en", ["Duration", "Price", "Stop reason"]), ("zh-hans", ["时长", "价格", "停止原因"])],
)
def test_the_sessions_page_shows_duration_energy_price_and_stop_reason(
    operator_client, priced, language, words
):
    operator_client.cookies["django_language"] = language

    page = operator_client.get("/sessions/").content.decode()

    for word in words:
        assert word in page
    assert "1 h 35 min" in page and "12.34 kWh" in page and "5.08 EUR" in page
    assert "EVDisconnected" in page
    assert f'href="/sessions/{priced.pk}/"' in page
    # 17:05 UTC is 18:05 in Berlin, labelled with its zone.
    assert '2026-11-20 18:05 <span class="zone">CET</span>' in page


def test_the_sessions_rows_are_a_live_fragment(operator_client, priced):
    page = operator_client.get("/sessions/").content.decode()
    assert 'data-fragment="rows"' in page and "session.priced" in page
    assert '"subscribe": "network"' in page  # the live socket's subscription

    rows = operator_client.get("/sessions/?fragment=rows").content.decode()

    assert rows.startswith('<table class="table" id="session-table">')
    assert "5.08 EUR" in rows and "<html" not in rows


@pytest.mark.parametrize(("language", "word"), [("en", "Stopped by"), ("zh-hans", "停止人")])
def test_a_session_page_shows_its_chart_price_lines_and_who_stopped_it(
    operator_client, operator, priced, language, word
):
    ChargingSession.objects.filter(pk=priced.pk).update(stop_requested_by=operator)
    operator_client.cookies["django_language"] = language

    page = operator_client.get(f"/sessions/{priced.pk}/").content.decode()

    assert word in page and operator.username in page
    assert f'data-session-chart="{priced.pk}"' in page
    assert reverse("dashboard:session-samples", args=["CN-CAR-001", priced.pk]) in page
    assert 'id="price-lines"' in page and "4.32" in page and "5.08 EUR" in page
    assert '2026-11-20 18:05:00 <span class="zone">CET</span>' in page


def test_an_unknown_session_page_is_404(operator_client, db):
    assert operator_client.get("/sessions/999999/").status_code == 404


def test_an_accepted_stop_records_who_asked_for_it(operator, priced):
    ChargingSession.objects.filter(pk=priced.pk).update(state="active", ended_at=None)

    stop_requester_record(priced.station, "remote_stop", {"transaction_id": "7"}, operator)

    priced.refresh_from_db()
    assert priced.stop_requested_by == operator


def test_an_unlock_records_who_asked_on_the_session_of_that_connector(operator, priced):
    ChargingSession.objects.filter(pk=priced.pk).update(state="active", ended_at=None)

    stop_requester_record(priced.station, "unlock_connector", {"connector_id": 2}, operator)
    priced.refresh_from_db()
    assert priced.stop_requested_by is None  # another connector

    stop_requester_record(priced.station, "unlock_connector", {"connector_id": 1}, operator)
    priced.refresh_from_db()
    assert priced.stop_requested_by == operator


def test_the_admin_shows_who_stopped_a_session_and_times_with_their_zone(ops, operator, priced):
    ChargingSession.objects.filter(pk=priced.pk).update(stop_requested_by=operator)

    page = ops.get("/admin/stations/chargingsession/").content.decode()

    assert operator.username in page
    assert "2026-11-20 18:05 CET" in page
    assert 'id="admin-zone"' in page


def test_the_clock_tag_labels_each_zone():
    template = Template("{% load clock %}{% clock t zone=z %}")

    def render(zone):
        return template.render(Context({"t": START, "z": zone}))

    assert render("Europe/Berlin").endswith(
        'title="Europe/Berlin">2026-11-20 18:05 <span class="zone">CET</span></time>'
    )
    assert '2026-11-21 01:05 <span class="zone">CST</span>' in render("Asia/Shanghai")
    assert '<span class="zone">UTC</span>' in render("")
    # A zone whose abbreviation is only an offset is labelled with its name.
    assert '<span class="zone">America/Sao_Paulo</span>' in render("America/Sao_Paulo")


# --- commands with consequences ask first ----------------------------------------------


@pytest.fixture
def recorded(monkeypatch):
    """The command service replaced by a recorder that answers Accepted."""
    calls = []

    class Service:
        @staticmethod
        def send(station, action, params, *, user=None):
            calls.append((action, params))
            return Command(pk=1, station=station, action=action, status="accepted")

        invalid = ValueError

    monkeypatch.setattr(station_commands, "command_service", lambda: Service)
    return calls


def url(action: str) -> str:
    return reverse("dashboard:station-command", args=["CN-CAR-001", action])


@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("remote_stop", {"remote_stop-transaction_id": "7"}),
        ("unlock_connector", {"unlock_connector-connector_id": "1"}),
        ("reset", {"reset-type": "hard"}),
    ],
)
@pytest.mark.parametrize(("language", "yes"), [("en", "Yes: "), ("zh-hans", "确定：")])
def test_without_scripts_a_command_with_consequences_asks_on_a_page_first(
    operator_client, priced, recorded, action, data, language, yes
):
    operator_client.cookies["django_language"] = language

    question = operator_client.post(url(action), data)

    assert question.status_code == 200 and recorded == []
    page = question.content.decode()
    assert 'id="confirm-command"' in page and yes in page
    assert '<input type="hidden" name="confirmed" value="yes">' in page
    for name, value in data.items():
        assert f'<input type="hidden" name="{name}" value="{value}">' in page

    sent = operator_client.post(url(action), {**data, "confirmed": "yes"})

    assert sent.status_code == 302 and len(recorded) == 1


def test_a_script_gets_409_and_the_question_until_it_confirms(operator_client, priced, recorded):
    answer = operator_client.post(
        url("remote_stop"), {"remote_stop-transaction_id": "7"}, HTTP_ACCEPT="application/json"
    )
    assert answer.status_code == 409 and recorded == []
    assert answer.json()["confirm"].startswith("Stop this charging session?")


def test_a_soft_reset_is_sent_at_once(operator_client, priced, recorded):
    operator_client.post(url("reset"), {"reset-type": "soft"}, HTTP_ACCEPT="application/json")
    assert recorded == [("reset", {"type": "soft"})]


def test_the_station_page_marks_the_buttons_that_ask_first(operator_client, priced):
    ChargingSession.objects.filter(pk=priced.pk).update(state="active", ended_at=None)

    page = operator_client.get("/stations/CN-CAR-001/").content.decode()

    assert 'data-confirm="Stop this charging session?' in page
    assert 'data-confirm="Unlock this connector?' in page
    assert 'data-confirm-if="reset-type=hard"' in page


def test_an_admin_hard_reset_asks_first(ops, priced, recorded):
    response = ops.post(
        "/admin/stations/chargingstation/",
        {"action": "command_reset_hard", "_selected_action": [str(priced.station.pk)]},
    )
    page = response.content.decode()
    assert 'id="confirm-command-action"' in page and "Hard reset these stations?" in page
    assert not Command.objects.exists()
