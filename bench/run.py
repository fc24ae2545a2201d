"""ChargeNet's benchmark: simulated OCPP stations against daphne processes.

    .venv/bin/python bench/run.py [--stations 1000] [--servers 2] [--duration 30]
                                  [--workers 2] [--version 1.6|2.0.1|mix]
                                  [--storm 60] [--compare-bare]

It recreates a PostgreSQL database, migrates it, bulk-creates the stations (one
password hash shared by all) and a card per connector, starts --servers
`manage.py serve` processes on free ports with DATABASE_URL (PostgreSQL) and
REDIS_URL (Redis channel layer), and measures their resident memory. Worker
processes then connect the stations over real sockets (`stations.simulator`), spread
over the servers as a balancer would, every connector charging. Once all are up it
measures for --duration seconds and prints what the servers sustained: stations
connected, answered requests per second, reply latency (client side, Call sent ->
CallResult received), memory per connected station and CPU per request.

--storm S then drops every station's socket at a random moment within S seconds (a
power cut in the field) and measures until all have reconnected and booted again.
--compare-bare first runs the same load against bench/bare_server.py (the `ocpp`
library on `websockets`, no database) and prints ChargeNet's requests per
CPU-second of a server process as a share of the bare server's.

Redis database 14 (by default) is flushed: it must be the benchmark's own.
"""

import argparse
import contextlib
import math
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse, urlunparse

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.balancer import Balancer  # noqa: E402 - needs ROOT on the path

GOAL_KIB_PER_STATION = 32
GOAL_BURST_SECONDS = 5  # 2,000 stations booted on one process
GOAL_STORM_SECONDS = 60  # 10,000 stations booted again through the cluster
GOAL_P99_MS = 250
GOAL_BARE_RATIO = 0.5
STORM_PATIENCE = 120  # seconds after the last drop before the storm is scored as it stands
PASSWORD = "bench-station-password"
PREFIX = "BENCH-"


def version_label(version: str) -> str:
    """'2.0.1' -> 'OCPP 2.0.1'; 'mix' -> 'OCPP 1.6/2.0.1 (mixed)'."""
    return "OCPP 1.6/2.0.1 (mixed)" if version == "mix" else f"OCPP {version}"


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stations", type=int, default=1000)
    parser.add_argument("--servers", type=int, default=2, help="daphne processes (%(default)s).")
    parser.add_argument(
        "--storm", type=float, default=0.0, help="Then drop every socket within S seconds."
    )
    parser.add_argument(
        "--compare-bare", action="store_true", help="Measure a bare ocpp server first."
    )
    parser.add_argument(
        "--balancer",
        action="store_true",
        help="Stations connect through HAProxy in front of the servers (as the cluster runs).",
    )
    parser.add_argument("--duration", type=float, default=30.0, help="Seconds measured.")
    parser.add_argument(
        "--plug-in-rate",
        type=float,
        default=20.0,
        help="Cars arriving per second, over all stations, once all have booted (20: "
        "about what one process starts beside the load; faster, the queue of session "
        "starts is what the measurement sees).",
    )
    parser.add_argument(
        "--settle",
        type=float,
        default=10.0,
        help="Seconds between the last session's start and the measurement (10).",
    )
    parser.add_argument(
        "--search",
        default="",
        metavar="FIRST:STEP[:LAST]",
        help="Offer FIRST requests/s, then STEP more each run, until p99 passes 250 ms "
        "(the meter interval follows the rate); prints the summary table.",
    )
    parser.add_argument(
        "--asgi-server",
        choices=sorted(ASGI_SERVERS),
        default="serve",
        help="What runs chargenet.asgi: `manage.py serve` (daphne, default) or, to compare, "
        "plain daphne, uvicorn (uvloop, websockets) or hypercorn, if installed.",
    )
    parser.add_argument(
        "--workers", type=int, default=min(4, max(2, os.cpu_count() or 2)), help="Processes."
    )
    parser.add_argument("--kind", choices=["car", "ebike"], default="car")
    parser.add_argument(
        "--version",
        choices=["1.6", "2.0.1", "mix"],
        default="1.6",
        help="OCPP version the stations speak; mix: every other one 2.0.1 (%(default)s).",
    )
    parser.add_argument("--connectors", type=int, default=2, help="Per station, all charging.")
    parser.add_argument("--heartbeat", type=float, default=5.0, help="Seconds (default 5).")
    parser.add_argument("--meter-interval", type=float, default=5.0, help="Seconds (default 5).")
    parser.add_argument(
        "--status-every",
        type=int,
        default=6,
        help="A StatusNotification after every Nth meter value of a connector, 0 for none "
        "(default 6: the 60 %% MeterValues / 10 %% StatusNotification mix).",
    )
    parser.add_argument(
        "--ramp", type=float, default=None, help="Seconds to open all sockets (stations/100)."
    )
    parser.add_argument(
        "--in-flight",
        type=int,
        default=0,
        help="A burst N at a time: at most N stations connecting and booting at once "
        "(0: no limit, the ramp alone paces them).",
    )
    parser.add_argument(
        "--connect-timeout", type=float, default=300.0, help="Longest wait for all to boot."
    )
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/chargenet_bench"
        ),
        help="Dropped and recreated (default %(default)s).",
    )
    parser.add_argument(
        "--redis-url",
        default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14"),
        help="Flushed (default %(default)s).",
    )
    args = parser.parse_args(argv)
    if min(args.stations, args.workers, args.connectors, args.servers, args.duration) <= 0:
        parser.error("--stations, --servers, --workers, --connectors, --duration: positive")
    if args.compare_bare and args.version != "1.6":
        parser.error("--compare-bare: the bare server speaks OCPP 1.6")
    args.workers = min(max(args.workers, args.servers), args.stations)
    if args.ramp is None:
        args.ramp = args.stations / 100
    if args.search:
        try:
            first, step, *last = (float(part) for part in args.search.split(":"))
        except ValueError:
            parser.error("--search FIRST:STEP[:LAST], requests per second")
        if first <= args.stations / args.heartbeat or step <= 0:
            parser.error("--search: FIRST above the heartbeats' rate, STEP positive")
        args.search = (first, step, last[0] if last else first + 20 * step)
    return args


class BenchError(Exception):
    """A problem to report in one line, without a traceback."""


# --- PostgreSQL and Redis ----------------------------------------------------------


def check_servers(database_url: str, redis_url: str) -> None:
    import psycopg
    import redis

    try:
        with psycopg.connect(_maintenance_url(database_url), connect_timeout=3):
            pass
    except psycopg.Error as error:
        raise BenchError(
            f"PostgreSQL is not reachable at {_safe(database_url)}: {error}".strip()
            + "\n  Start it (as .ci/run does: `pg_ctlcluster <version> main start`)"
            " or pass --database-url."
        ) from error
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=3, socket_timeout=3).ping()
    except redis.RedisError as error:
        raise BenchError(
            f"Redis is not reachable at {redis_url}: {error}"
            "\n  Start it (e.g. `redis-server --daemonize yes`) or pass --redis-url."
        ) from error


def _maintenance_url(database_url: str) -> str:
    return urlunparse(urlparse(database_url)._replace(path="/postgres"))


def _safe(url: str) -> str:
    parsed = urlparse(url)
    if parsed.password:
        parsed = parsed._replace(netloc=parsed.netloc.replace(f":{parsed.password}@", ":***@"))
    return urlunparse(parsed)


def recreate_database(database_url: str) -> None:
    import psycopg
    from psycopg import sql

    name = urlparse(database_url).path.lstrip("/")
    if not name or name == "postgres":
        raise BenchError(f"refusing to recreate database {name!r}: name a benchmark database")
    with psycopg.connect(_maintenance_url(database_url), autocommit=True) as connection:
        connection.execute(
            sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
        )
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def flush_redis(redis_url: str) -> None:
    import redis

    redis.Redis.from_url(redis_url).flushdb()


def count_connected(database_url: str) -> int:
    import psycopg

    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM stations_chargingstation WHERE connected"
        ).fetchone()
    return row[0]


# --- the server --------------------------------------------------------------------


def server_env(args) -> dict:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=args.database_url,
        REDIS_URL=args.redis_url,
        LOG_LEVEL="WARNING",
        OCPP_HEARTBEAT_INTERVAL=str(max(1, int(args.heartbeat))),
        PYTHONUNBUFFERED="1",
    )
    return env


def manage(env: dict, *arguments: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BenchError(f"manage.py {arguments[0]} failed:\n{result.stderr[-2000:]}")


def seed(env: dict, args) -> None:
    """Bulk-create the stations (one shared password hash) and one card per connector."""
    code = textwrap.dedent(
        f"""
        from django.contrib.auth.hashers import make_password
        from stations.models import ChargingStation, IdToken
        hashed = make_password({PASSWORD!r}, hasher="station_pbkdf2_sha256")
        ChargingStation.objects.bulk_create(
            [
                ChargingStation(
                    station_id=f"{PREFIX}{{n:05d}}", kind={args.kind!r}, password=hashed
                )
                for n in range(1, {args.stations} + 1)
            ],
            batch_size=1000,
        )
        IdToken.objects.bulk_create(
            [
                IdToken(value=f"{PREFIX}{{n:05d}}-{{c}}")
                for n in range(1, {args.stations} + 1)
                for c in range(1, {args.connectors} + 1)
            ],
            batch_size=2000,
        )
        """
    )
    manage(env, "shell", "-v", "0", "-c", code)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise BenchError("cannot read the server's memory (VmRSS)")


#: How each ASGI server is started on a port; only `serve` is ChargeNet's own.
ASGI_SERVERS = {
    "serve": ["manage.py", "serve", "--port", "{port}"],
    "daphne": ["-m", "daphne", "-p", "{port}", "chargenet.asgi:application"],
    "uvicorn": [
        "-m",
        "uvicorn",
        "chargenet.asgi:application",
        "--port",
        "{port}",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--ws",
        "websockets",
        "--ws-max-size",
        "262144",
        "--no-access-log",
        "--log-level",
        "warning",
    ],
    "hypercorn": ["-m", "hypercorn", "-b", "127.0.0.1:{port}", "chargenet.asgi:application"],
}


class Server:
    """One server process: ChargeNet's daphne or, with `bare`, the bare ocpp server."""

    def __init__(self, env: dict, log_path: Path, bare: bool = False, asgi: str = "serve"):
        self.env, self.log_path, self.bare, self.asgi = env, log_path, bare, asgi
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def command(self) -> list[str]:
        if self.bare:
            return [sys.executable, str(ROOT / "bench" / "bare_server.py"), str(self.port)]
        arguments = [part.format(port=self.port) for part in ASGI_SERVERS[self.asgi]]
        return [sys.executable, *arguments]

    def start(self) -> None:
        with open(self.log_path, "wb") as log:
            self.process = subprocess.Popen(
                self.command(),
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # our Ctrl-C is ours; we stop it ourselves
            )

    def wait_listening(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            self.check()
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 1),
            ):
                break
            time.sleep(0.2)
        else:
            raise BenchError(f"the server did not listen on port {self.port}\n{self.log_tail()}")
        if not self.bare:
            # Warm up Django's HTTP path so the baseline is a started server, not a bare one.
            with contextlib.suppress(OSError):
                url = f"http://127.0.0.1:{self.port}/admin/login/"
                urllib.request.urlopen(url, timeout=10).read()

    def check(self) -> None:
        if self.process is not None and self.process.poll() is not None:
            raise BenchError(
                f"the server exited with code {self.process.returncode}\n{self.log_tail()}"
            )

    def rss(self) -> int:
        return rss_kib(self.process.pid)

    def cpu(self) -> float:
        return cpu_seconds(self.process.pid)

    def log_tail(self, lines: int = 30) -> str:
        with contextlib.suppress(OSError):
            text = self.log_path.read_text(errors="replace").splitlines()
            return "\n".join(f"  server: {line}" for line in text[-lines:])
        return ""

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- the workers -------------------------------------------------------------------


def worker_main(index: int, first: int, count: int, url: str, options: dict, events, results):
    """One process: `count` stations from number `first`, reporting back to the parent."""
    import asyncio
    import logging
    import random

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s worker %(message)s")
    logging.getLogger("ocpp").setLevel(logging.ERROR)
    logging.getLogger("stations.simulator").setLevel(logging.ERROR)

    from runtime.collector import collector_tune
    from stations.simulator.runner import Simulation, station_configs
    from stations.simulator.stats import Stats

    configs = station_configs(
        first + count - 1,
        prefix=PREFIX,
        kind=options["kind"],
        connectors=options["connectors"],
        version=options["version"],
        password=PASSWORD,
        seed=index * 1_000_003,
        meter_interval=options["meter_interval"],
        status_every=options["status_every"],
        heartbeat=options["heartbeat"],
        idle=(1e9, 1e9),  # no car before every station has booted (`plug_in_all`) ...
        session=(86_400.0, 86_400.0),  # ... and stays for the whole run
        validate=False,  # the CPU is the server's to use
        response_timeout=30.0,
    )[first - 1 :]
    for config in configs:  # a card per connector: no two sessions share one
        config.tokens = tuple(f"{config.station_id}-{c}" for c in range(1, config.connectors + 1))
    stats = Stats(keep_samples=True)
    collector_tune()  # the generator's CPU is better left to the servers

    def plug_in_all(simulation) -> None:
        """The burst is stations booting alone; then a car comes to every connector, at
        `--plug-in-rate`, and stays for the run (the load that is measured): all at
        once, thousands of session starts time out on one process."""
        rng = random.Random(index)
        spread = max(
            1.0, len(simulation.stations) * options["connectors"] / options["plug_in_rate"]
        )
        for station in simulation.stations:
            for connector in station.connectors.values():
                connector.idle_until = time.monotonic() + rng.uniform(0.0, spread)
                connector.wake.set()

    async def wait_for(event) -> bool:
        while not event.is_set() and not events["stop"].is_set():
            await asyncio.sleep(0.1)
        return event.is_set()

    async def storm(simulation) -> dict:
        """Drop every socket at a random moment within the window; wait for the boots."""
        rng = random.Random(index)
        window = options["storm"]
        boots = {id(station): station.boot_count for station in simulation.stations}
        dropped: set[int] = set()
        before = stats.counters()
        started = time.monotonic()

        async def drop(station, delay: float) -> None:
            await asyncio.sleep(delay)
            connection = getattr(station, "_connection", None)
            if connection is not None and station.connected:
                dropped.add(id(station))
                connection.transport.abort()  # the link is gone: no closing handshake

        drops = asyncio.gather(
            *(drop(station, rng.uniform(0, window)) for station in simulation.stations),
            return_exceptions=True,
        )

        def rebooted() -> int:
            return sum(
                1
                for st in simulation.stations
                if id(st) in dropped and st.boot_count > boots[id(st)]
            )

        deadline = started + window + STORM_PATIENCE
        while (
            (not drops.done() or rebooted() < len(dropped))
            and time.monotonic() < deadline
            and not events["stop"].is_set()
        ):
            await asyncio.sleep(0.1)
        finished = time.monotonic()
        await drops
        after = stats.counters()
        return {
            "dropped": len(dropped),
            "rebooted": rebooted(),
            "started": started,
            "finished": finished,
            "failures": {key: after[key] - before[key] for key in after},
        }

    async def main() -> tuple[dict, dict | None]:
        simulation = Simulation(
            configs,
            url,
            stats=stats,
            ramp=options["ramp"],
            in_flight=options["in_flight"],
            backoff_max=5.0,
            open_timeout=30.0,
        )
        began, booted_at = time.time(), None  # wall clock: the parent compares workers
        running = asyncio.create_task(simulation.run())
        deadline = time.monotonic() + options["connect_timeout"]
        charging = count * options["connectors"]

        def booted() -> int:  # stations accepted at least once (one may be reconnecting)
            return sum(1 for station in simulation.stations if station.boot_count)

        while (
            (booted() < count or stats.sessions_started < charging)
            and time.monotonic() < deadline
            and not events["stop"].is_set()
        ):
            await asyncio.sleep(0.02)
            if booted_at is None and booted() == count:
                booted_at = time.time()
                plug_in_all(simulation)
        events["ready"].put((index, booted(), stats.sessions_started, began, booted_at))
        stormed = None
        if options["storm"] and await wait_for(events["storm"]):
            stormed = await storm(simulation)
            events["stormed"].put(index)
        await wait_for(events["stop"])
        at_stop = stats.counters()
        simulation.stop()
        await running
        return at_stop, stormed

    at_stop, stormed = asyncio.run(main())
    results.put(
        {
            "index": index,
            "stations": count,
            "at_stop": at_stop,
            "storm": stormed,
            "reply_times": stats.reply_times.tobytes(),
            "latencies_ms": stats.latencies_ms.tobytes(),
        }
    )


def share(total: int, parts: int) -> list[tuple[int, int]]:
    """(first station number, count) for each worker."""
    base, extra = divmod(total, parts)
    shares, first = [], 1
    for part in range(parts):
        count = base + (1 if part < extra else 0)
        shares.append((first, count))
        first += count
    return shares


# --- the run -----------------------------------------------------------------------


def prepare(args) -> dict:
    check_servers(args.database_url, args.redis_url)
    print(
        f"Preparing: PostgreSQL {_safe(args.database_url)}, Redis {args.redis_url}, "
        f"{args.stations} stations x {args.connectors} connectors"
    )
    recreate_database(args.database_url)
    flush_redis(args.redis_url)
    env = server_env(args)
    manage(env, "migrate", "--noinput", "-v", "0")
    seed(env, args)
    return env


def run(args, bare: bool = False) -> dict:
    """One load run against --servers processes (ChargeNet's or, with `bare`, the yardstick)."""
    from array import array

    from stations.simulator.stats import percentile

    env = dict(os.environ, PYTHONUNBUFFERED="1") if bare else prepare(args)
    name = "bare ocpp server" if bare else "ChargeNet"
    if not bare and args.asgi_server != "serve":
        name += f" on {args.asgi_server}"
    log_dir = Path(tempfile.mkdtemp(prefix="chargenet-bench-"))
    servers = [
        Server(env, log_dir / f"server-{n}.log", bare, args.asgi_server)
        for n in range(args.servers)
    ]
    context = multiprocessing.get_context("spawn")
    events = {
        "ready": context.Queue(),
        "stormed": context.Queue(),
        "storm": context.Event(),
        "stop": context.Event(),
    }
    results = context.Queue()
    workers = []
    storm, balancers = None, []
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_listening()
        time.sleep(1)
        rss_before = sum(server.rss() for server in servers)
        print(
            f"{name}: {len(servers)} process(es) on ports "
            f"{', '.join(str(s.port) for s in servers)}, RSS {rss_before / 1024:.0f} MiB"
        )
        options = {
            "kind": args.kind,
            "version": args.version,
            "connectors": args.connectors,
            "meter_interval": args.meter_interval,
            "status_every": args.status_every,
            "heartbeat": args.heartbeat,
            "ramp": args.ramp,
            "in_flight": -(-args.in_flight // args.workers) if args.in_flight else 0,
            "connect_timeout": args.connect_timeout,
            "storm": args.storm,
            "plug_in_rate": args.plug_in_rate / args.workers,
        }
        if args.balancer:
            balancers_start(args, [server.port for server in servers], balancers)
            print(f"HAProxy on port(s) {', '.join(str(b.port) for b in balancers)} in front")
        started = time.monotonic()
        for index, (first, count) in enumerate(share(args.stations, args.workers)):
            if balancers:
                port = balancers[index % len(balancers)].port
            else:
                port = servers[index % len(servers)].port
            url = f"ws://127.0.0.1:{port}/ocpp/"
            process = context.Process(
                target=worker_main,
                args=(index, first, count, url, options, events, results),
                daemon=True,
            )
            process.start()
            workers.append(process)
        print(f"Connecting {args.stations} stations from {len(workers)} worker processes ...")
        ready = booted = charging = 0
        began, booted_at = [], []
        while ready < len(workers):
            check_alive(servers, workers)
            with contextlib.suppress(Exception):
                _, accepted, sessions, worker_began, worker_booted = events["ready"].get(timeout=1)
                ready += 1
                booted += accepted
                charging += sessions
                began.append(worker_began)
                booted_at.append(worker_booted)
        connect_seconds = time.monotonic() - started
        # From the first station's start to the last one's accepted boot, over all workers.
        boot_seconds = None if None in booted_at else max(booted_at) - min(began)
        print(
            f"{booted} of {args.stations} stations booted"
            + ("" if boot_seconds is None else f" in {boot_seconds:.1f} s")
            + f", {charging} of {args.stations * args.connectors} connectors charging after "
            f"{connect_seconds:.1f} s; measuring"
        )
        # The cars' arrival (a session start each) leaves a queue behind: what is
        # measured is the load once it has gone.
        time.sleep(args.settle)
        load_before = os.getloadavg()[0]
        server_cpu = sum(server.cpu() for server in servers)
        workers_cpu = sum(cpu_seconds(p.pid) for p in workers)
        window_start = time.monotonic()
        peak_rss = 0
        while time.monotonic() - window_start < args.duration:
            time.sleep(min(1.0, args.duration - (time.monotonic() - window_start)))
            check_alive(servers, workers)
            peak_rss = max(peak_rss, sum(server.rss() for server in servers))
        window_end = time.monotonic()
        server_cpu = sum(server.cpu() for server in servers) - server_cpu
        workers_cpu = sum(cpu_seconds(p.pid) for p in workers) - workers_cpu
        load_after = os.getloadavg()[0]
        rss_after = sum(server.rss() for server in servers)
        server_connected = None if bare else count_connected(args.database_url)
        if args.storm:
            print(f"Storm: every socket dropped within {args.storm:g} s; waiting for the boots")
            events["storm"].set()
            stormed, deadline = 0, time.monotonic() + args.storm + STORM_PATIENCE + 30
            while stormed < len(workers) and time.monotonic() < deadline:
                check_alive(servers, workers)
                with contextlib.suppress(Exception):
                    events["stormed"].get(timeout=1)
                    stormed += 1
        events["stop"].set()
        reports = []
        deadline = time.monotonic() + 60
        while len(reports) < len(workers) and time.monotonic() < deadline:
            with contextlib.suppress(Exception):
                reports.append(results.get(timeout=1))
        if len(reports) < len(workers):
            raise BenchError("some worker processes did not report back")
    finally:
        events["stop"].set()
        for process in workers:
            process.join(10)
            if process.is_alive():
                process.terminate()
                process.join(5)
        for balancer in balancers:
            balancer.stop()
        for server in servers:
            server.stop()

    times, latencies = array("d"), array("d")
    connected = 0
    counters: dict[str, int] = {}
    for report in reports:
        times.frombytes(report["reply_times"])
        latencies.frombytes(report["latencies_ms"])
        connected += report["at_stop"]["accepted"] if not args.storm else 0
        for key, value in report["at_stop"].items():
            counters[key] = counters.get(key, 0) + value
    if args.storm:
        storm = storm_figures(reports, times, latencies, args)
        connected = server_connected  # what the servers held when the window closed
    window = [
        lat for t, lat in zip(times, latencies, strict=True) if window_start <= t <= window_end
    ]
    seconds = window_end - window_start
    offered = args.stations * (
        1 / args.heartbeat + args.connectors / args.meter_interval * status_factor(args)
    )
    answered = len(window) / seconds
    cores = server_cpu / seconds
    return {
        "name": name,
        "stations": args.stations,
        "connected": connected,
        "server_connected": server_connected,
        "connect_seconds": connect_seconds,
        "boot_seconds": boot_seconds,
        "charging": charging,
        "seconds": seconds,
        "frames_per_second": answered,
        "offered_per_second": offered,
        "per_cpu_second": answered / cores if cores else math.nan,
        "p50": percentile(window, 0.50),
        "p95": percentile(window, 0.95),
        "p99": percentile(window, 0.99),
        "max": max(window) if window else None,
        "rss_before": rss_before,
        "rss_after": rss_after,
        "peak_rss": peak_rss,
        "kib_per_station": (rss_after - rss_before) / connected if connected else math.nan,
        "counters": counters,
        "server_cpu": cores,
        "workers_cpu": workers_cpu / seconds,
        "load": (load_before, load_after),
        "storm": storm,
        "log_dir": log_dir,
    }


def storm_figures(reports, times, latencies, args) -> dict:
    """What the storm did: stations booted again, how long it took, what failed."""
    from stations.simulator.stats import percentile

    storms = [report["storm"] for report in reports if report["storm"]]
    started = min(s["started"] for s in storms)
    finished = max(s["finished"] for s in storms)
    failures: dict[str, int] = {}
    for s in storms:
        for key, value in s["failures"].items():
            failures[key] = failures.get(key, 0) + value
    during = [lat for t, lat in zip(times, latencies, strict=True) if started <= t <= finished]
    return {
        "dropped": sum(s["dropped"] for s in storms),
        "rebooted": sum(s["rebooted"] for s in storms),
        "seconds": finished - started,
        "failures": failures,
        "p99": percentile(during, 0.99),
    }


def balancers_start(args, ports: list[int], balancers: list[Balancer]) -> None:
    """Start HAProxy processes in front of `ports` into `balancers` (stopped by the
    caller), enough that none needs more file descriptors (two a station) than a
    process may open here; the workers take turns."""
    import resource

    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    per_process = max(1000, (limit - 1000) // 2 if limit != resource.RLIM_INFINITY else 50_000)
    count = min(args.workers, -(-args.stations // per_process))
    for _ in range(count):
        balancers.append(Balancer(free_port(), ports, maxconn=min(per_process, args.stations)))
        balancers[-1].wait_listening()


def check_alive(servers: list[Server], workers: list) -> None:
    for server in servers:
        server.check()
    for process in workers:
        if process.exitcode not in (None, 0):
            raise BenchError(f"a worker process failed (exit code {process.exitcode})")


def verdict(value, goal, unit: str, at_least: bool = False) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return f"goal {'>=' if at_least else '<'} {goal} {unit}: no data"
    met = value >= goal if at_least else value < goal
    return f"goal {'>=' if at_least else '<'} {goal} {unit}: {'met' if met else 'MISSED'}"


def report(result: dict, args, bare: dict | None = None) -> None:
    def ms(value):
        return "n/a" if value is None else f"{value:.1f} ms"

    counters = result["counters"]
    print()
    print(
        f"{result['name']} benchmark: {args.stations} {version_label(args.version)} "
        f"{args.kind} stations x {args.connectors} connectors (all charging), heartbeat "
        f"{args.heartbeat:g} s, meter values {args.meter_interval:g} s"
        + (f" (a status after every {args.status_every})" if args.status_every else "")
        + f", {args.workers} worker "
        f"processes, {args.servers} server process(es)"
        + ("" if result["name"] != "ChargeNet" else " on PostgreSQL + Redis")
    )
    print(
        f"  measured for                {result['seconds']:.1f} s, {args.settle:g} s after "
        f"{result['charging']} connectors charged (boot storm took "
        f"{result['connect_seconds']:.1f} s)"
    )
    marked = result["server_connected"]
    print(
        f"  stations connected          {result['connected']} of {result['stations']}"
        + ("" if marked is None else f" (server: {marked} marked connected)")
    )
    print(
        f"  requests/s sustained        {result['frames_per_second']:.0f} answered/s"
        f" (offered {result['offered_per_second']:.0f}/s), "
        f"{result['frames_per_second'] / args.servers:.0f}/s per process"
    )
    print(f"  reply latency p50           {ms(result['p50'])}")
    print(f"  reply latency p95           {ms(result['p95'])}")
    p99_goal = verdict(result["p99"], GOAL_P99_MS, "ms")
    print(f"  reply latency p99           {ms(result['p99'])}   ({p99_goal})")
    print(
        f"  server memory per station   {result['kib_per_station']:.1f} KiB   "
        f"({verdict(result['kib_per_station'], GOAL_KIB_PER_STATION, 'KiB')})"
        f"  (RSS {result['rss_before'] / 1024:.1f} -> {result['rss_after'] / 1024:.1f} MiB)"
    )
    print(
        f"  errors                      {counters.get('timeouts', 0)} timeouts, "
        f"{counters.get('call_errors', 0)} CallErrors, {counters.get('refused', 0)} refused, "
        f"{counters.get('busy', 0)} told to come back later (503), "
        f"{counters.get('connect_failures', 0)} failed connects, "
        f"{counters.get('disconnects', 0)} disconnects (whole run)"
    )
    print(
        f"  CPU during the window       servers {result['server_cpu']:.0%} of a core, "
        f"workers {result['workers_cpu']:.0%}; machine: {os.cpu_count()} CPUs, load average "
        f"{result['load'][0]:.1f} -> {result['load'][1]:.1f}"
    )
    print(
        f"  requests per CPU-second     {result['per_cpu_second']:.0f} "
        "(what one busy server process answers per second)"
    )
    if bare is not None:
        ratio = result["per_cpu_second"] / bare["per_cpu_second"]
        print(
            f"  vs a bare ocpp server       {bare['per_cpu_second']:.0f} requests per "
            f"CPU-second (same load: {bare['frames_per_second']:.0f}/s, p99 {ms(bare['p99'])},"
            f" {bare['kib_per_station']:.1f} KiB/station)"
        )
        print(
            f"  ratio ChargeNet / bare      {ratio:.2f}   "
            f"({verdict(ratio, GOAL_BARE_RATIO, '', at_least=True)})"
        )
    storm = result["storm"]
    if storm is not None:
        f = storm["failures"]
        handshake_failures = f.get("refused", 0) + f.get("connect_failures", 0)
        all_back = (
            storm["dropped"] == result["stations"]
            and storm["rebooted"] == storm["dropped"]
            and not handshake_failures
        )
        print(
            f"  reconnect storm             {storm['dropped']} stations dropped within "
            f"{args.storm:g} s, {storm['rebooted']} booted again after "
            f"{storm['seconds']:.1f} s ({verdict(storm['seconds'], GOAL_STORM_SECONDS, 's')}); "
            f"{handshake_failures} handshake failures (goal: all back, 0 failures: "
            f"{'met' if all_back else 'MISSED'}), {f.get('busy', 0)} handshakes told to come "
            f"back later (503, retried), {f.get('timeouts', 0)} timeouts, "
            f"{f.get('call_errors', 0)} CallErrors, p99 during the storm {ms(storm['p99'])}"
        )
    print(f"  server logs                 {result['log_dir']}")


def _interrupt(signum, frame):
    """A SIGTERM unwinds like Ctrl-C, so the servers and workers are always stopped."""
    raise KeyboardInterrupt


def status_factor(args) -> float:
    """Frames per periodic meter value: itself and its share of a StatusNotification."""
    return 1 + (1 / args.status_every if args.status_every else 0)


def rate_search(args, bare: bool) -> tuple[dict, dict | None]:
    """Runs at rising offered rates until p99 passes the goal: (first run, the fastest
    run under the goal, or None if even the first was over)."""
    first_rate, step, last_rate = args.search
    first = best = None
    rate = first_rate
    while rate <= last_rate:
        meters = (rate - args.stations / args.heartbeat) / status_factor(args)
        args.meter_interval = args.stations * args.connectors / meters
        result = run(args, bare=bare)
        report(result, args)
        first = first or result
        if result["p99"] is None or result["p99"] >= GOAL_P99_MS:
            break
        best = result
        rate += step
    return first, best


def summary(args, bare: tuple | None, chargenet: tuple) -> None:
    """The figures beside their goals, bare server and ChargeNet side by side."""

    def sustained(first, best):
        run, prefix = (first, "none: ") if best is None else (best, "")
        p99 = "n/a" if run["p99"] is None else f"{run['p99']:.0f} ms"
        return f"{prefix}{run['frames_per_second']:.0f}/s, p99 {p99}"

    def boot(run) -> str:
        return "not all booted" if run["boot_seconds"] is None else f"{run['boot_seconds']:.1f} s"

    first, best = chargenet
    pace = f"{args.in_flight} at a time" if args.in_flight else f"ramp {args.ramp:g} s"
    rows = [
        (
            f"{args.stations:,} stations connect and boot ({pace})",
            boot(bare[0]) if bare else "-",
            boot(first),
            verdict(
                math.inf if first["boot_seconds"] is None else first["boot_seconds"],
                GOAL_BURST_SECONDS,
                "s",
            )
            if args.stations >= 2000 and args.servers == 1
            else f"goal < {GOAL_BURST_SECONDS} s for 2,000 on one process: not this run",
        ),
        (
            "sustained requests/s, p99 < 250 ms",
            sustained(*bare) if bare else "-",
            sustained(first, best),
            "goal: at least half the bare server's",
        ),
        (
            "memory per connected station",
            f"{bare[0]['kib_per_station']:.1f} KiB" if bare else "-",
            f"{first['kib_per_station']:.1f} KiB",
            verdict(first["kib_per_station"], GOAL_KIB_PER_STATION, "KiB"),
        ),
    ]
    print()
    print(f"Summary ({version_label(args.version)}, {args.servers} server process(es)):")
    print(f"  {'figure':44} {'bare ocpp':>24} {'ChargeNet':>24}  goal")
    for figure, bare_value, ours, goal in rows:
        print(f"  {figure:44} {bare_value:>24} {ours:>24}  {goal}")
    if bare and bare[1]:
        ratio = (best["frames_per_second"] if best else 0) / bare[1]["frames_per_second"]
        goal = verdict(ratio, GOAL_BARE_RATIO, "", at_least=True)
        print(f"  {'ratio ChargeNet / bare (requests/s)':44} {'':>24} {ratio:>24.2f}  {goal}")


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if args.search:
            bare = rate_search(args, bare=True) if args.compare_bare else None
            summary(args, bare, rate_search(args, bare=False))
            return 0
        bare = None
        if args.compare_bare:
            bare = run(args, bare=True)
            print(
                f"bare ocpp server: {bare['frames_per_second']:.0f} requests/s at "
                f"{bare['server_cpu']:.0%} of a core"
            )
        result = run(args)
    except BenchError as error:
        print(f"bench: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("bench: interrupted; servers and workers stopped", file=sys.stderr)
        return 130
    report(result, args, bare)
    return 0


if __name__ == "__main__":
    sys.exit(main())
