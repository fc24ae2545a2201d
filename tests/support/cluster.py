"""The production shape for server tests: deploy/cluster.py, simulated stations, faults.

`Cluster` starts HAProxy + N daphne (+ Celery) with `deploy/cluster.py` on free ports
and the test database. `StationRun` runs simulated OCPP 1.6 stations in a separate
process (`python -m tests.cluster simulate ...`) that records every
StartTransaction, StopTransaction and MeterValues the CSMS answered; `check_nothing_lost`
compares that record with the database. `RedisServer` is a private redis-server and
`TcpProxy` a TCP forwarder that can cut and restore a connection (PostgreSQL faults).
"""

import argparse
import asyncio
import base64
import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLUSTER_SCRIPT = ROOT / "deploy" / "cluster.py"
STATION_PASSWORD = "cluster-station-password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def servers_skip_reason() -> str | None:
    """Why the server-marked cluster tests cannot run here, or None."""
    if not os.environ.get("REDIS_URL"):
        return "needs REDIS_URL and DATABASE_URL (PostgreSQL + Redis): run `make test-servers`"
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return "needs DATABASE_URL on PostgreSQL: run `make test-servers`"
    return None


def basic_auth(user: str, password: str) -> dict:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def wait(condition, timeout: float, what: str, interval: float = 0.1):
    """Poll `condition` until it returns something truthy; fail after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(interval)


async def await_condition(condition, timeout: float, what: str, interval: float = 0.1):
    """`wait` for async tests: `condition` may be a coroutine function."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = condition()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        await asyncio.sleep(interval)


# --- the cluster ------------------------------------------------------------------


class Cluster:
    """deploy/cluster.py on free ports; `start()` and `stop()` run the real script."""

    def __init__(
        self,
        directory: Path,
        *,
        database_url: str,
        redis_url: str,
        processes: int = 2,
        celery: bool = False,
        env: dict | None = None,
    ):
        self.directory = Path(directory)
        self.database_url = database_url
        self.redis_url = redis_url
        self.processes = processes
        self.celery = celery
        self.env = {"OCPP_LOG_FLUSH_INTERVAL": "0.05", "LOG_LEVEL": "INFO", **(env or {})}
        self.port = free_port()
        self.tls_port = free_port()
        self.state: dict = {}

    def _run(self, *args: str, timeout: float = 90) -> subprocess.CompletedProcess:
        command = [sys.executable, str(CLUSTER_SCRIPT), *args, "--dir", str(self.directory)]
        return subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
        )

    def start(self) -> "Cluster":
        args = [
            "start",
            "--processes", str(self.processes),
            "--port", str(self.port),
            "--tls-port", str(self.tls_port),
            "--daphne-port", "auto",
            "--database-url", self.database_url,
            "--redis-url", self.redis_url,
            "--no-migrate",
            "--celery-concurrency", "1",
            "--timeout", "60",
        ]  # fmt: skip
        if not self.celery:
            args.append("--no-celery")
        for name, value in self.env.items():
            args += ["--env", f"{name}={value}"]
        result = self._run(*args)
        if result.returncode != 0:
            raise RuntimeError(f"cluster start failed:\n{result.stdout}\n{result.stderr}")
        self.state = json.loads((self.directory / "cluster.json").read_text())
        return self

    def stop(self) -> None:
        result = self._run("stop", timeout=120)
        if result.returncode != 0:
            raise RuntimeError(f"cluster stop failed:\n{result.stdout}\n{result.stderr}")

    def status(self) -> subprocess.CompletedProcess:
        return self._run("status")

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ocpp/"

    def http_url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    @property
    def wss_url(self) -> str:
        return f"wss://localhost:{self.tls_port}/ocpp/"

    @property
    def ca_file(self) -> str:
        return self.state["ca"]

    def process(self, name: str) -> dict:
        return next(p for p in self.state["processes"] if p["name"] == name)

    def pid(self, name: str) -> int:
        return self.process(name)["pid"]

    def alive(self, name: str) -> bool:
        pid = self.pid(name)
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        stat = Path(f"/proc/{pid}/stat")
        return stat.exists() and not stat.read_text().split(") ", 1)[1].startswith("Z")

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Kill one of the cluster's processes (by its recorded PID) the hard way."""
        os.kill(self.pid(name), sig)
        wait(lambda: not self.alive(name), 10, f"{name} to die")

    def log(self, name: str) -> str:
        return Path(self.process(name)["log"]).read_text(errors="replace")

    def haproxy_servers(self) -> dict[str, str]:
        sys.path.insert(0, str(CLUSTER_SCRIPT.parent))
        try:
            import cluster as script  # deploy/cluster.py
        finally:
            sys.path.remove(str(CLUSTER_SCRIPT.parent))
        return script.haproxy_servers(self.directory / "haproxy.sock")


@contextlib.contextmanager
def running_cluster(directory: Path, **options):
    cluster = Cluster(directory, **options)
    try:
        yield cluster.start()
    finally:
        cluster.stop()


def create_stations(prefix: str, count: int, connectors: int = 1) -> tuple[list[str], list[str]]:
    """Bulk-create `count` stations sharing one password hash, and a card per connector.

    Returns (station ids, card values). Runs in the test's database thread.
    """
    from django.contrib.auth.hashers import make_password

    from stations.models import ChargingStation, Connector, IdToken

    hashed = make_password(STATION_PASSWORD, hasher="station_pbkdf2_sha256")
    ids = [f"{prefix}{number:05d}" for number in range(1, count + 1)]
    stations = ChargingStation.objects.bulk_create(
        [ChargingStation(station_id=station_id, password=hashed) for station_id in ids]
    )
    Connector.objects.bulk_create(
        [
            Connector(station=station, connector_id=number, status="Available")
            for station in stations
            for number in range(1, connectors + 1)
        ]
    )
    cards = [f"{prefix}CARD-{n:05d}" for n in range(1, count * connectors + 1)]
    IdToken.objects.bulk_create([IdToken(value=card) for card in cards])
    return ids, cards


# --- simulated stations in a separate process ---------------------------------------


class StationRun:
    """`python -m tests.cluster simulate`: stations in their own process, recorded.

    `status()` reads the counters the process writes twice a second; `finish()` asks
    it to drain (no new plug-ins or stops; every StartTransaction and StopTransaction
    still unanswered sent until answered), stop and return its record.
    """

    def __init__(
        self, url: str, count: int, prefix: str, cards: list[str], directory: Path, **options
    ):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.status_file = self.directory / "status.json"
        self.out_file = self.directory / "record.json"
        cards_file = self.directory / "cards.txt"
        cards_file.write_text("\n".join(cards))
        argv = [
            sys.executable, "-m", "tests.cluster", "simulate",
            "--url", url,
            "--stations", str(count),
            "--prefix", prefix,
            "--cards", str(cards_file),
            "--status", str(self.status_file),
            "--out", str(self.out_file),
        ]  # fmt: skip
        for name, value in options.items():
            argv += [f"--{name.replace('_', '-')}", str(value)]
        self.log_path = self.directory / "simulator.log"
        with open(self.log_path, "wb") as output:
            self.process = subprocess.Popen(
                argv, cwd=ROOT, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )

    def mark(self, moment: float | None = None) -> float:
        """From now on, status() counts the stations dropped and booted again since."""
        moment = time.time() if moment is None else moment
        Path(str(self.status_file) + ".mark").write_text(repr(moment))
        return moment

    def recovered(self, status: dict) -> bool:
        """Every station dropped since the mark has booted again (and some did drop)."""
        dropped = status.get("dropped_since_mark", 0)
        return dropped > 0 and status.get("recovered_since_mark") == dropped

    def status(self) -> dict:
        with contextlib.suppress(OSError, ValueError):
            return json.loads(self.status_file.read_text())
        return {}

    def wait_status(self, condition, timeout: float, what: str) -> dict:
        def check():
            if self.process.poll() is not None:
                raise AssertionError(f"the station process exited:\n{self.log_tail()}")
            status = self.status()
            return status if status and condition(status) else None

        return wait(check, timeout, what, interval=0.25)

    def finish(self, timeout: float = 30) -> dict:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the stations did not drain in {timeout} s") from None
        assert self.process.returncode == 0, self.log_tail()
        return json.loads(self.out_file.read_text())

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""


def check_nothing_lost(record: dict, prefix: str) -> dict:
    """Compare what the CSMS answered the stations with what the database holds.

    - every answered StartTransaction is one session, with the meterStart sent, and
      the database has no other session for these stations (no duplicate, no orphan);
    - every answered StopTransaction ended its session with the meterStop sent, and
      no other session is ended;
    - every answered MeterValues has its energy reading stored.
    Runs in the test's database thread; returns counts for the test's own checks.
    """
    from stations.metering import parse_timestamp
    from stations.models import ChargingSession, MeterSample

    assert record["undrained"] == 0, "stations still had unanswered transaction messages"
    transaction_errors = [
        e for e in record["errors"] if e[1] in ("StartTransaction", "StopTransaction")
    ]
    assert transaction_errors == [], transaction_errors

    sessions = {
        (s.station.station_id, s.transaction_id): s
        for s in ChargingSession.objects.filter(
            station__station_id__startswith=prefix
        ).select_related("station", "connector")
    }
    started = {
        (station, str(tx)): (connector, meter)
        for station, connector, tx, meter, _ in record["starts"]
    }
    assert len(started) == len(record["starts"]), "a transaction id was handed out twice"
    assert set(sessions) == set(started), (
        f"sessions without an answered start: {sorted(set(sessions) - set(started))[:10]}; "
        f"answered starts without a session: {sorted(set(started) - set(sessions))[:10]}"
    )
    for key, (connector, meter_start) in started.items():
        session = sessions[key]
        assert session.connector.connector_id == connector, key
        assert session.meter_start_wh == meter_start, key
        assert "unknown_transaction" not in session.flags, key

    stopped = {(station, str(tx)): meter for station, tx, meter, _ in record["stops"]}
    ended = {key for key, s in sessions.items() if s.state == ChargingSession.State.ENDED}
    assert ended == set(stopped), (
        f"ended but never stopped: {sorted(ended - set(stopped))[:10]}; "
        f"stopped but not ended: {sorted(set(stopped) - ended)[:10]}"
    )
    for key, meter_stop in stopped.items():
        assert sessions[key].meter_stop_wh == meter_stop, key

    stored = set(
        MeterSample.objects.filter(
            station__station_id__startswith=prefix, measurand="Energy.Active.Import.Register"
        ).values_list("station__station_id", "connector_id", "timestamp", "value")
    )
    stored = {
        (station, connector, moment, int(value)) for station, connector, moment, value in stored
    }
    missing = [
        reading
        for reading in record["meter_values"]
        if (reading[0], reading[1], parse_timestamp(reading[3]), reading[4]) not in stored
    ]
    assert missing == [], f"{len(missing)} answered meter readings not stored: {missing[:5]}"
    return {
        "sessions": len(sessions),
        "ended": len(ended),
        "meter_values": len(record["meter_values"]),
    }


# --- a private redis-server ------------------------------------------------------------


class RedisServer:
    """redis-server on a free port, nothing on disk; `restart()` keeps the port."""

    def __init__(self, directory: Path):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.binary = shutil.which("redis-server") or "/usr/bin/redis-server"

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "RedisServer":
        argv = [
            self.binary, "--bind", "127.0.0.1", "--port", str(self.port),
            "--save", "", "--appendonly", "no", "--dir", str(self.directory),
        ]  # fmt: skip
        with open(self.directory / "redis.log", "ab") as output:
            self.process = subprocess.Popen(
                argv, stdout=output, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait(self._answers, 10, "redis-server to answer")
        return self

    def _answers(self) -> bool:
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", self.port), 0.5) as sock,
        ):
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
        return False

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def restart(self, down_for: float = 0.0) -> None:
        self.stop()
        time.sleep(down_for)
        self.start()


# --- a TCP forwarder that can be cut -------------------------------------------------


class TcpProxy:
    """Forwards 127.0.0.1:<port> to a target in a thread of its own.

    `cut()` drops every forwarded connection and answers new ones by closing them at
    once, as a restarting PostgreSQL does; `restore()` forwards again.
    """

    def __init__(self, target_host: str, target_port: int):
        self.target = (target_host, target_port)
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        self.cut_off = False
        self.pairs: set[tuple[asyncio.StreamWriter, asyncio.StreamWriter]] = set()
        self.accepted = 0
        self._server = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        ready = threading.Event()
        self._ready = ready

    def start(self) -> "TcpProxy":
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("proxy did not start")
        return self

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self._server = self.loop.run_until_complete(
            asyncio.start_server(self._handle, "127.0.0.1", self.port)
        )
        self._ready.set()
        self.loop.run_forever()

    async def _handle(self, reader, writer) -> None:
        self.accepted += 1
        if self.cut_off:
            writer.transport.abort()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        pair = (writer, upstream_writer)
        self.pairs.add(pair)
        try:
            await asyncio.gather(
                self._pipe(reader, upstream_writer), self._pipe(upstream_reader, writer)
            )
        finally:
            self.pairs.discard(pair)
            writer.transport.abort()
            upstream_writer.transport.abort()

    @staticmethod
    async def _pipe(reader, writer) -> None:
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.transport.abort()

    def _call(self, function) -> None:
        done = threading.Event()

        def run():
            try:
                function()
            finally:
                done.set()

        self.loop.call_soon_threadsafe(run)
        done.wait(5)

    def cut(self) -> None:
        def cut():
            self.cut_off = True
            for client, upstream in list(self.pairs):
                client.transport.abort()
                upstream.transport.abort()

        self._call(cut)

    def restore(self) -> None:
        def restore():
            self.cut_off = False

        self._call(restore)

    def close(self) -> None:
        self.cut()

        def shutdown():
            self._server.close()
            self.loop.stop()

        self.loop.call_soon_threadsafe(shutdown)
        self._thread.join(5)


# --- `python -m tests.cluster simulate`: the station process ----------------------------


def _simulate(args) -> int:
    import logging
    import math

    from ocpp.exceptions import OCPPError

    from stations.simulator.runner import Simulation, station_configs
    from stations.simulator.state import PREPARING
    from stations.simulator.station import SimulatedStation

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")
    record = {
        "starts": [],
        "stops": [],
        "meter_values": [],
        "errors": [],
        "boots": [],
        "disconnects": [],
        "undrained": 0,
    }

    class RecordingStation(SimulatedStation):
        async def request(self, payload):
            action = type(payload).__name__
            try:
                reply = await super().request(payload)
            except OCPPError as error:
                record["errors"].append([self.id, action, error.code, time.time()])
                raise
            if action == "StartTransaction":
                record["starts"].append(
                    [
                        self.id,
                        payload.connector_id,
                        reply.transaction_id,
                        payload.meter_start,
                        time.time(),
                    ]
                )
            elif action == "StopTransaction":
                record["stops"].append(
                    [self.id, payload.transaction_id, payload.meter_stop, time.time()]
                )
            elif action == "MeterValues":
                for meter_value in payload.meter_value:
                    for sampled in meter_value["sampled_value"]:
                        if sampled.get("measurand") == "Energy.Active.Import.Register":
                            record["meter_values"].append(
                                [
                                    self.id,
                                    payload.connector_id,
                                    payload.transaction_id,
                                    meter_value["timestamp"],
                                    int(sampled["value"]),
                                ]
                            )
            elif action == "BootNotification" and reply.status == "Accepted":
                record["boots"].append([self.id, time.time()])
            return reply

        async def serve(self, connection) -> str:
            try:
                return await super().serve(connection)
            finally:
                record["disconnects"].append([self.id, time.time()])

    cards = [c for c in Path(args.cards).read_text().split() if c]
    configs = station_configs(
        args.stations,
        prefix=args.prefix,
        connectors=args.connectors,
        password=args.password,
        seed=args.seed,
        tokens=tuple(cards),
        meter_interval=args.meter_interval,
        idle=(args.idle_min, args.idle_max),
        session=(args.session_min, args.session_max),
        finishing=(0.2, 0.5),
        response_timeout=args.response_timeout,
        validate=False,
    )
    simulation = Simulation(configs, args.url, ramp=args.ramp, backoff_max=args.backoff_max)
    shared_cards: set[str] = set()
    simulation.stations = [
        RecordingStation(config, simulation.stats, cards_in_use=shared_cards) for config in configs
    ]

    async def main() -> None:
        loop = asyncio.get_running_loop()
        draining = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, draining.set)
        runner = asyncio.create_task(simulation.run())

        def pending() -> int:
            return sum(
                1
                for station in simulation.stations
                for c in station.connectors.values()
                if c.start_payload is not None or c.stop_payload is not None or c.phase == PREPARING
            )

        def since_mark(stats: dict) -> None:
            """Stations dropped since the test's mark, and those of them booted again."""
            with contextlib.suppress(OSError, ValueError):
                mark = float(Path(args.status + ".mark").read_text())
                first_drop: dict[str, float] = {}
                for station, moment in record["disconnects"]:
                    if moment >= mark and station not in first_drop:
                        first_drop[station] = moment
                recovered = {
                    station
                    for station, moment in record["boots"]
                    if station in first_drop and moment > first_drop[station]
                }
                stats["dropped_since_mark"] = len(first_drop)
                stats["recovered_since_mark"] = len(recovered)

        def write_status() -> None:
            stats = simulation.stats.counters()
            stats["pending"] = pending()
            stats["stations_booted"] = len({boot[0] for boot in record["boots"]})
            since_mark(stats)
            stats["time"] = time.time()
            tmp = Path(args.status + ".tmp")
            tmp.write_text(json.dumps(stats))
            tmp.replace(args.status)

        while not draining.is_set():
            write_status()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(draining.wait(), 0.5)
        # Drain: no driver plugs in or leaves any more; what is queued is sent.
        for station in simulation.stations:
            for connector in station.connectors.values():
                connector.idle_until = math.inf
                connector.plugged_until = math.inf
        deadline = loop.time() + args.drain_timeout
        while pending() and loop.time() < deadline:
            write_status()
            await asyncio.sleep(0.2)
        record["undrained"] = pending()
        record["stopped_at"] = time.time()  # the sockets closed from here on were ours
        simulation.stop()
        await runner
        write_status()
        record["stats"] = simulation.stats.counters()
        Path(args.out).write_text(json.dumps(record))

    asyncio.run(main())
    return 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.cluster")
    sub = parser.add_subparsers(dest="command", required=True)
    simulate = sub.add_parser("simulate", help="recorded simulated stations")
    simulate.add_argument("--url", required=True)
    simulate.add_argument("--stations", type=int, required=True)
    simulate.add_argument("--prefix", required=True)
    simulate.add_argument("--cards", required=True, help="File of card values, one a line.")
    simulate.add_argument("--status", required=True)
    simulate.add_argument("--out", required=True)
    simulate.add_argument("--connectors", type=int, default=1)
    simulate.add_argument("--password", default=STATION_PASSWORD)
    simulate.add_argument("--seed", type=int, default=1)
    simulate.add_argument("--meter-interval", type=float, default=1.0)
    simulate.add_argument("--idle-min", type=float, default=0.5)
    simulate.add_argument("--idle-max", type=float, default=3.0)
    simulate.add_argument("--session-min", type=float, default=3.0)
    simulate.add_argument("--session-max", type=float, default=12.0)
    simulate.add_argument("--response-timeout", type=float, default=10.0)
    simulate.add_argument("--ramp", type=float, default=None)
    simulate.add_argument("--backoff-max", type=float, default=4.0)
    simulate.add_argument("--drain-timeout", type=float, default=20.0)
    args = parser.parse_args(argv)
    return _simulate(args)


if __name__ == "__main__":
    sys.exit(main())
