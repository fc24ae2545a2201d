"""Commands as RECEIVER: the CommandResponse at once, the CommandResult POSTed to the
eMSP's response_url once ChargeNet's command service has the station's outcome."""

import pytest

from ocpi.models import Reservation, Token
from stations.models import Command, Connector
from tests.support.emsp import token
from tests.support.factories import ChargingSessionFactory
from tests.support.ocpi_schemas import validate

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def short_commands(settings):
    settings.OCPP_COMMAND_TIMEOUT = 0.5


def _command(emsp, ocpi_url, kind, body):
    body = {"response_url": f"{emsp.base}/ocpi/emsp/2.2.1/commands/{kind}/1", **body}
    reply = emsp.call("POST", f"{ocpi_url}/2.2.1/commands/{kind}", body)
    assert reply.status == 200 and reply.body["status_code"] == 1000, reply.body
    validate("CommandResponse", reply.data)
    return reply.data


def _results(emsp, kind):
    results = [r.body for r in emsp.of(f"/ocpi/emsp/2.2.1/commands/{kind}/1", "POST")]
    for result in results:
        validate("CommandResult", result)
    return results


def test_each_command_reaches_the_command_service(registered, ocpi_url, published_site):
    where = {"location_id": "LOC-1", "evse_uid": "CP-1-2", "connector_id": "1"}
    start = _command(
        registered, ocpi_url, "START_SESSION", {**where, "token": token("APP-1", "NEVER")}
    )
    assert start["result"] == "ACCEPTED"
    assert Token.objects.filter(uid="APP-1").exists()  # stored with the command
    reserve = _command(
        registered,
        ocpi_url,
        "RESERVE_NOW",
        {
            **where,
            "token": token("APP-1", "NEVER"),
            "expiry_date": "2099-01-01T00:00:00Z",
            "reservation_id": "R-1",
        },
    )
    assert reserve["result"] == "ACCEPTED"
    assert (
        _command(registered, ocpi_url, "CANCEL_RESERVATION", {"reservation_id": "R-1"})["result"]
        == "ACCEPTED"
    )
    assert _command(registered, ocpi_url, "UNLOCK_CONNECTOR", where)["result"] == "ACCEPTED"

    sent = {c.action: c for c in Command.objects.all()}
    assert sent["remote_start"].params["id_tag"] == "APP-1"
    assert sent["remote_start"].params["connector_id"] == 2
    reservation = Reservation.objects.get(reservation_id="R-1")
    assert sent["reserve_now"].params["reservation_id"] == reservation.ocpp_id
    assert sent["cancel_reservation"].params["reservation_id"] == reservation.ocpp_id
    assert sent["unlock_connector"].params["connector_id"] == 2
    # CP-1 holds no socket here: no process takes the commands, and the eMSP is told
    # each outcome as the command service stored it.
    expected = {"failed": "FAILED", "offline": "FAILED", "timeout": "TIMEOUT"}
    for kind, action in (
        ("START_SESSION", "remote_start"),
        ("RESERVE_NOW", "reserve_now"),
        ("CANCEL_RESERVATION", "cancel_reservation"),
        ("UNLOCK_CONNECTOR", "unlock_connector"),
    ):
        [result] = _results(registered, kind)
        assert result["result"] == expected[sent[action].status]


def test_commands_that_name_nothing_known_are_refused_at_once(registered, ocpi_url, published_site):
    assert (
        _command(
            registered,
            ocpi_url,
            "START_SESSION",
            {"location_id": "NOWHERE", "evse_uid": "X", "token": token("APP-1")},
        )["result"]
        == "REJECTED"
    )
    assert (
        _command(
            registered,
            ocpi_url,
            "UNLOCK_CONNECTOR",
            {"location_id": "LOC-1", "evse_uid": "CP-1-9", "connector_id": "1"},
        )["result"]
        == "REJECTED"
    )
    stop = _command(registered, ocpi_url, "STOP_SESSION", {"session_id": "999"})
    assert stop["result"] == "UNKNOWN_SESSION"
    assert _command(registered, ocpi_url, "SELF_DESTRUCT", {})["result"] == "NOT_SUPPORTED"
    bad = registered.call("POST", f"{ocpi_url}/2.2.1/commands/STOP_SESSION", {"session_id": "1"})
    assert bad.body["status_code"] == 2001
    assert not Command.objects.exists()


def test_a_station_offline_fails_the_command(registered, ocpi_url, published_site):
    published_site.stations.update(connected=False)
    where = {"location_id": "LOC-1", "evse_uid": "EB-1-1", "connector_id": "1"}
    assert _command(registered, ocpi_url, "UNLOCK_CONNECTOR", where)["result"] == "ACCEPTED"
    [result] = _results(registered, "UNLOCK_CONNECTOR")
    assert result["result"] == "FAILED"
    assert "not connected" in result["message"][0]["text"]


def test_stop_session_of_the_partys_driver(registered, ocpi_url, published_site):
    station = published_site.stations.get(station_id="CP-1")
    put = registered.call(
        "PUT", f"{ocpi_url}/2.2.1/tokens/DE/EMS/APP-9?type=RFID", token("APP-9", "ALWAYS")
    )
    assert put.body["status_code"] == 1000
    session = ChargingSessionFactory(station=station, id_tag="APP-9", transaction_id="77")
    other = ChargingSessionFactory(station=station, id_tag="LOCAL-CARD", connector_number=2)
    stop = _command(registered, ocpi_url, "STOP_SESSION", {"session_id": str(session.pk)})
    assert stop["result"] == "ACCEPTED"
    assert Command.objects.get(action="remote_stop").params["transaction_id"] == "77"
    refused = _command(registered, ocpi_url, "STOP_SESSION", {"session_id": str(other.pk)})
    assert refused["result"] == "UNKNOWN_SESSION"


def test_start_and_reserve_without_an_evse_take_an_available_one(
    registered, ocpi_url, published_site
):
    connectors = Connector.objects.filter(station__site=published_site)
    connectors.update(status="Charging")
    start = {"location_id": "LOC-1", "token": token("APP-1", "NEVER")}
    refused = _command(registered, ocpi_url, "START_SESSION", start)
    assert refused["result"] == "REJECTED"  # nothing available
    assert not Command.objects.exists()
    connectors.filter(station__station_id="CP-1", connector_id=2).update(status="Available")
    assert _command(registered, ocpi_url, "START_SESSION", start)["result"] == "ACCEPTED"
    reserve = {**start, "expiry_date": "2099-01-01T00:00:00Z", "reservation_id": "R-9"}
    assert _command(registered, ocpi_url, "RESERVE_NOW", reserve)["result"] == "ACCEPTED"
    sent = {c.action: c for c in Command.objects.select_related("station")}
    for action in ("remote_start", "reserve_now"):
        assert sent[action].station.station_id == "CP-1"
        assert sent[action].params["connector_id"] == 2
