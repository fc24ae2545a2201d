"""Outages of the servers ChargeNet depends on, on servers of the test's own.

Redis (a redis-server of the test's own) and PostgreSQL (initdb + pg_ctl into a
temporary directory) are stopped for a few seconds mid-traffic and started again:

- the Celery worker lives through broker restarts with tasks it holds unacknowledged
  (Celery 5.7.0 died there: "Unrecoverable error: AttributeError(... 'hostname')"),
  and supervisord starts it again when it is killed;
- during an outage a handshake answers 503 with Retry-After, the API answers 503 in its
  error shape (or, with Redis away, lets requests through: throttling fails open), a
  command is stored `failed` with its reason; no process logs a 500;
- afterwards a station that stayed connected takes commands (never `offline`), and
  every message-log frame of the outage is in the database.
"""

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from tests.support.cluster import Cluster, basic_auth, servers_skip_reason
from tests.support.factories import STATION_PASSWORD, make_station
from tests.support.fault_servers import PostgresServer, RedisServer, postgres_binaries
from tests.support.live import ROOT, database_url
from tests.support.waiting import free_port, wait, wait_for_port

pytestmark = [
    pytest.mark.server,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(servers_skip_reason() is not None, reason=servers_skip_reason() or ""),
]

#: An HTTP status line of a server error in daphne's access log, or Django's own line.
SERVER_ERRORS = ('" 500 ', "Internal Server Error")


@contextlib.contextmanager
def redis_of_our_own(directory):
    redis = RedisServer(directory).start()
    try:
        yield redis
    finally:
        redis.stop()


@contextlib.contextmanager
def cluster_on(directory, redis_url: str, **options):
    cluster = Cluster(directory, database_url=database_url(), redis_url=redis_url, **options)
    try:
        yield cluster.start()
    finally:
        cluster.stop()


def operator_token() -> str:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    user = get_user_model().objects.create_user("outage-operator", is_staff=True)
    return Token.objects.create(user=user).key


def api(base: str, path: str, token: str, body: dict | None = None) -> tuple[int, dict, dict]:
    """(status, JSON body, headers) of one API request; never raises for a status."""
    request = urllib.request.Request(
        base.rstrip("/") + path,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        method="GET" if body is None else "POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"{}"), dict(response.headers)
    except urllib.error.HTTPError as error:
        text = error.read()
        try:
            data = json.loads(text)
        except ValueError:
            data = {"text": text.decode(errors="replace")}
        return error.code, data, dict(error.headers)


async def handshake(url: str, station_id: str) -> tuple[int, dict]:
    """(HTTP status, headers) of a station's handshake; 101 when it got its socket."""
    try:
        async with connect(
            url + station_id,
            subprotocols=["ocpp1.6"],
            additional_headers=basic_auth(station_id, STATION_PASSWORD),
            open_timeout=20,
        ):
            return 101, {}
    except InvalidStatus as error:
        return error.response.status_code, {k.lower(): v for k, v in error.response.headers.items()}


async def open_station(url: str, station_id: str):
    websocket = await connect(
        url + station_id,
        subprotocols=["ocpp1.6"],
        additional_headers=basic_auth(station_id, STATION_PASSWORD),
        open_timeout=20,
    )
    await call(
        websocket, "boot", "BootNotification", {"chargePointVendor": "V", "chargePointModel": "M"}
    )
    return websocket


async def call(websocket, unique_id: str, action: str, payload: dict) -> list:
    """Send one Call and return the answer to it (commands from ChargeNet are accepted)."""
    await websocket.send(json.dumps([2, unique_id, action, payload]))
    while True:
        frame = json.loads(await asyncio.wait_for(websocket.recv(), 30))
        if frame[0] == 2:  # a command from ChargeNet: accept it
            await websocket.send(json.dumps([3, frame[1], {"status": "Accepted"}]))
            continue
        if frame[1] == unique_id:
            return frame


async def answer_commands(websocket) -> None:
    """Accept every command ChargeNet sends (a station between its own messages)."""
    with contextlib.suppress(Exception):
        async for text in websocket:
            frame = json.loads(text)
            if frame[0] == 2:
                await websocket.send(json.dumps([3, frame[1], {"status": "Accepted"}]))


def no_server_errors(*logs: str) -> list[str]:
    return [
        line for text in logs for line in text.splitlines() if any(e in line for e in SERVER_ERRORS)
    ]


# --- the Celery worker and its broker ----------------------------------------------------


def test_worker_survives_broker_restarts_and_supervisord_restarts_it_when_killed(tmp_path):
    from celery import Celery

    with (
        redis_of_our_own(tmp_path / "redis") as redis,
        cluster_on(tmp_path / "cluster", redis.url, processes=1, celery=True) as cluster,
    ):
        worker = cluster.programs()["worker"]
        assert worker["state"] == "RUNNING", worker
        probe = Celery("probe", broker=redis.url)
        try:
            for restart in range(2):  # twice, as the outage was seen
                # Tasks with a countdown stay with the worker, unacknowledged: exactly
                # what it tries to restore when the connection goes.
                held = [
                    probe.send_task("stations.tasks.prune_message_log", countdown=900).id
                    for _ in range(3)
                ]
                wait(
                    lambda ids=held: all(i in cluster.log("worker") for i in ids),
                    30,
                    "the worker holding the tasks",
                )
                redis.restart(down_for=3)
                wait(
                    lambda n=restart + 2: cluster.log("worker").count("Connected to redis") >= n,
                    60,
                    "the worker connected again",
                )
            log = cluster.log("worker")
            assert "Unrecoverable error" not in log
            now = cluster.programs()["worker"]
            assert now["state"] == "RUNNING" and now["pid"] == worker["pid"], now
            # ... and it still works: a task queued now runs.
            task_id = probe.send_task("billing.tasks.price_unpriced_sessions").id
            wait(lambda: f"[{task_id}] succeeded" in cluster.log("worker"), 60, "a task run")
        finally:
            probe.close()

        # Killed, it is started again by supervisord; `status` reports it running.
        os.kill(worker["pid"], signal.SIGKILL)
        wait(
            lambda: (
                (p := cluster.programs().get("worker", {})).get("state") == "RUNNING"
                and p.get("pid") != worker["pid"]
            ),
            60,
            "supervisord to start the worker again",
        )
        status = cluster.status()
        assert status.returncode == 0, status.stdout + status.stderr
        assert "worker" in status.stdout and "RUNNING" in status.stdout


# --- Redis away ---------------------------------------------------------------------------


def test_redis_outage_answers_503_fails_open_stores_failed_commands_and_reaches_stations_after(
    tmp_path,
):
    make_station("RO-1")
    make_station("RO-2")
    token = operator_token()
    with (
        redis_of_our_own(tmp_path / "redis") as redis,
        cluster_on(tmp_path / "cluster", redis.url, processes=2) as cluster,
    ):
        outcome = asyncio.run(_redis_outage(cluster, redis, token))
        logs = [cluster.log("daphne-1"), cluster.log("daphne-2")]
    assert outcome["before"] == "accepted", outcome
    # Redis away: no socket for a new station, told to come back.
    assert outcome["handshake_during"][0] == 503, outcome
    assert int(outcome["handshake_during"][1]["retry-after"]) > 0, outcome
    # The API still reads (throttling fails open); a command is stored failed, with why.
    assert outcome["list_during"] == 200, outcome
    status, body = outcome["command_during"]
    assert status == 201 and body["status"] == "failed", outcome
    assert "Redis" in json.dumps(body["error"]), outcome
    # Redis back: the station that stayed connected takes the very first command.
    assert not outcome["station_dropped"], outcome
    assert outcome["after"] == "accepted", outcome
    assert outcome["handshake_after"] == 101, outcome
    assert no_server_errors(*logs) == []


async def _redis_outage(cluster: Cluster, redis: RedisServer, token: str) -> dict:
    base = cluster.http_url("")
    command = {"action": "reset", "params": {"type": "soft"}, "timeout": 10}
    path = "/api/v1/stations/RO-1/commands/"
    websocket = await open_station(cluster.ws_url, "RO-1")
    station = asyncio.create_task(answer_commands(websocket))
    try:
        _, body, _ = await asyncio.to_thread(api, base, path, token, command)
        before = body.get("status")
        await asyncio.to_thread(redis.stop)
        handshake_during = await handshake(cluster.ws_url, "RO-2")
        list_during, _, _ = await asyncio.to_thread(api, base, "/api/v1/stations/", token)
        status, body, _ = await asyncio.to_thread(api, base, path, token, command)
        command_during = (status, body)
        await asyncio.sleep(2)
        await asyncio.to_thread(redis.start)
        _, body, _ = await asyncio.to_thread(api, base, path, token, command)
        after = body.get("status")
        handshake_after = (await handshake(cluster.ws_url, "RO-2"))[0]
        return {
            "before": before,
            "handshake_during": handshake_during,
            "list_during": list_during,
            "command_during": command_during,
            "after": after,
            "handshake_after": handshake_after,
            "station_dropped": station.done(),
        }
    finally:
        station.cancel()
        await websocket.close()


# --- PostgreSQL away ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def own_postgres():
    """A PostgreSQL of the test's own, migrated, with stations PGO-1, PGO-2 and an
    operator's API token; yields (server, token)."""
    if postgres_binaries() is None:
        pytest.skip("PostgreSQL's initdb/pg_ctl are not installed")
    server = PostgresServer().init().start()
    try:
        server.create_database()
        env = {**os.environ, "DATABASE_URL": server.url}
        env.pop("REDIS_URL", None)
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v0"],
            cwd=ROOT, env=env, check=True, capture_output=True, timeout=300,
        )  # fmt: skip
        seed = (
            "from tests.support.factories import make_station\n"
            "from django.contrib.auth import get_user_model\n"
            "from rest_framework.authtoken.models import Token\n"
            "make_station('PGO-1'); make_station('PGO-2')\n"
            "user = get_user_model().objects.create_user('ops', is_staff=True)\n"
            "print('TOKEN', Token.objects.create(user=user).key)\n"
        )
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", seed],
            cwd=ROOT, env=env, check=True, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        token = next(
            line.split()[1] for line in result.stdout.splitlines() if line.startswith("TOKEN ")
        )
        yield server, token
    finally:
        server.remove()


@contextlib.contextmanager
def daphne_on(database: str, redis_url: str, directory):
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "DATABASE_CONN_MAX_AGE": "60",  # persistent connections: the harder case
        "OCPP_LOG_FLUSH_INTERVAL": "0.05",
        "PYTHONUNBUFFERED": "1",
    }
    log_path = directory / "daphne.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--port", str(port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            wait_for_port(port, process, 60)
            yield port, process, log_path
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def logged_ids(server: PostgresServer, prefix: str) -> dict[str, set[str]]:
    """Unique ids starting with `prefix` in that database's message log, by direction."""
    import psycopg

    with psycopg.connect(server.url.replace("postgres://", "postgresql://")) as connection:
        rows = connection.execute(
            "SELECT direction, unique_id FROM stations_ocppmessage WHERE unique_id LIKE %s",
            [prefix + "%"],
        ).fetchall()
    found: dict[str, set[str]] = {"in": set(), "out": set()}
    for direction, unique_id in rows:
        found[direction].add(unique_id)
    return found


def test_postgresql_outage_answers_503_and_logs_every_frame_after_recovery(tmp_path, own_postgres):
    server, token = own_postgres
    with (
        redis_of_our_own(tmp_path / "redis") as redis,
        daphne_on(server.url, redis.url, tmp_path) as (port, process, log_path),
    ):
        outcome = asyncio.run(_postgresql_outage(port, server, token))
        # Every frame of the outage reaches the message log once PostgreSQL is back.
        wanted = {f"during-{n}" for n in range(outcome["sent_during"])}
        wanted |= {f"after-{n}" for n in range(5)}
        wait(
            lambda: wanted <= logged_ids(server, "")["in"],
            60,
            "the frames held during the outage in the message log",
        )
        logged = logged_ids(server, "during-")
        alive = process.poll() is None
    log = log_path.read_text(errors="replace")
    assert alive, log[-3000:]
    # Each Call of the outage was answered (a result, or a CallError when its data could
    # not be stored); both directions are logged.
    assert outcome["answered_during"] == outcome["sent_during"], outcome
    assert logged["out"] == logged["in"], logged
    assert outcome["handshake_during"][0] == 503, outcome
    assert int(outcome["handshake_during"][1]["retry-after"]) > 0, outcome
    status, body, headers = outcome["api_during"]
    assert status == 503, outcome
    assert set(body) == {"detail", "errors"} and body["errors"] == {}, body
    assert int(headers["Retry-After"]) > 0, headers
    assert outcome["answers_after"] == [3] * 5, outcome
    assert outcome["api_after"] == 200, outcome
    assert no_server_errors(log) == []
    assert "Message log: database back" in log


async def _postgresql_outage(port: int, server: PostgresServer, token: str) -> dict:
    url = f"ws://127.0.0.1:{port}/ocpp/"
    base = f"http://127.0.0.1:{port}"
    websocket = await open_station(url, "PGO-1")
    try:
        for n in range(5):
            await call(websocket, f"before-{n}", "Heartbeat", {})
        await asyncio.to_thread(server.stop)
        stopped = time.monotonic()
        answered, sent = 0, 0
        for n in range(20):
            answer = await call(websocket, f"during-{n}", "Heartbeat", {})
            sent += 1
            answered += answer[0] in (3, 4)
        status = {"chargePointVendor": "V", "chargePointModel": "M"}
        for n in range(20, 25):  # data to store: refused with a CallError, socket kept
            answer = await call(websocket, f"during-{n}", "BootNotification", status)
            sent += 1
            answered += answer[0] in (3, 4)
        handshake_during = await handshake(url, "PGO-2")
        api_during = await asyncio.to_thread(api, base, "/api/v1/stations/", token)
        await asyncio.sleep(max(0.0, 5 - (time.monotonic() - stopped)))
        await asyncio.to_thread(server.start)
        answers_after = []
        for n in range(5):
            answers_after.append((await call(websocket, f"after-{n}", "Heartbeat", {}))[0])
        api_after = 0
        for _ in range(20):  # the first request may meet the connection that died
            api_after = (await asyncio.to_thread(api, base, "/api/v1/stations/", token))[0]
            if api_after == 200:
                break
            await asyncio.sleep(0.5)
        return {
            "sent_during": sent,
            "answered_during": answered,
            "handshake_during": handshake_during,
            "api_during": api_during,
            "answers_after": answers_after,
            "api_after": api_after,
        }
    finally:
        await websocket.close()
