"""`daphne chargenet.asgi:application`, the plain Channels command, answers a storm as
`manage.py serve` does: every refused handshake is 503 with Retry-After, never 403.

Stock daphne refuses with 403 a handshake the application has not answered within its
--websocket_connect_timeout; ChargeNet's application decides before that timeout and the
server it adopts answers 503 when it could not (runtime/server.py).
"""

import asyncio
import base64
import contextlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from stations.services import handshake
from tests.support.factories import STATION_PASSWORD, make_station
from tests.support.live import ROOT, database_url
from tests.support.waiting import free_port, wait_for_port

pytestmark = [pytest.mark.live, pytest.mark.django_db(transaction=True)]

BURST = 400  # more than one slot gets through in the wait, however quick a handshake


@contextlib.contextmanager
def plain_daphne(*options: str, **env):
    """`daphne [options] chargenet.asgi:application` on a free port; yields the port."""
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "PYTHONUNBUFFERED": "1",
        **{key: str(value) for key, value in env.items()},
    }
    daphne = Path(sys.executable).parent / "daphne"
    process = subprocess.Popen(
        [str(daphne), "-b", "127.0.0.1", "-p", str(port), *options, "chargenet.asgi:application"],
        cwd=ROOT,
        env=environment,
    )
    try:
        wait_for_port(port, process)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


async def handshake_answer(port: int, station_id: str) -> tuple[int, dict[str, str]]:
    """Open an OCPP handshake; the HTTP status and headers of the answer."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    credentials = base64.b64encode(f"{station_id}:{STATION_PASSWORD}".encode()).decode()
    writer.write(
        (
            f"GET /ocpp/{station_id} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Protocol: ocpp1.6\r\nAuthorization: Basic {credentials}\r\n\r\n"
        ).encode()
    )
    await writer.drain()
    try:
        # A connection dropped without an answer fails the test here.
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 60)
    finally:
        writer.close()
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        name, sep, value = line.partition(":")
        if sep:
            headers[name.strip().lower()] = value.strip()
    return int(status_line.split()[1]), headers


async def burst(port: int, count: int) -> list[tuple[int, dict[str, str]]]:
    return await asyncio.gather(*(handshake_answer(port, f"CP-{n}") for n in range(count)))


@pytest.fixture
def stations(transactional_db):
    for n in range(BURST):
        make_station(f"CP-{n}", connectors=1)


@pytest.mark.parametrize(
    ("connect_timeout", "wait", "some_admitted"),
    [
        # The line is longer than the application may wait: it refuses in time.
        ("2", "30", True),
        # No margin left: the application refuses whoever finds no free slot, and a
        # handshake still under way at daphne's timeout (autobahn's opening-handshake
        # timer, daphne's own check) is refused by the server, with 503 too.
        ("1", "30", False),
    ],
)
def test_every_refusal_in_a_storm_is_503_with_retry_after(
    stations, connect_timeout, wait, some_admitted
):
    with plain_daphne(
        "--websocket_connect_timeout",
        connect_timeout,
        OCPP_HANDSHAKE_CONCURRENCY=1,
        OCPP_HANDSHAKE_WAIT=wait,
    ) as port:
        answers = asyncio.run(burst(port, BURST))
    statuses = [status for status, _ in answers]
    assert 403 not in statuses
    assert set(statuses) <= {101, 503}, statuses
    assert 503 in statuses
    assert (101 in statuses) or not some_admitted
    for status, headers in answers:
        if status == 503:
            assert 1 <= int(headers["retry-after"]) <= handshake.BUSY_RETRY_AFTER


def test_plain_daphne_answers_401_and_404_as_the_application_chose(stations):
    with plain_daphne() as port:
        unknown = asyncio.run(handshake_answer(port, "NOT-REGISTERED"))
        make_station("CP-PW", password="another-password-01", connectors=1)
        wrong = asyncio.run(handshake_answer(port, "CP-PW"))
    assert unknown[0] == 404
    assert wrong[0] == 401
    assert wrong[1].get("www-authenticate") == 'Basic realm="OCPP"'
