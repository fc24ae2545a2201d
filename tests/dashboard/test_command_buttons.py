"""Command buttons: disabled without stations.commands.service, else they show the answer.

The sending module is replaced by a stand-in here (the view's contract with it:
`send_command(station, action, params, user=...)` returning a Command); the real
one is driven end to end by tests/browser.
"""

import sys
import types
from dataclasses import dataclass, field

import pytest
from django.urls import reverse

from stations.commands import views as station_commands
from stations.models import Command

FAKE_MODULE = "tests.fake_commands_for_dashboard"

pytestmark = pytest.mark.station("CP 1+ä")


@dataclass
class FakeCommand:
    status: str
    response: dict = field(default_factory=dict)
    error: str = ""
    pk: int = 41


class FakeCommandError(ValueError):
    def __init__(self, detail, errors):
        super().__init__(detail)
        self.errors = errors


@pytest.fixture
def without_commands(monkeypatch):
    monkeypatch.setattr(station_commands, "COMMANDS_MODULE", "stations.no_such_commands")


@pytest.fixture
def sent_commands(monkeypatch):
    """A stand-in for stations.commands.service that records calls and answers Accepted."""
    calls = []

    def send_command(station, action, params, *, user=None):
        calls.append((station.station_id, action, params, user.username))
        return FakeCommand("accepted", {"status": "Accepted"})

    module = types.ModuleType(FAKE_MODULE)
    module.send_command = send_command
    module.CommandError = FakeCommandError
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
        command_url(station, "reset"), {"reset-type": "soft"}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 503 and response.json()["status"] == "unavailable"


def test_a_command_is_sent_and_the_answer_shown(operator_client, station, sent_commands):
    page = operator_client.get(reverse("dashboard:station", args=[station.station_id]))
    assert b'type="submit" data-action="reset"' in page.content
    response = operator_client.post(
        command_url(station, "reset"),
        {"reset-type": "hard", "confirmed": "yes"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 200
    answer = response.json()
    assert answer["status"] == "accepted" and answer["label"] == "Accepted"
    assert answer["response"] == {"status": "Accepted"} and answer["command"] == 41
    assert sent_commands == [("CP 1+ä", "reset", {"type": "hard"}, "operator")]


@pytest.mark.parametrize(
    ("action", "form", "params"),
    [
        ("unlock_connector", {"connector_id": "2"}, {"connector_id": 2}),
        (
            "change_availability",
            {"connector_id": "0", "type": "inoperative"},
            {"connector_id": 0, "type": "inoperative"},
        ),
        ("remote_start", {"id_tag": "TAG-1", "connector_id": ""}, {"id_tag": "TAG-1"}),
        ("remote_stop", {"transaction_id": "17"}, {"transaction_id": "17"}),
        (
            "trigger_message",
            {"message": "StatusNotification", "connector_id": "1"},
            {"message": "StatusNotification", "connector_id": 1},
        ),
        ("get_configuration", {"keys": "HeartbeatInterval, MeterValueSampleInterval"},
         {"keys": ["HeartbeatInterval", "MeterValueSampleInterval"]}),
        ("get_configuration", {"keys": ""}, {}),
        ("set_configuration", {"key": "HeartbeatInterval", "value": "60"},
         {"key": "HeartbeatInterval", "value": "60"}),
        ("update_firmware", {"location": "https://fw.example/1.bin"},
         {"location": "https://fw.example/1.bin"}),
        ("update_firmware", {"location": "x", "retrieve_date": "2026-12-01T03:00"},
         {"location": "x", "retrieve_date": "2026-12-01T03:00:00.000Z"}),
        ("get_diagnostics", {"location": "ftp://logs.example/"},
         {"location": "ftp://logs.example/"}),
    ],
)  # fmt: skip
def test_each_form_sends_version_neutral_params(
    operator_client, station, sent_commands, action, form, params
):
    data = {f"{action}-{name}": value for name, value in form.items()} | {"confirmed": "yes"}
    response = operator_client.post(
        command_url(station, action), data, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == 200, response.content
    assert sent_commands == [("CP 1+ä", action, params, "operator")]


def test_invalid_input_is_not_sent(operator_client, station, sent_commands):
    response = operator_client.post(
        command_url(station, "unlock_connector"),
        {"unlock_connector-connector_id": "0"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400 and "connector_id" in response.json()["errors"]
    assert sent_commands == []


def test_unknown_action_is_404(operator_client, station, sent_commands):
    assert operator_client.post(command_url(station, "self_destruct")).status_code == 404


def test_get_is_not_allowed(operator_client, station, sent_commands):
    assert operator_client.get(command_url(station, "reset")).status_code == 405


def test_without_javascript_the_answer_comes_back_as_a_message(
    operator_client, station, sent_commands
):
    response = operator_client.post(
        command_url(station, "reset"), {"reset-type": "soft"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("dashboard:station", args=["CP 1+ä"])
    assert b"Accepted" in response.content


def test_a_failing_sender_is_reported_not_raised(
    operator_client, station, sent_commands, monkeypatch
):
    def broken(station, action, params, user):
        raise RuntimeError("channel layer down")

    monkeypatch.setattr(sys.modules[FAKE_MODULE], "send_command", broken)
    response = operator_client.post(
        command_url(station, "reset"), {"reset-type": "soft"}, HTTP_ACCEPT="application/json"
    )
    assert response.json() == {
        "status": "failed",
        "error": "channel layer down",
        "label": "Failed",
    }


def test_an_async_sender_is_awaited(operator_client, station, sent_commands, monkeypatch):
    async def command_send(station, action, params, *, user):
        return FakeCommand("rejected", {"status": "Rejected"})

    monkeypatch.setattr(sys.modules[FAKE_MODULE], "command_send", command_send, raising=False)
    response = operator_client.post(
        command_url(station, "reset"), {"reset-type": "soft"}, HTTP_ACCEPT="application/json"
    )
    assert response.json()["label"] == "Rejected"


def test_parameters_the_station_cannot_take_are_reported(
    operator_client, station, sent_commands, monkeypatch
):
    def refuse(station, action, params, user):
        raise FakeCommandError("Invalid parameters.", {"connector_id": "No such connector."})

    monkeypatch.setattr(sys.modules[FAKE_MODULE], "send_command", refuse)
    response = operator_client.post(
        command_url(station, "unlock_connector"),
        {"unlock_connector-connector_id": "9", "confirmed": "yes"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"connector_id": "No such connector."}


def test_a_command_error_is_shown_as_text(operator_client, station, sent_commands, monkeypatch):
    def fail(station, action, params, user):
        return FakeCommand("failed", None, {"code": "NotSupported", "description": "Nope"})

    monkeypatch.setattr(sys.modules[FAKE_MODULE], "send_command", fail)
    response = operator_client.post(
        command_url(station, "reset"), {"reset-type": "soft"}, HTTP_ACCEPT="application/json"
    )
    assert response.json()["error"] == "NotSupported — Nope"


def test_recent_commands_are_listed(operator_client, station, operator):
    Command.objects.create(
        station=station, action="reset", status="accepted", response={"status": "Accepted"},
        requested_by=operator,
    )  # fmt: skip
    html = operator_client.get(reverse("dashboard:station", args=[station.station_id])).content
    assert b"<code>reset</code>" in html and b"outcome-badge-accepted" in html
