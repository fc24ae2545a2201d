"""The production shape for server tests: deploy/cluster.py on free ports.

`Cluster` starts HAProxy + N daphne (+ Celery) with `deploy/cluster.py` on free ports
and the test database; `create_stations` makes many stations and cards at once.
Simulated stations to run against it are in station_run.py, the faults to survive
(a private redis-server, a TCP proxy that cuts PostgreSQL off) in fault_servers.py.
"""

import base64
import contextlib
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.support.waiting import cluster_script, free_port, wait

ROOT = Path(__file__).resolve().parents[2]  # the repository
CLUSTER_SCRIPT = ROOT / "deploy" / "cluster.py"
STATION_PASSWORD = "cluster-station-password"
#: Seconds deploy/cluster.py gives every program to come up.
START_TIMEOUT = 120


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
        client_ca: str = "",
        daphne_port: str = "auto",
    ):
        self.directory = Path(directory)
        self.database_url = database_url
        self.redis_url = redis_url
        self.processes = processes
        self.celery = celery
        self.env = {"OCPP_LOG_FLUSH_INTERVAL": "0.05", "LOG_LEVEL": "INFO", **(env or {})}
        self.port = free_port()
        self.tls_port = free_port()
        # Security profile 3: a port verifying client certificates against `client_ca`.
        self.client_ca = str(client_ca)
        self.mtls_port = free_port() if client_ca else 0
        self.daphne_port = daphne_port  # the first daphne's; "auto": each a free one
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
            "--daphne-port", self.daphne_port,
            "--database-url", self.database_url,
            "--redis-url", self.redis_url,
            "--no-migrate",
            "--celery-concurrency", "1",
            "--timeout", str(START_TIMEOUT),
        ]  # fmt: skip
        if not self.celery:
            args.append("--no-celery")
        if self.mtls_port:
            args += ["--mtls-port", str(self.mtls_port), "--client-ca", self.client_ca]
        for name, value in self.env.items():
            args += ["--env", f"{name}={value}"]
        try:
            # The script's own deadline comes first: it then says why and cleans up.
            result = self._run(*args, timeout=START_TIMEOUT + 60)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(Exception):  # the timeout is what to report
                self.stop()
            raise
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
    def mtls_url(self) -> str:
        return f"wss://localhost:{self.mtls_port}/ocpp/"

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
        return cluster_script().haproxy_servers(self.directory / "haproxy.sock")

    def programs(self) -> dict[str, dict]:
        """supervisord's view: program name -> {"state", "pid", "description"}."""
        return cluster_script().program_states(self.directory)


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
