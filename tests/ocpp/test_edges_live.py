"""The edges of a live daphne: odd paths, oversized heads and frames, text not UTF-8.

Every one gets an answer a station can read: an HTTP status before the upgrade, or a
WebSocket close frame with the code RFC 6455 §7.4.1 names, never a dropped connection.
"""

import asyncio
import base64

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from tests.support.factories import STATION_PASSWORD, make_station
from tests.support.live import live_daphne

pytestmark = [pytest.mark.protocol, pytest.mark.live, pytest.mark.django_db(transaction=True)]

GOOD = {"Authorization": "Basic " + base64.b64encode(f"CP-1:{STATION_PASSWORD}".encode()).decode()}


@pytest.fixture
def address(transactional_db):
    make_station("CP-1")
    with live_daphne() as address:
        yield address


async def status_of(url: str, headers=None) -> int:
    try:
        async with connect(url, subprotocols=["ocpp1.6"], additional_headers=headers or GOOD):
            return 101
    except InvalidStatus as error:
        return error.response.status_code


async def raw_status(address: str, head: bytes) -> bytes:
    """The status line a raw request head gets (b"" when the connection is dropped)."""
    host, port = address.split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(head)
    await writer.drain()
    try:
        line = await asyncio.wait_for(reader.readline(), 10)
    finally:
        writer.close()
    return line.strip()


async def test_paths_that_name_no_station(address):
    base = f"ws://{address}/ocpp/"
    assert await status_of(base + "CP-1") == 101
    assert await status_of(base + "CP-1/") == 101
    assert await status_of(base + "CP%ZZ1") == 400
    assert await status_of(base + "CP%2") == 400
    assert await status_of(base + "CP%FF1") == 400  # escapes that are not UTF-8
    assert await status_of(base + "X/CP-1") == 404
    assert await status_of(f"ws://{address}/ocpp") == 404
    assert await status_of(f"ws://{address}/ocppX/CP-1") == 404  # a path nothing serves
    assert await status_of(f"ws://{address}/ws/nothing/") == 404


async def test_an_oversized_request_head_gets_431(address):
    head = (
        b"GET /ocpp/CP-1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
        b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Protocol: ocpp1.6\r\n"
    )
    one_line = b"Authorization: Basic " + b"A" * 60_000 + b"\r\n\r\n"
    assert (await raw_status(address, head + one_line)).startswith(b"HTTP/1.1 431")
    many = b"".join(b"X-Pad-%d: %s\r\n" % (index, b"a" * 1000) for index in range(20))
    assert (await raw_status(address, head + many + b"\r\n")).startswith(b"HTTP/1.1 431")
    assert await status_of(f"ws://{address}/ocpp/CP-1") == 101  # the server lives on


@pytest.mark.parametrize("compression", [None, "deflate"])
async def test_an_oversized_frame_is_closed_with_1009(address, compression):
    async with connect(
        f"ws://{address}/ocpp/CP-1",
        subprotocols=["ocpp1.6"],
        additional_headers=GOOD,
        compression=compression,
        max_size=None,
    ) as websocket:
        await websocket.send('[2,"big","Heartbeat",{"x":"' + "x" * 2_000_000 + '"}]')
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(websocket.recv(), 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1009


async def test_text_that_is_not_utf8_is_closed_with_1007(address):
    async with connect(
        f"ws://{address}/ocpp/CP-1", subprotocols=["ocpp1.6"], additional_headers=GOOD
    ) as websocket:
        await websocket.send(b'[2,"u","Heartbeat",{"x":"\xff\xfe"}]', text=True)
        with pytest.raises(ConnectionClosed) as closed:
            await asyncio.wait_for(websocket.recv(), 10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1007
