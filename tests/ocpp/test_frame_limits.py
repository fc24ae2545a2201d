"""Every frame counts against a station's limits, and the message log stays bounded.

Issue 21, point 4: 600 CallResults of 250 kB, or 5,000 non-JSON frames, from one
station grew the log 155 MB in seconds; no limit applied to malformed frames or replies.
"""

import hashlib
import json
import logging
import re

import pytest
from django.db.models.functions import Length

from stations.models import OcppMessage
from stations.writers.message_log import bounded, message_log
from tests.support.factories import STATION_PASSWORD, make_station
from tests.support.ocpp_client import basic_auth, communicator_for

pytestmark = [pytest.mark.protocol, pytest.mark.django_db(transaction=True)]

SUBPROTOCOLS = ["ocpp1.6", "ocpp2.0.1"]
POLICY_VIOLATION = 1008
MARKER = re.compile(r"…\[truncated: (\d+) bytes, sha256 ([0-9a-f]{64})\]$")


@pytest.fixture
def station(transactional_db):
    make_station("LIMIT-1", connectors=1)


async def _open(subprotocol: str):
    communicator = communicator_for(
        "/ocpp/LIMIT-1",
        subprotocols=(subprotocol,),
        headers=[basic_auth("LIMIT-1", STATION_PASSWORD)],
    )
    assert (await communicator.connect(timeout=10))[0]
    return communicator


async def _until_closed(communicator) -> tuple[list[str], dict]:
    """The frames the server sent, then its close message."""
    frames = []
    while True:
        message = await communicator.receive_output(timeout=30)
        if message["type"] == "websocket.close":
            return frames, message
        frames.append(message["text"])


async def _logged() -> tuple[int, int]:
    """Rows and payload characters the station has in the message log."""
    await message_log.flush()
    rows = OcppMessage.objects.filter(station__station_id="LIMIT-1")
    sizes = [
        size async for size in rows.annotate(size=Length("payload")).values_list("size", flat=True)
    ]
    return len(sizes), sum(sizes)


@pytest.mark.parametrize("subprotocol", SUBPROTOCOLS)
async def test_5000_non_json_frames_are_limited_then_the_station_is_disconnected(
    station, subprotocol, settings, caplog
):
    settings.OCPP_RATE_REFUSALS = 500
    communicator = await _open(subprotocol)
    try:
        with caplog.at_level(logging.WARNING, logger="stations.ocpp.base"):
            for number in range(5000):
                await communicator.send_to(text_data=f"not json {number} " + "x" * 100)
            answers, close = await _until_closed(communicator)
    finally:
        await communicator.disconnect()
    assert close["code"] == POLICY_VIOLATION
    # Answered while within the burst (OCPP_RATE_BURST: 200), then dropped unanswered.
    assert 0 < len(answers) <= settings.OCPP_RATE_BURST + 100
    assert any("LIMIT-1" in r.getMessage() and "limits" in r.getMessage() for r in caplog.records)
    rows, characters = await _logged()
    # Each answered frame: itself and its CallError. Nothing of the thousands dropped.
    assert rows <= 2 * (settings.OCPP_RATE_BURST + 100)
    assert characters < 200_000


@pytest.mark.parametrize("subprotocol", SUBPROTOCOLS)
async def test_600_call_results_of_250_kb_are_refused_by_bytes_and_the_log_stays_small(
    station, subprotocol, settings
):
    settings.OCPP_RATE_REFUSALS = 100
    frame = json.dumps([3, "big", {"data": "a" * 250_000}])
    communicator = await _open(subprotocol)
    try:
        for _ in range(600):
            await communicator.send_to(text_data=frame)
        answers, close = await _until_closed(communicator)
    finally:
        await communicator.disconnect()
    assert answers == []  # replies are never answered
    assert close["code"] == POLICY_VIOLATION
    rows, characters = await _logged()
    # OCPP_RATE_BYTES_BURST (1 MiB) lets four through, each logged in 64 KiB.
    assert rows <= 6
    assert characters <= rows * (settings.OCPP_LOG_MAX_PAYLOAD + 200)


@pytest.mark.parametrize("subprotocol", SUBPROTOCOLS)
async def test_call_result_of_250_kb_is_logged_truncated_with_size_and_hash(
    station, subprotocol, settings
):
    frame = json.dumps([3, "big", {"data": "a" * 250_000}])
    communicator = await _open(subprotocol)
    try:
        await communicator.send_to(text_data=frame)
        await communicator.send_to(text_data='[2,"alive","Heartbeat",{}]')
        assert json.loads(await communicator.receive_from(timeout=5))[:2] == [3, "alive"]
    finally:
        await communicator.disconnect()
    await message_log.flush()
    logged = await OcppMessage.objects.aget(station__station_id="LIMIT-1", unique_id="big")
    marker = MARKER.search(logged.payload)
    assert marker, logged.payload[-200:]
    assert int(marker[1]) == len(frame)
    assert marker[2] == hashlib.sha256(frame.encode()).hexdigest()
    assert logged.payload.startswith(frame[: settings.OCPP_LOG_MAX_PAYLOAD])
    assert len(logged.payload) <= settings.OCPP_LOG_MAX_PAYLOAD + 120


def test_bounded_keeps_a_frame_within_the_limit_and_cuts_by_utf8_bytes():
    assert bounded('[2,"a","Heartbeat",{}]', 64) == '[2,"a","Heartbeat",{}]'
    assert bounded("é" * 32, 64) == "é" * 32  # 64 bytes: fits
    cut = bounded("é" * 33, 63)  # 66 bytes; 63 would split the 32nd character
    head, _, marker = cut.partition("…")
    assert head == "é" * 31
    expected = hashlib.sha256(("é" * 33).encode()).hexdigest()
    assert marker == f"[truncated: 66 bytes, sha256 {expected}]"
