"""Command buttons: disabled until stations.commands exists, then they show the answer."""

import sys
import types
from dataclasses import dataclass, field

import pytest
from django.urls import reverse

from stations.views import station_commands
from tests.conftest import make_station

FAKE_MODULE = "tests.fake_commands_for_dashboard"


@dataclass
class FakeCommand:
    status: str
    response: dict = field(default_factory=dict)
    error: str = ""
    pk: int = 41


@pytest.fixture
def station(db):
    return make_station("CP 1+ä")


@pytest.fixture
def operator_client(client, operator):
    client.force_login(operator)
    return client


@pytest.fixture
def without_commands(monkeypatch):
    monkeypatch.setattr(station_commands, "COMMANDS_MODULE", "stations.no_such_commands")


@pytest.fixture
def sent(monkeypatch):
    """A stand-in for stations.commands that records calls and answers Accepted."""
    calls = []

    def send_command(station, action, params):
        calls.append((station.station_id, action, params))
        return FakeCommand("accepted", {"status": "Accepted"})

    module = types.ModuleType(FAKE_MODULE)
    module.send_command = send_command
    monkeypatch.setitem(sys.modules, FAKE_MODULE, module)
    monkeypatch.setattr(station_commands, "COMMANDS_MODULE", FAKE_MODULE)
    return calls


def command_url(station, action: str) -> str:
    return reverse("dashboard:station-command", args=[station.station_id, action])


def test_buttons_are_disabled_with_a_reason_until_commands_exist(
    operator_client, station, without_commands
):
    html = operator_client.get(reverse("dashboard:station", args=[station.station_id])).content
    html = html.decode()
    assert "Commands are not available yet" in html
    assert 'type="submit" disabled data-action="reset"' in html
    assert html.count("disabled-hint") >= 10


def test_posting_without_commands_answers_unavailable(operator_client, station, without_commands):
    response = operator_client.post(
        command_url(station, "reset"), {"reset-type": "Soft"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 503 and response.json()["status"] == "unavailable"


def test_a_command_is_sent_and_the_answer_shown(operator_client, station, sent):
    page = operator_client.get(reverse("dashboard:station", args=[station.station_id]))
    assert b'type="submit" data-action="reset"' in page.content
    response = operator_client.post(
        command_url(station, "reset"), {"reset-type": "Hard"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["status"] == "accepted" and answer["label"] == "Accepted"
    assert answer["response"] == {"status": "Accepted"} and answer["command"] == 41
    assert sent == [("CP 1+ä", "reset", {"type": "Hard"})]


@pytest.mark.parametrize(
    ("action", "form", "params"),
    [
        ("unlock_connector", {"connector_id": "2"}, {"connector_id": 2}),
        (
            "change_availability",
            {"connector_id": "0", "type": "Inoperative"},
            {"connector_id": 0, "type": "Inoperative"},
        ),
        ("remote_start", {"id_tag": "TAG-1", "connector_id": ""}, {"id_tag": "TAG-1"}),
        ("remote_stop", {"transaction_id": "17"}, {"transaction_id": "17"}),
        (
            "trigger_message",
            {"requested_message": "StatusNotification", "connector_id": "1"},
            {"requested_message": "StatusNotification", "connector_id": 1},
        ),
        ("get_configuration", {"keys": "HeartbeatInterval, MeterValueSampleInterval"},
         {"keys": ["HeartbeatInterval", "MeterValueSampleInterval"]}),
        ("get_configuration", {"keys": ""}, {}),
        ("set_configuration", {"key": "HeartbeatInterval", "value": "60"},
         {"key": "HeartbeatInterval", "value": "60"}),
        ("update_firmware", {"location": "https://fw.example/1.bin"},
         {"location": "https://fw.example/1.bin"}),
        ("get_diagnostics", {"location": "ftp://logs.example/"},
         {"location": "ftp://logs.example/"}),
    ],
)  # fmt: skip
def test_each_form_sends_version_neutral_params(
    operator_client, station, sent, action, form, params
):
    data = {f"{action}-{name}": value for name, value in form.items()}
    response = operator_client.post(
        command_url(station, action), data, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200, response.content
    assert sent == [("CP 1+ä", action, params)]


def test_invalid_input_is_not_sent(operator_client, station, sent):
    response = operator_client.post(
        command_url(station, "unlock_connector"),
        {"unlock_connector-connector_id": "0"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400 and "connector_id" in response.json()["errors"]
    assert sent == []


def test_unknown_action_is_404(operator_client, station, sent):
    assert operator_client.post(command_url(station, "self_destruct")).status_code == 404


def test_get_is_not_allowed(operator_client, station, sent):
    assert operator_client.get(command_url(station, "reset")).status_code == 405


def test_without_javascript_the_answer_comes_back_as_a_message(operator_client, station, sent):
    response = operator_client.post(
        command_url(station, "reset"), {"reset-type": "Soft"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("dashboard:station", args=["CP 1+ä"])
    assert b"Accepted" in response.content


def test_a_failing_sender_is_reported_not_raised(operator_client, station, sent, monkeypatch):
    def broken(station, action, params):
        raise RuntimeError("channel layer down")

    monkeypatch.setattr(sys.modules[FAKE_MODULE], "send_command", broken)
    response = operator_client.post(
        command_url(station, "reset"), {"reset-type": "Soft"}, HTTP_ACCEPT="application/json"
    )
    assert response.json() == {
        "status": "failed",
        "error": "channel layer down",
        "label": "Failed",
    }


def test_an_async_sender_is_awaited(operator_client, station, sent, monkeypatch):
    async def send_command(station, action, params):
        return FakeCommand("rejected", {"status": "Rejected"})

    monkeypatch.setattr(sys.modules[FAKE_MODULE], "send_command", send_command)
    response = operator_client.post(
        command_url(station, "reset"), {"reset-type": "Soft"}, HTTP_ACCEPT="application/json"
    )
    assert response.json()["label"] == "Rejected"
