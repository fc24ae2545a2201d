"""`make run-cluster`'s shape for real: HAProxy in front of two daphne processes, Celery.

The cluster is deploy/cluster.py on free ports and the test database; stations are
the `ocpp` library's ChargePoint over `websockets`, connecting through the balancer.
"""

import asyncio
import contextlib
import os
import socket
import subprocess
import time

import pytest
from channels.db import database_sync_to_async
from ocpp.v16 import call
from websockets.asyncio.client import connect

from stations.commands.service import command_send
from stations.models import ChargingSession, ChargingStation, MeterSample
from tests.support.charge_points import Station16
from tests.support.cluster import Cluster, basic_auth, servers_skip_reason
from tests.support.factories import STATION_PASSWORD, make_station
from tests.support.live import database_url
from tests.support.waiting import await_condition, free_port, wait

pytestmark = [
    pytest.mark.server,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(servers_skip_reason() is not None, reason=servers_skip_reason() or ""),
]


@pytest.fixture
def start_cluster(transactional_db, tmp_path):
    """Start clusters on the test database; every one is stopped after the test."""
    started: list[Cluster] = []

    def start(**options) -> Cluster:
        options.setdefault("redis_url", os.environ["REDIS_URL"])
        cluster = Cluster(
            tmp_path / f"cluster-{len(started)}", database_url=database_url(), **options
        )
        started.append(cluster)
        return cluster.start()

    yield start
    for cluster in started:
        cluster.stop()


@contextlib.asynccontextmanager
async def station_socket(url: str, station_id: str, password: str = STATION_PASSWORD, **kw):
    """A library 1.6 charge point connected through `url`; yields (cp, served_by)."""
    websocket = await connect(
        url + station_id,
        subprotocols=["ocpp1.6"],
        additional_headers=basic_auth(station_id, password),
        **kw,
    )
    charge_point = Station16(station_id, websocket)
    reader = asyncio.create_task(charge_point.start())
    try:
        yield charge_point, websocket.response.headers.get("X-Served-By", "")
    finally:
        reader.cancel()
        with contextlib.suppress(BaseException):
            await reader
        await websocket.close()


async def charge(cp, tag: str, meter_start: int, meter_stop: int) -> int:
    boot = await cp.call(call.BootNotification(charge_point_vendor="V", charge_point_model="M"))
    assert boot.status == "Accepted"
    await cp.call(call.StatusNotification(connector_id=1, error_code="NoError", status="Preparing"))
    assert (await cp.call(call.Authorize(id_tag=tag))).id_tag_info["status"] == "Accepted"
    start = await cp.call(
        call.StartTransaction(connector_id=1, id_tag=tag, meter_start=meter_start, timestamp=_now())
    )
    await cp.call(
        call.MeterValues(
            connector_id=1,
            transaction_id=start.transaction_id,
            meter_value=[
                {"timestamp": _now(), "sampled_value": [{"value": str(meter_start + 500)}]}
            ],
        )
    )
    await cp.call(
        call.StopTransaction(
            meter_stop=meter_stop, timestamp=_now(), transaction_id=start.transaction_id
        )
    )
    return start.transaction_id


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())


async def test_stations_charge_through_the_balancer_on_both_processes(start_cluster, token):
    ids = [f"CL-{n}" for n in range(1, 5)]
    for station_id in ids:
        await database_sync_to_async(make_station)(station_id)
    cluster = await asyncio.to_thread(start_cluster, processes=2, celery=True)

    status = cluster.status()
    assert status.returncode == 0, status.stdout + status.stderr
    assert cluster.haproxy_servers() == {"daphne1": "UP", "daphne2": "UP"}

    async with contextlib.AsyncExitStack() as stack:
        sockets = [
            await stack.enter_async_context(station_socket(cluster.ws_url, station_id))
            for station_id in ids
        ]
        # leastconn spreads the sockets over both daphne processes.
        served_by = {
            station_id: server for station_id, (_, server) in zip(ids, sockets, strict=True)
        }
        assert set(served_by.values()) == {"daphne1", "daphne2"}, served_by
        transactions = {}
        for number, (station_id, (cp, _)) in enumerate(zip(ids, sockets, strict=True)):
            transactions[station_id] = await charge(
                cp, "TAG-0001", 1000 * number, 1000 * number + 700
            )
        # A command from this process reaches the socket wherever it is held.
        for station_id in ids:
            station = await ChargingStation.objects.aget(station_id=station_id)
            command = await command_send(station, "reset", {"type": "soft"}, timeout=10)
            assert command.status == "accepted", (station_id, command.error)

    for station_id, transaction_id in transactions.items():
        session = await ChargingSession.objects.aget(
            station__station_id=station_id, transaction_id=str(transaction_id)
        )
        assert session.state == "ended" and session.energy_wh == 700
        assert await MeterSample.objects.filter(session=session).acount() >= 1

    # HTTP through the balancer too (plain and TLS), and Celery works off the broker.
    http = await asyncio.to_thread(
        subprocess.run,
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", cluster.http_url("/admin/login/")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert http.stdout == "200"
    from stations.tasks import prune_message_log

    await asyncio.to_thread(prune_message_log.delay)
    await await_condition(
        lambda: (
            "prune_message_log" in cluster.log("worker") and "succeeded" in cluster.log("worker")
        ),
        30,
        "the Celery worker to run a task",
    )
    assert cluster.alive("beat")

    # `stop` ends every process it started: supervisord and its five programs.
    pids = [process["pid"] for process in cluster.state["processes"]]
    await asyncio.to_thread(cluster.stop)
    for name in ("supervisord", "daphne-1", "daphne-2", "worker", "beat", "haproxy"):
        assert not cluster.alive(name), name
    assert len(pids) == 6


async def test_idle_station_sockets_stay_open_through_the_balancer(start_cluster):
    ids = [f"IDLE-{n}" for n in range(1, 6)]
    for station_id in ids:
        await database_sync_to_async(make_station)(station_id)
    cluster = await asyncio.to_thread(start_cluster, processes=2)
    async with contextlib.AsyncExitStack() as stack:
        sockets = [
            await stack.enter_async_context(station_socket(cluster.ws_url, station_id))
            for station_id in ids
        ]
        for cp, _ in sockets:
            await cp.call(call.BootNotification(charge_point_vendor="V", charge_point_model="M"))
        # Idle for more than two channel-layer receive timeouts (5 s each): with
        # redis-py 8's 5 s default read timeout the consumers died here.
        await asyncio.sleep(12)
        for cp, _ in sockets:
            await asyncio.wait_for(cp.call(call.Heartbeat()), 5)


def test_wrong_password_and_unknown_station_are_refused_through_the_balancer(start_cluster):
    make_station("CP-1")
    cluster = start_cluster(processes=2)

    async def status(station_id, password):
        try:
            async with connect(
                cluster.ws_url + station_id,
                subprotocols=["ocpp1.6"],
                additional_headers=basic_auth(station_id, password),
            ):
                return 101
        except Exception as error:  # noqa: BLE001 - InvalidStatus carries the answer
            return error.response.status_code

    async def main():
        return [
            await status("CP-1", STATION_PASSWORD),
            await status("CP-1", "wrong-password-123"),
            await status("NOPE", "x" * 16),
        ]

    assert asyncio.run(main()) == [101, 401, 404]
    wait(lambda: cluster.alive("daphne-1") and cluster.alive("daphne-2"), 5, "daphnes")


def test_a_daphne_that_cannot_listen_fails_the_start_at_once_saying_why(start_cluster):
    """Its port bound by another socket (as a connection's local end holds one) while
    nothing listens on it: supervisord alone would try the daphne again for minutes."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", free_port()))
        port = holder.getsockname()[1]
        with pytest.raises(RuntimeError) as failure:
            start_cluster(processes=1, daphne_port=str(port))
    assert "daphne-1 failed to start" in str(failure.value)
    assert "Address already in use" in str(failure.value)
    assert "start failed; stopping what was started" in str(failure.value)
