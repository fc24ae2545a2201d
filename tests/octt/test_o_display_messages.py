"""Block O, display messages: set (several languages, priority, state, schedule,
transaction), get with NotifyDisplayMessages, replace, clear.

Follows use cases O01-O06 of the 2.0.1 specification (the OCTT texts of block O were
not at hand): ids are ChargeNet's, one above the last it gave the station; 2.0.1
carries one text per message, so each language is its own message.
"""

from datetime import UTC, datetime

import pytest
from ocpp.v201 import call

from stations.models import ChargingSession, StationEvent
from tests.support.octt import only, sent, station_on

pytestmark = [pytest.mark.protocol, pytest.mark.live, pytest.mark.django_db(transaction=True)]

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC).isoformat().replace("+00:00", "Z")
START, END = "2026-12-24T00:00:00Z", "2026-12-27T00:00:00Z"


async def test_UC_O01_CSMS_set_display_message(operator):
    """Set DisplayMessage: id, priority, state, the schedule and the text with format and
    language; the next message gets the next id."""
    async with station_on(operator.address) as cp:
        status, first = await operator.command(
            "CP-1",
            "set_display_message",
            message="Frohe Weihnachten",
            language="de",
            priority="in_front",
            state="idle",
            start_date_time=START,
            end_date_time=END,
        )
        _, second = await operator.command(
            "CP-1",
            "set_display_message",
            message="圣诞快乐",
            language="zh",
            priority="InFront",
            state="Idle",
            start_date_time=START,
            end_date_time=END,
        )
    german, chinese = (payload["message"] for payload in sent(cp, "SetDisplayMessage"))
    assert status == 201 and first["status"] == second["status"] == "accepted", first
    assert german == {
        "id": german["id"],
        "priority": "InFront",
        "state": "Idle",
        "startDateTime": START,
        "endDateTime": END,
        "message": {"format": "UTF8", "language": "de", "content": "Frohe Weihnachten"},
    }
    assert chinese["id"] == german["id"] + 1
    assert chinese["message"] == {"format": "UTF8", "language": "zh", "content": "圣诞快乐"}


@pytest.mark.parametrize(
    ("answer", "stored"),
    [
        ("NotSupportedMessageFormat", "rejected"),
        ("NotSupportedPriority", "rejected"),
        ("NotSupportedState", "rejected"),
        ("UnknownTransaction", "rejected"),
    ],
)
async def test_UC_O01_CSMS_set_display_message_refused(operator, answer, stored):
    """Every refusal the station may give is stored as such, with its answer."""
    async with station_on(operator.address) as cp:
        cp.replies["SetDisplayMessage"] = {"status": answer}
        _, command = await operator.command(
            "CP-1",
            "set_display_message",
            message="<b>Hi</b>",
            format="html",
            priority="always_front",
        )
    assert command["status"] == stored
    assert command["response"] == {"status": answer}
    payload = only(cp, "SetDisplayMessage")["message"]
    assert payload["priority"] == "AlwaysFront"
    assert payload["message"]["format"] == "HTML"


async def test_UC_O02_CSMS_set_display_message_for_a_transaction(operator):
    """Set DisplayMessage for a transaction: ChargeNet's session becomes the station's
    transactionId."""
    async with station_on(operator.address) as cp:
        await cp.call(
            call.TransactionEvent(
                event_type="Started",
                timestamp=NOW,
                trigger_reason="Authorized",
                seq_no=0,
                transaction_info={"transaction_id": "TX-O2", "charging_state": "Charging"},
                evse={"id": 1, "connector_id": 1},
                id_token={"id_token": "TAG-0001", "type": "ISO14443"},
            ),
            suppress=False,
        )
        session = await ChargingSession.objects.aget(transaction_id="TX-O2")
        status, command = await operator.command(
            "CP-1",
            "set_display_message",
            message="Your car charges at 11 kW",
            session_id=session.pk,
            state="charging",
        )
    assert status == 201 and command["status"] == "accepted", command
    payload = only(cp, "SetDisplayMessage")["message"]
    assert payload["transactionId"] == "TX-O2"
    assert payload["state"] == "Charging"


async def test_UC_O03_CSMS_get_all_display_messages(operator):
    """Get all DisplayMessages: requestId only; the NotifyDisplayMessages parts are
    answered and kept."""
    info = {
        "id": 1,
        "priority": "NormalCycle",
        "message": {"format": "UTF8", "language": "en", "content": "Welcome"},
    }
    async with station_on(operator.address) as cp:
        status, command = await operator.command("CP-1", "get_display_messages")
        request = only(cp, "GetDisplayMessages")
        answers = [
            await cp.call(
                call.NotifyDisplayMessages(
                    request_id=request["requestId"], tbc=tbc, message_info=[info]
                ),
                suppress=False,
            )
            for tbc in (True, False)
        ]
    assert status == 201 and command["status"] == "accepted"
    assert request == {"requestId": command["id"]}
    assert all(answer is not None for answer in answers)
    kept = StationEvent.objects.filter(station__station_id="CP-1", kind="DisplayMessages")
    reports = [event async for event in kept.order_by("id")]
    assert len(reports) == 2
    assert reports[0].data["message_info"][0]["message"]["content"] == "Welcome"


async def test_UC_O04_CSMS_get_display_messages_by_criteria(operator):
    """Get specific DisplayMessages by id, priority and state; Unknown is an answer."""
    async with station_on(operator.address) as cp:
        cp.replies["GetDisplayMessages"] = {"status": "Unknown"}
        _, command = await operator.command(
            "CP-1", "get_display_messages", ids=[1, 2], priority="always_front", state="faulted"
        )
    request = only(cp, "GetDisplayMessages")
    assert request["id"] == [1, 2]
    assert (request["priority"], request["state"]) == ("AlwaysFront", "Faulted")
    assert command["status"] == "accepted" and command["response"] == {"status": "Unknown"}


async def test_UC_O05_CSMS_clear_display_message(operator):
    """Clear a DisplayMessage by id; Unknown is stored as rejected."""
    async with station_on(operator.address) as cp:
        status, command = await operator.command("CP-1", "clear_display_message", id=1)
        cp.replies["ClearDisplayMessage"] = {"status": "Unknown"}
        _, unknown = await operator.command("CP-1", "clear_display_message", id=99)
    assert status == 201 and command["status"] == "accepted"
    assert sent(cp, "ClearDisplayMessage") == [{"id": 1}, {"id": 99}]
    assert unknown["status"] == "rejected"


async def test_UC_O06_CSMS_replace_display_message(operator):
    """Replace a DisplayMessage: the same id with the new content."""
    async with station_on(operator.address) as cp:
        await operator.command("CP-1", "set_display_message", message="Closed today")
        first = only(cp, "SetDisplayMessage")["message"]["id"]
        _, replaced = await operator.command(
            "CP-1", "set_display_message", id=first, message="Open again"
        )
    contents = [
        (p["message"]["id"], p["message"]["message"]["content"])
        for p in sent(cp, "SetDisplayMessage")
    ]
    assert contents == [(first, "Closed today"), (first, "Open again")]
    assert replaced["status"] == "accepted"


async def test_UC_O01_display_messages_are_20_only(operator):
    """1.6 has no display messages: 400 naming the version."""
    status, body = await operator.command("CP-16", "set_display_message", message="Hi")
    assert status == 400 and "1.6" in str(body)
