"""10,000 malformed and mutated frames against a real daphne, from ten stations (at once
on PostgreSQL; one after another on SQLite, which has one writer at a time):
lone surrogates and NULs, nesting hundreds deep, frames over OCPP_MAX_FRAME_SIZE, broken
framing, unknown ids and actions, wrong types. Not one may be answered InternalError,
and the server's log may hold no traceback.

The rate limits are lifted: this is about what each frame gets, not how many a station
may send (tests/ocpp/test_frame_limits.py covers those).
"""

import asyncio
import base64
import json
import random

import pytest
from django.db import connection
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from tests.support.factories import STATION_PASSWORD, make_station
from tests.support.live import live_daphne_process

pytestmark = [pytest.mark.protocol, pytest.mark.live, pytest.mark.django_db(transaction=True)]

STATIONS = 10
FRAMES_PER_STATION = 1_000
BATCH = 25  # frames sent before a probe Heartbeat collects their answers
MAX_FRAME = 64 * 1024
CALL, RESULT, ERROR = 2, 3, 4

TEMPLATES = {
    "1.6": [
        ("Heartbeat", {}),
        ("StatusNotification", {"connectorId": 1, "errorCode": "NoError", "status": "Available"}),
        ("Authorize", {"idTag": "TAG-0001"}),
        ("DataTransfer", {"vendorId": "ChargeNet", "messageId": "x", "data": "d"}),
        (
            "MeterValues",
            {
                "connectorId": 1,
                "meterValue": [
                    {
                        "timestamp": "2026-01-01T00:00:00Z",
                        "sampledValue": [{"value": "10", "measurand": "Power.Active.Import"}],
                    }
                ],
            },
        ),
        (
            "StartTransaction",
            {
                "connectorId": 1,
                "idTag": "TAG-0001",
                "meterStart": 0,
                "timestamp": "2026-01-01T00:00:00Z",
            },
        ),  # fmt: skip
        (
            "StopTransaction",
            {"transactionId": 1, "meterStop": 10, "timestamp": "2026-01-01T01:00:00Z"},
        ),
    ],
    "2.0.1": [
        ("Heartbeat", {}),
        (
            "StatusNotification",
            {
                "timestamp": "2026-01-01T00:00:00Z",
                "connectorStatus": "Available",
                "evseId": 1,
                "connectorId": 1,
            },
        ),  # fmt: skip
        ("Authorize", {"idToken": {"idToken": "TAG-0001", "type": "ISO14443"}}),
        ("DataTransfer", {"vendorId": "ChargeNet", "messageId": "x", "data": {"a": 1}}),
        (
            "NotifyEvent",
            {
                "generatedAt": "2026-01-01T00:00:00Z",
                "seqNo": 0,
                "eventData": [
                    {
                        "eventId": 1,
                        "timestamp": "2026-01-01T00:00:00Z",
                        "trigger": "Alerting",
                        "actualValue": "1",
                        "eventNotificationType": "HardWiredMonitor",
                        "component": {"name": "Connector"},
                        "variable": {"name": "Temperature"},
                    }
                ],
            },
        ),
        (
            "TransactionEvent",
            {
                "eventType": "Started",
                "timestamp": "2026-01-01T00:00:00Z",
                "triggerReason": "Authorized",
                "seqNo": 0,
                "transactionInfo": {"transactionId": "T-1"},
                "evse": {"id": 1, "connectorId": 1},
                "idToken": {"idToken": "TAG-0001", "type": "ISO14443"},
            },
        ),
    ],
}

ODD_TEXT = ["\ud800", "\udfff", "a\x00b", "\ud83d", "\u2028", "\U0001f50c", "", " " * 300]
ODD_VALUES = [None, True, -1, 2**63, 1e308, "1e999", [], {}, "NaN", -0.0, "9" * 400]


def nested(depth: int, leaf: object = 1) -> object:
    value = leaf
    for level in range(depth):
        value = [value] if level % 2 else {"x": value}
    return value


def mutate(payload: object, rng: random.Random) -> object:
    """The payload with one key dropped, retyped, renamed or filled with odd text."""
    if isinstance(payload, dict) and payload:
        payload = dict(payload)
        key = rng.choice(sorted(payload))
        choice = rng.random()
        if choice < 0.2:
            payload.pop(key)
        elif choice < 0.5:
            payload[key] = rng.choice(ODD_VALUES)
        elif choice < 0.7:
            payload[key] = rng.choice(ODD_TEXT)
        elif choice < 0.8:
            payload[rng.choice(ODD_TEXT) or "k"] = 1
        else:
            payload[key] = mutate(payload[key], rng)
        return payload
    if isinstance(payload, list) and payload:
        return [mutate(payload[0], rng), *payload[1:]]
    return rng.choice(ODD_VALUES + ODD_TEXT)


def frame(version: str, number: int, rng: random.Random) -> str:
    """One frame, text as sent (lone surrogates stay JSON escapes, as a station sends)."""
    action, payload = rng.choice(TEMPLATES[version])
    unique = f"f{number}"
    kind = rng.random()
    if kind < 0.35:
        message = [CALL, unique, action, mutate(payload, rng)]
    elif kind < 0.45:
        message = [CALL, unique, action, {**payload, "customData": nested(rng.randint(65, 600))}]
    elif kind < 0.55:
        message = [CALL, rng.choice(ODD_TEXT) or unique, rng.choice([action, *ODD_TEXT]), payload]
    elif kind < 0.62:
        message = [rng.choice([RESULT, ERROR]), unique, {}]  # answers to nothing we sent
    elif kind < 0.70:
        message = [rng.choice([0, 1, 5, 99, "2", None]), unique, action, payload]
    elif kind < 0.78:
        message = rng.choice([[], [CALL], [CALL, unique], {"a": 1}, 7, "x", [CALL, 5, action, {}]])
    elif kind < 0.86:
        return rng.choice(["", "[", "{]", "[2,", "nul", '[2,"a","Heartbeat",{}]]', "\ufeff[]"])
    elif kind < 0.90:
        return json.dumps([CALL, unique, "DataTransfer", {"vendorId": "x" * (MAX_FRAME + 10)}])
    else:
        message = [CALL, unique, action, payload]  # well-formed: answered normally
    return json.dumps(message)  # ensure_ascii: a lone surrogate is sent as its escape


async def run_station(address: str, station_id: str, version: str, seed: int) -> dict:
    rng = random.Random(seed)
    token = base64.b64encode(f"{station_id}:{STATION_PASSWORD}".encode()).decode()
    subprotocol = {"1.6": "ocpp1.6", "2.0.1": "ocpp2.0.1"}[version]
    seen = {"sent": 0, "errors": {}, "closed": 0, "internal": []}
    number = 0
    while number < FRAMES_PER_STATION:
        async with connect(
            f"ws://{address}/ocpp/{station_id}",
            subprotocols=[subprotocol],
            additional_headers={"Authorization": f"Basic {token}"},
            max_size=None,
            open_timeout=30,
        ) as socket:
            try:
                while number < FRAMES_PER_STATION:
                    batch = {}
                    for _ in range(BATCH):
                        text = frame(version, number, rng)
                        batch[f"f{number}"] = text
                        await socket.send(text)
                        number += 1
                        seen["sent"] += 1
                    probe = f"probe-{number}"
                    await socket.send(json.dumps([CALL, probe, "Heartbeat", {}]))
                    while True:
                        answer = json.loads(await asyncio.wait_for(socket.recv(), 30))
                        if answer[0] == ERROR:
                            seen["errors"][answer[2]] = seen["errors"].get(answer[2], 0) + 1
                            if answer[2] == "InternalError":  # named in the failure
                                seen["internal"].append(batch.get(answer[1], answer[1])[:300])
                        if answer[0] == RESULT and answer[1] == probe:
                            break
            except ConnectionClosed:
                seen["closed"] += 1  # a socket the server closed: connect again, go on
    return seen


@pytest.fixture
def stations(transactional_db):
    for number in range(STATIONS):
        make_station(f"FUZZ-{number}", connectors=2)


def test_ten_thousand_bad_frames_get_no_internal_error_and_leave_no_traceback(stations, tmp_path):
    log = tmp_path / "daphne.log"
    limits = {
        "OCPP_RATE_LIMIT": 1_000_000,
        "OCPP_RATE_BURST": 1_000_000,
        "OCPP_RATE_BYTES": 10**12,
        "OCPP_RATE_BYTES_BURST": 10**12,
        "OCPP_MAX_FRAME_SIZE": MAX_FRAME,
    }
    with open(log, "w") as output, live_daphne_process(output=output, **limits) as (address, _):
        runs = [(address, f"FUZZ-{n}", "1.6" if n % 2 else "2.0.1", n) for n in range(STATIONS)]

        async def everyone():
            if connection.vendor == "sqlite":  # one writer at a time: a lock is no answer
                return [await run_station(*run) for run in runs]
            return await asyncio.gather(*(run_station(*run) for run in runs))

        results = asyncio.run(everyone())
    sent = sum(r["sent"] for r in results)
    errors: dict[str, int] = {}
    for result in results:
        for code, count in result["errors"].items():
            errors[code] = errors.get(code, 0) + count
    text = log.read_text(errors="replace")
    assert sent >= 10_000
    internal = [text for result in results for text in result["internal"]]
    assert not internal, (errors, internal[:20])
    assert "Traceback" not in text, text[text.find("Traceback") - 2000 :][:6000]
