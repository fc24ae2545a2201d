"""Faults survived: a daphne killed, Redis restarted, PostgreSQL gone for a while.

Each test counts what the CSMS answered (StartTransaction, StopTransaction,
MeterValues) against what the database holds afterwards: nothing answered may be
missing, nothing may be stored twice.
"""

import asyncio
import contextlib
import json
import os
import signal
import time
from urllib.parse import urlparse, urlunparse

import pytest
from channels.db import database_sync_to_async
from ocpp.exceptions import OCPPError
from ocpp.v16 import ChargePoint, call
from redis import asyncio as aioredis
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from stations.commands.service import command_send
from stations.models import ChargingSession, ChargingStation, IdToken, MeterSample
from tests.support.charge_points import Station16
from tests.support.cluster import Cluster, basic_auth, create_stations, servers_skip_reason
from tests.support.factories import STATION_PASSWORD, make_station
from tests.support.fault_servers import RedisServer, TcpProxy
from tests.support.live import database_url
from tests.support.station_run import StationRun, check_nothing_lost
from tests.support.waiting import await_condition, free_port, wait, wait_for_port

pytestmark = [
    pytest.mark.server,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(servers_skip_reason() is not None, reason=servers_skip_reason() or ""),
]

#: Simulated stations on the cluster when one daphne is killed.
KILLED_DAPHNE_STATIONS = 1000
REDIS_RESTART_STATIONS = 40
#: One connector each; sessions of 6-20 s after 2-10 s idle, a meter value every 4 s
#: while charging: about half a message a second per station, so that many sessions
#: start, run across the fault and stop within a test.
STATION_PACE = {
    "connectors": 1,
    "meter_interval": 4,
    "idle_min": 2,
    "idle_max": 10,
    "session_min": 6,
    "session_max": 20,
    "ramp": 5,
}
#: A thousand stations at a calmer pace, closer to a real network's (a meter value every
#: 15 s, sessions of one to two minutes): the machine that runs the tests also runs the
#: cluster, PostgreSQL, Redis and the simulator, and the fault is about reconnecting,
#: not about session churn.
KILLED_DAPHNE_PACE = {
    **STATION_PACE,
    "meter_interval": 15,
    "idle_min": 5,
    "idle_max": 40,
    "session_min": 40,
    "session_max": 90,
    "ramp": 20,
    "drain_timeout": 90,
}


@pytest.fixture
def cluster_dir(tmp_path):
    return tmp_path


@contextlib.contextmanager
def cluster_running(directory, **options):
    options.setdefault("redis_url", os.environ["REDIS_URL"])
    # Persistent database connections, as in production (`make test-servers` sets 0).
    options.setdefault("env", {"DATABASE_CONN_MAX_AGE": "60"})
    cluster = Cluster(directory, database_url=database_url(), **options)
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@contextlib.contextmanager
def stations_running(url, count, prefix, cards, directory, **options):
    run = StationRun(url, count, prefix, cards, directory, **options)
    try:
        yield run
    finally:
        run.kill()


async def connect_station(url: str, station_id: str, patience: float = 20):
    """A library 1.6 charge point through `url`: (charge point, reader task, served by).

    Like a real station it tries again (for `patience` seconds) while the handshake
    fails with a server error or a dropped connection, e.g. during a reconnect storm.
    """
    deadline = asyncio.get_running_loop().time() + patience
    while True:
        try:
            websocket = await connect(
                url + station_id,
                subprotocols=["ocpp1.6"],
                additional_headers=basic_auth(station_id, STATION_PASSWORD),
                open_timeout=10,
            )
            break
        except (InvalidHandshake, ConnectionClosed, OSError, TimeoutError) as error:
            server_error = not isinstance(error, InvalidStatus) or (
                error.response.status_code >= 500
            )
            if not server_error or asyncio.get_running_loop().time() > deadline:
                raise
            await asyncio.sleep(0.5)
    charge_point = Station16(station_id, websocket)
    reader = asyncio.create_task(charge_point.start())
    boot = await charge_point.call(
        call.BootNotification(charge_point_vendor="V", charge_point_model="M")
    )
    assert boot.status == "Accepted"
    return charge_point, reader, websocket.response.headers.get("X-Served-By", "")


# --- a daphne process killed ------------------------------------------------------------


def test_killed_daphne_its_stations_reconnect_through_the_balancer_and_nothing_is_lost(
    cluster_dir,
):
    t0 = time.monotonic()
    prefix = "KILL-"
    _, cards = create_stations(prefix, KILLED_DAPHNE_STATIONS)
    with (
        cluster_running(cluster_dir / "cluster", processes=2) as cluster,
        stations_running(
            cluster.ws_url,
            KILLED_DAPHNE_STATIONS,
            prefix,
            cards,
            cluster_dir / "stations",
            **KILLED_DAPHNE_PACE,
        ) as stations,
    ):
        print(f"{time.monotonic() - t0:.1f}s cluster up")
        stations.wait_status(
            lambda s: (
                s["stations_booted"] == KILLED_DAPHNE_STATIONS
                and s["sessions_started"] >= KILLED_DAPHNE_STATIONS // 10
            ),
            150,
            "every simulated station booted, sessions started",
        )
        print(f"{time.monotonic() - t0:.1f}s stations charging")
        before = stations.status()

        # leastconn spread the stations over both processes: kill one under its half.
        killed_at = stations.mark()
        cluster.kill("daphne-1")
        print(f"{time.monotonic() - t0:.1f}s daphne-1 killed")

        # Every station that was on the dead process is back and booted.
        stations.wait_status(stations.recovered, 120, "every dropped station booted again")
        print(f"{time.monotonic() - t0:.1f}s stations back")
        # Sessions go on after the reconnect, until some have ended normally.
        stations.wait_status(lambda s: s["sessions_stopped"] >= 10, 150, "sessions stopping")
        record = stations.finish()
        # The killed process is gone (supervisord has started a new daphne-1 since).
        assert not cluster.alive("daphne-1") and cluster.alive("daphne-2")
        print(f"{time.monotonic() - t0:.1f}s drained: {record['stats']}")

    dropped = {
        station
        for station, moment in record["disconnects"]
        if killed_at <= moment < record["stopped_at"]
    }
    rebooted = {station for station, moment in record["boots"] if moment >= killed_at}
    assert len(dropped) >= KILLED_DAPHNE_STATIONS // 4, "the killed daphne held stations"
    assert dropped <= rebooted, "a station dropped by the kill did not boot again"
    # Sessions running when the process died went on: meter values after the reconnect.
    started_before = {(s[0], s[2]) for s in record["starts"] if s[4] < killed_at}
    continued = {
        (m[0], m[2])
        for m in record["meter_values"]
        if m[0] in dropped and (m[0], m[2]) in started_before and _after(m[3], killed_at)
    }
    assert continued, "no session continued across the reconnect"

    counts = check_nothing_lost(record, prefix)
    assert counts["sessions"] >= before["sessions_started"]
    assert counts["ended"] > 0 and counts["meter_values"] > 0, counts


@contextlib.contextmanager
def client_channel_layer(redis_url: str):
    """This process's channel layer on `redis_url` (the test's own Redis), read with a
    timeout longer than channels_redis's 5 s blocking receive, as the settings do."""
    from channels.layers import channel_layers
    from django.test import override_settings

    layers = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": redis_url, "socket_timeout": 30}],
                "capacity": 1000,
                "expiry": 30,
            },
        }
    }
    channel_layers.backends = {}
    try:
        with override_settings(CHANNEL_LAYERS=layers):
            yield
    finally:
        channel_layers.backends = {}


def test_commands_to_a_station_of_a_killed_daphne_answer_offline_then_reach_it_again(
    cluster_dir,
):
    make_station("CMD-1")
    with cluster_running(cluster_dir / "cluster", processes=2) as cluster:
        outcome = run_async(_kill_under_a_station(cluster))
        wait(
            lambda: cluster.programs()[outcome["victim"]]["state"] == "RUNNING",
            60,
            "supervisord to start the killed daphne again",
        )
        cluster_programs_after = cluster.programs()
    assert outcome["offline"] == "offline", outcome
    assert outcome["after"] == "accepted", outcome
    # supervisord started the killed process again (the station may be back on it).
    restarted = cluster_programs_after[outcome["victim"]]
    assert restarted["state"] == "RUNNING", restarted
    assert restarted["pid"] != outcome["killed_pid"], restarted


async def _kill_under_a_station(cluster: Cluster) -> dict:
    with client_channel_layer(os.environ["REDIS_URL"]):
        return await _kill_under_a_station_commanded(cluster)


async def _kill_under_a_station_commanded(cluster: Cluster) -> dict:
    station = await ChargingStation.objects.aget(station_id="CMD-1")
    cp, reader, served_by = await connect_station(cluster.ws_url, "CMD-1")
    victim = "daphne-" + served_by.removeprefix("daphne")
    killed_pid = cluster.pid(victim)
    killed_at = time.time()
    await asyncio.to_thread(cluster.kill, victim)
    step("killed")
    # The balancer drops the station's socket with its daphne.
    with contextlib.suppress(asyncio.CancelledError, ConnectionClosed):
        await asyncio.wait_for(reader, 15)
    step("socket dropped")
    # During the gap the station holds no socket: the command answers offline.
    offline = await asyncio.wait_for(
        command_send(station, "reset", {"type": "soft"}, timeout=5), 30
    )
    step(f"command during the gap: {offline.status}")
    cp, reader, served_by_after = await connect_station(cluster.ws_url, "CMD-1")
    step(f"reconnected to {served_by_after}")
    try:
        after = await asyncio.wait_for(
            command_send(station, "reset", {"type": "soft"}, timeout=10), 30
        )
    finally:
        reader.cancel()
    step(f"command after: {after.status}")
    return {
        "victim": victim,
        "killed_pid": killed_pid,
        "killed_at": killed_at,
        "offline": offline.status,
        "after": after.status,
        "served_by_after": served_by_after,
    }


def step(what: str) -> None:
    """Progress of a fault test, shown with -s (and kept in the log on failure)."""
    print(f"{time.strftime('%H:%M:%S')} {what}", flush=True)


def run_async(coroutine):
    """asyncio.run for a sync test, closing the database connections it opened."""
    from asgiref.sync import sync_to_async
    from django.db import connections

    async def main():
        try:
            return await coroutine
        finally:
            await sync_to_async(connections.close_all)()

    return asyncio.run(main())


def _after(timestamp: str, moment: float) -> bool:
    from stations.metering import parse_timestamp

    return parse_timestamp(timestamp).timestamp() > moment


# --- Redis restarted --------------------------------------------------------------------


def test_redis_restart_ocpp_traffic_keeps_being_stored(cluster_dir):
    prefix = "REDIS-"
    _, cards = create_stations(prefix, REDIS_RESTART_STATIONS)
    redis = RedisServer(cluster_dir / "redis").start()
    try:
        with (
            cluster_running(cluster_dir / "cluster", processes=2, redis_url=redis.url) as cluster,
            stations_running(
                cluster.ws_url,
                REDIS_RESTART_STATIONS,
                prefix,
                cards,
                cluster_dir / "stations",
                **STATION_PACE,
            ) as stations,
        ):
            stations.wait_status(
                lambda s: s["stations_booted"] == REDIS_RESTART_STATIONS, 30, "stations booted"
            )
            time.sleep(3)
            answered_before = stations.status()["answered"]
            stations.mark()
            redis.restart(down_for=2)
            restarted_at = time.time()
            # Traffic goes on; stations that lost their socket come back by themselves.
            stations.wait_status(
                lambda s: (
                    s["answered"] > answered_before + 200
                    and s.get("dropped_since_mark", 0) == s.get("recovered_since_mark", 0)
                ),
                30,
                "OCPP traffic answered again after the restart",
            )
            time.sleep(3)
            record = stations.finish()
            assert cluster.alive("daphne-1") and cluster.alive("daphne-2")
    finally:
        redis.stop()
    counts = check_nothing_lost(record, prefix)
    assert counts["sessions"] > 0
    stored_after = MeterSample.objects.filter(
        station__station_id__startswith=prefix,
        timestamp__gt=_utc(restarted_at),
    ).count()
    assert stored_after > 0, "nothing stored after Redis came back"


def _utc(moment: float):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(moment, UTC)


def test_commands_reach_stations_again_after_a_redis_restart(cluster_dir):
    make_station("CMD-1")
    redis = RedisServer(cluster_dir / "redis").start()
    try:
        with cluster_running(cluster_dir / "cluster", processes=2, redis_url=redis.url) as cluster:
            statuses = run_async(_commands_across_a_redis_restart(cluster, redis))
    finally:
        redis.stop()
    assert statuses == ["accepted", "accepted"], statuses


async def _commands_across_a_redis_restart(cluster: Cluster, redis: RedisServer) -> list[str]:
    from channels.layers import channel_layers

    with client_channel_layer(redis.url):
        station = await ChargingStation.objects.aget(station_id="CMD-1")
        cp, reader, _ = await connect_station(cluster.ws_url, "CMD-1")
        try:
            first = await command_send(station, "reset", {"type": "soft"}, timeout=5)
            await asyncio.to_thread(redis.restart, 1)
            channel_layers.backends = {}
            await asyncio.sleep(1)
            # The same socket, if it survived; else the station reconnects as a real
            # one would, and the command must reach the new socket.
            if reader.done():
                cp, reader, _ = await connect_station(cluster.ws_url, "CMD-1")
            second = await command_send(station, "reset", {"type": "soft"}, timeout=5)
        finally:
            reader.cancel()
    return [first.status, second.status]


def test_station_sockets_survive_a_redis_restart_and_take_commands(cluster_dir):
    ids = [f"KEEP-{n}" for n in range(1, 5)]
    for station_id in ids:
        make_station(station_id)
    redis = RedisServer(cluster_dir / "redis").start()
    try:
        with cluster_running(cluster_dir / "cluster", processes=2, redis_url=redis.url) as cluster:
            outcome = run_async(_sockets_across_a_redis_restart(cluster, redis, ids))
    finally:
        redis.stop()
    assert outcome["dropped"] == [], outcome
    assert outcome["commands"] == ["accepted"] * len(ids), outcome


async def _sockets_across_a_redis_restart(cluster, redis, ids: list[str]) -> dict:
    with client_channel_layer(redis.url):
        connected = [await connect_station(cluster.ws_url, station_id) for station_id in ids]
        try:
            await asyncio.to_thread(redis.restart, 1)
            # The restarted Redis is empty: each daphne adds its stations' groups again.
            groups = [
                f"station.{station.pk}"
                async for station in ChargingStation.objects.filter(station_id__in=ids)
            ]
            await await_condition(
                lambda: groups_present(redis.url, groups), 10, "station groups re-joined"
            )
            dropped = [
                station_id
                for station_id, (_, reader, _) in zip(ids, connected, strict=True)
                if reader.done()
            ]
            step(f"sockets dropped by the Redis restart: {dropped}")
            commands = []
            for station_id in ids:
                station = await ChargingStation.objects.aget(station_id=station_id)
                command = await asyncio.wait_for(
                    command_send(station, "reset", {"type": "soft"}, timeout=5), 30
                )
                commands.append(command.status)
            return {"dropped": dropped, "commands": commands}
        finally:
            for _, reader, _ in connected:
                reader.cancel()


async def groups_present(redis_url: str, groups: list[str]) -> bool:
    """Whether every channel group exists in that Redis (channels_redis's key names)."""
    client = aioredis.Redis.from_url(redis_url)
    try:
        return await client.exists(*(f"asgi:group:{group}" for group in groups)) == len(groups)
    finally:
        await client.aclose()


def test_live_page_sockets_survive_a_redis_restart_and_get_events_again(cluster_dir):
    """/ws/live/ through the balancer: the page's socket stays up across a Redis restart
    and station events published after it reach the page again, without reconnecting."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    station = make_station("LIVE-1")
    operator = get_user_model().objects.create_user("operator", is_staff=True)
    client = Client()
    client.force_login(operator)
    cookie = f"sessionid={client.cookies['sessionid'].value}"
    redis = RedisServer(cluster_dir / "redis").start()
    # Our session, signed with the tests' key: one production (HTTPS=1) refuses.
    env = {"DATABASE_CONN_MAX_AGE": "60", "SECRET_KEY": settings.SECRET_KEY, "HTTPS": "0"}
    try:
        with cluster_running(
            cluster_dir / "cluster", processes=2, redis_url=redis.url, env=env
        ) as cluster:
            outcome = run_async(_live_page_across_a_redis_restart(cluster, redis, cookie))
    finally:
        redis.stop()
    assert outcome["before"]["station"] == station.pk, outcome
    assert outcome["after"]["station"] == station.pk, outcome
    assert outcome["after"]["data"]["status"] == "Charging", outcome
    assert not outcome["page_closed"] and not outcome["station_dropped"], outcome


async def _live_page_across_a_redis_restart(cluster, redis, cookie: str) -> dict:
    origin = cluster.http_url("").rstrip("/")
    page = await connect(
        cluster.ws_url.replace("/ocpp/", "/ws/live/"),
        additional_headers={"Cookie": cookie, "Origin": origin},
        open_timeout=10,
    )
    charge_point, reader, _ = await connect_station(cluster.ws_url, "LIVE-1")
    try:
        await page.send(json.dumps({"subscribe": "network"}))
        assert json.loads(await asyncio.wait_for(page.recv(), 10))["type"] == "subscribed"
        before = await _status_event(
            page, charge_point, "Preparing", patience=10, between="Available"
        )
        step("event before the restart")
        await asyncio.to_thread(redis.restart, 1)
        step("Redis restarted")
        # Best effort, like every event: the station reports until the page hears one.
        after = await _status_event(
            page, charge_point, "Charging", patience=15, between="SuspendedEV"
        )
        step("event after the restart")
        return {
            "before": before,
            "after": after,
            "page_closed": page.close_code is not None,
            "station_dropped": reader.done(),
        }
    finally:
        reader.cancel()
        await page.close()


async def _status_event(page, charge_point, status: str, patience: float, between: str) -> dict:
    """Have the station change to `status` (from `between`, each second) until the page
    shows it: a repeated status is no news and publishes nothing."""
    deadline = asyncio.get_running_loop().time() + patience
    while asyncio.get_running_loop().time() < deadline:
        for report in (between, status):
            await charge_point.call(
                call.StatusNotification(connector_id=1, error_code="NoError", status=report)
            )
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(1):
                while True:
                    message = json.loads(await page.recv())
                    if message.get("kind") == "connector.status" and (
                        message["data"]["status"] == status
                    ):
                        return message
    raise AssertionError(f"the live page never showed the station {status} in {patience:g} s")


# --- PostgreSQL unreachable for a while -------------------------------------------------


def test_postgresql_outage_gets_call_errors_and_resent_messages_apply_once(cluster_dir):
    make_station("PG-1")
    IdToken.objects.create(value="TAG-0001")
    settings = urlparse(database_url())
    proxy = TcpProxy(settings.hostname or "127.0.0.1", settings.port or 5432).start()
    proxied = urlunparse(settings._replace(netloc=f"postgres@127.0.0.1:{proxy.port}"))
    try:
        result = _with_daphne(
            proxied, cluster_dir, lambda address: run_async(_outage(address, proxy))
        )
    finally:
        proxy.close()
    assert result["alive"], "daphne died"
    # Refused while PostgreSQL was away: a CallError each, never a dead socket.
    assert result["during"] == ["InternalError"] * 4, result["during"]
    assert result["new_socket_during"] != 101
    # Resent after it came back: one session, started and stopped once.
    sessions = list(ChargingSession.objects.filter(station__station_id="PG-1"))
    assert len(sessions) == 1
    session = sessions[0]
    assert session.transaction_id == str(result["transaction_id"])
    assert result["replayed_transaction_id"] == result["transaction_id"]
    assert session.state == "ended" and session.meter_start_wh == 1000
    assert session.meter_stop_wh == 3000 and session.energy_wh == 2000
    assert MeterSample.objects.filter(session=session).count() == 1


def _with_daphne(database, directory, body):
    """One daphne (`manage.py serve`) on `database`; runs body('host:port')."""
    import subprocess
    import sys

    from tests.support.live import ROOT

    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "DATABASE_CONN_MAX_AGE": "60",  # persistent connections: the harder case
        "OCPP_LOG_FLUSH_INTERVAL": "0.05",
        "PYTHONUNBUFFERED": "1",
    }
    log = open(directory / "daphne.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [sys.executable, "manage.py", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_for_port(port, process)
        result = body(f"127.0.0.1:{port}")
        result["alive"] = process.poll() is None
        return result
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


async def _outage(address: str, proxy: TcpProxy) -> dict:
    url = f"ws://{address}/ocpp/PG-1"
    websocket = await connect(
        url, subprotocols=["ocpp1.6"], additional_headers=basic_auth("PG-1", STATION_PASSWORD)
    )
    cp = ChargePoint("PG-1", websocket, response_timeout=15)
    reader = asyncio.create_task(cp.start())
    try:
        await cp.call(call.BootNotification(charge_point_vendor="V", charge_point_model="M"))
        start = call.StartTransaction(
            connector_id=1, id_tag="TAG-0001", meter_start=1000, timestamp="2026-11-20T10:00:00Z"
        )
        meter = call.MeterValues(
            connector_id=1,
            meter_value=[
                {"timestamp": "2026-11-20T10:10:00Z", "sampled_value": [{"value": "2000"}]}
            ],
        )
        await asyncio.to_thread(proxy.cut)
        during = []
        for payload in (
            start,
            meter,
            call.Heartbeat(),
            call.StatusNotification(connector_id=1, error_code="NoError", status="Charging"),
        ):
            try:
                await cp.call(payload, suppress=False)
                during.append("answered")
            except OCPPError as error:
                during.append(error.code)
        # A station connecting meanwhile is refused, and the server lives on.
        try:
            async with connect(
                url,
                subprotocols=["ocpp1.6"],
                additional_headers=basic_auth("PG-1", STATION_PASSWORD),
                open_timeout=10,
            ):
                new_socket_during = 101
        except InvalidStatus as error:
            new_socket_during = error.response.status_code
        except (InvalidHandshake, ConnectionClosed, OSError, TimeoutError) as error:
            new_socket_during = repr(error)
        assert not reader.done(), "the station's socket died during the outage"

        await asyncio.to_thread(proxy.restore)
        # The station resends its queued transaction messages; a lost answer makes it
        # send the StartTransaction once more.
        first = await cp.call(start)
        replay = await cp.call(start)
        meter.transaction_id = first.transaction_id
        await cp.call(meter)
        await cp.call(meter)
        stop = call.StopTransaction(
            meter_stop=3000, timestamp="2026-11-20T10:20:00Z", transaction_id=first.transaction_id
        )
        await asyncio.to_thread(proxy.cut)
        with contextlib.suppress(OCPPError):
            await cp.call(stop, suppress=False)
            during.append("stop answered while cut")
        await asyncio.to_thread(proxy.restore)
        await cp.call(stop)
        await cp.call(stop)
        assert (await cp.call(call.Heartbeat())).current_time
    finally:
        reader.cancel()
        await websocket.close()
    return {
        "during": during,
        "new_socket_during": new_socket_during,
        "transaction_id": first.transaction_id,
        "replayed_transaction_id": replay.transaction_id,
    }


async def test_database_error_in_the_last_seen_write_never_kills_the_socket(monkeypatch):
    from django.db import OperationalError

    from stations.ocpp import base
    from stations.services import connections
    from tests.support.ocpp_client import basic_auth as header
    from tests.support.ocpp_client import communicator_for

    await database_sync_to_async(make_station)("PG-2")

    def database_gone(**kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    communicator = communicator_for("/ocpp/PG-2", headers=[header("PG-2", STATION_PASSWORD)])
    assert (await communicator.connect(timeout=10))[0]
    try:
        monkeypatch.setattr(base, "LAST_SEEN_EVERY", 0)
        monkeypatch.setattr(connections, "station_touch", database_gone)
        await communicator.send_to(text_data='[2,"1","Heartbeat",{}]')
        answer = json.loads(await communicator.receive_from(timeout=5))
        assert answer[:3] == [4, "1", "InternalError"]
        monkeypatch.undo()
        await communicator.send_to(text_data='[2,"2","Heartbeat",{}]')
        assert json.loads(await communicator.receive_from(timeout=5))[:2] == [3, "2"]
    finally:
        await communicator.disconnect()
