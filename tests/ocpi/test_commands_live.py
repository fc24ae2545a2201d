"""Each OCPI command through a live daphne to an OCPP 1.6 station that answers: the
eMSP registers over HTTP, sends the command, and gets the CommandResult ACCEPTED."""

import pytest
from ocpp.routing import on
from ocpp.v16 import call_result
from ocpp.v16.enums import Action

from ocpi import registration
from ocpi.models import Party
from tests.support import station_thread
from tests.support.emsp import token
from tests.support.factories import STATION_PASSWORD
from tests.support.live import live_daphne
from tests.support.ocpi_schemas import validate
from tests.support.waiting import wait

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]


class AnsweringStation(station_thread._ChargePoint):
    """A 1.6 station that accepts what the five OCPI commands send."""

    @on(Action.remote_start_transaction)
    def on_remote_start(self, id_tag, **kw):
        return call_result.RemoteStartTransaction(status="Accepted")

    @on(Action.reserve_now)
    def on_reserve_now(self, connector_id, expiry_date, id_tag, reservation_id, **kw):
        return call_result.ReserveNow(status="Accepted")

    @on(Action.cancel_reservation)
    def on_cancel_reservation(self, reservation_id, **kw):
        return call_result.CancelReservation(status="Accepted")


def test_each_command_reaches_a_live_station(published_site, emsp, monkeypatch):
    monkeypatch.setattr(station_thread, "_ChargePoint", AnsweringStation)
    party = Party.objects.create(name="Live Mobility")
    emsp.token = registration.issue_token_a(party)
    with live_daphne() as address:
        ocpi_url = f"http://{address}/ocpi"
        reply = emsp.call("POST", f"{ocpi_url}/2.2.1/credentials", emsp.credentials())
        assert reply.body["status_code"] == 1000, reply.body
        emsp.token = reply.data["token"]
        with station_thread.StationThread(address, "CP-1", STATION_PASSWORD):
            where = {"location_id": "LOC-1", "evse_uid": "CP-1-1", "connector_id": "1"}
            commands = [
                ("START_SESSION", {**where, "token": token("APP-1", "ALWAYS")}),
                (
                    "RESERVE_NOW",
                    {
                        **where,
                        "token": token("APP-1", "ALWAYS"),
                        "expiry_date": "2099-01-01T00:00:00Z",
                        "reservation_id": "R-7",
                    },
                ),
                ("CANCEL_RESERVATION", {"reservation_id": "R-7"}),
                ("UNLOCK_CONNECTOR", where),
            ]
            for kind, body in commands:
                url = f"{emsp.base}/ocpi/emsp/2.2.1/commands/{kind}/1"
                answer = emsp.call(
                    "POST", f"{ocpi_url}/2.2.1/commands/{kind}", {"response_url": url, **body}
                )
                validate("CommandResponse", answer.data)
                assert answer.data["result"] == "ACCEPTED", answer.data
                [result] = wait(
                    lambda url=url: [r.body for r in emsp.received if url.endswith(r.path)],
                    20,
                    f"the result of {kind}",
                )
                validate("CommandResult", result)
                assert result["result"] == "ACCEPTED", (kind, result)
