"""Run many simulated stations in one asyncio loop, reconnecting with backoff.

Each station is one task that connects (WebSocket, subprotocol `ocpp1.6` or
`ocpp2.0.1` after its `StationConfig.version`, HTTP Basic auth), lets the station
speak until the socket ends, and reconnects: at once after a hard reset, otherwise
after an exponential backoff with jitter (1 s doubling to `backoff_max`), so a
restarted CSMS is not hit by every station in the same instant; a CSMS that answers
503 with Retry-After is left alone at least that long. No threads, no
database: thousands of stations fit in one process.
"""

import asyncio
import base64
import contextlib
import logging
from collections.abc import Iterable, Sequence
from urllib.parse import quote, urlparse

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus

from demo.network import DEMO_STATION_PASSWORD, DEMO_STATIONS, DEMO_TOKENS
from stations.simulator.base import StationBase
from stations.simulator.state import StationConfig
from stations.simulator.station import SimulatedStation
from stations.simulator.station201 import SimulatedStation201
from stations.simulator.stats import Stats

logger = logging.getLogger("stations.simulator")

SUBPROTOCOL = "ocpp1.6"
# OCPP version -> (WebSocket subprotocol, station class)
VERSIONS = {
    "1.6": ("ocpp1.6", SimulatedStation),
    "2.0.1": ("ocpp2.0.1", SimulatedStation201),
}
VERSION_CHOICES = (*VERSIONS, "mix")


def subprotocol_version(subprotocol: str) -> str:
    """'ocpp2.0.1' -> '2.0.1' (and '2.0.1' stays '2.0.1')."""
    version = subprotocol.removeprefix("ocpp")
    if version not in VERSIONS:
        raise ValueError(f"the simulator does not speak OCPP {version!r}")
    return version


def mixed_version(version: str, index: int) -> str:
    """The version of the `index`-th station (from 0): with "mix", every other is 2.0.1."""
    if version == "mix":
        return "2.0.1" if index % 2 else "1.6"
    return subprotocol_version(version)


BACKOFF_INITIAL = 1.0
HARD_RESET_REBOOT = (1.0, 3.0)  # seconds a hard-reset station takes to come back


def check_url(url: str) -> str:
    """The CSMS base URL (ws:// or wss://); raise ValueError when it is not one."""
    parsed = urlparse(url)
    if parsed.scheme not in ("ws", "wss") or not parsed.hostname:
        raise ValueError(f"not a ws:// or wss:// URL: {url!r}")
    return url


def station_url(base: str, station_id: str) -> str:
    """`base` joined with the percent-encoded station id (`/` and `+` included)."""
    return base.rstrip("/") + "/" + quote(station_id, safe="")


def basic_auth(user: str, password: str) -> str:
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return f"Basic {token}"


def station_configs(
    count: int,
    *,
    prefix: str = "SIM-",
    kind: str = "car",
    connectors: int | None = None,
    password: str | None = None,
    seed: int | None = None,
    version: str = "1.6",
    **options,
) -> list[StationConfig]:
    """`count` alike stations named `<prefix>00001`, ...; options go to StationConfig.

    `version` is "1.6", "2.0.1" or "mix" (every other station 2.0.1)."""
    connectors = connectors or (2 if kind == "car" else 10)
    model = "Simulator AC22" if kind == "car" else "Simulator E-Bike"
    return [
        StationConfig(
            station_id=f"{prefix}{number:05d}",
            password=password,
            kind=kind,
            connectors=connectors,
            model=model,
            serial_number=f"SN{number:08d}",
            seed=None if seed is None else seed + number,
            version=mixed_version(version, number - 1),
            **options,
        )
        for number in range(1, count + 1)
    ]


def demo_configs(seed: int | None = None, **options) -> list[StationConfig]:
    """The stations of `demo.network`, with its password and cards."""
    options.setdefault("tokens", tuple(DEMO_TOKENS))
    configs = []
    for number, demo in enumerate(DEMO_STATIONS, start=1):
        try:
            version = subprotocol_version(demo.get("version", SUBPROTOCOL))
        except ValueError as error:
            logger.warning("Skipping %s: %s", demo["station_id"], error)
            continue
        configs.append(
            StationConfig(
                station_id=demo["station_id"],
                password=DEMO_STATION_PASSWORD,
                kind=demo["kind"],
                connectors=demo["connectors"],
                vendor=demo.get("vendor", "ChargeNet"),
                model=demo.get("model", "Simulator"),
                serial_number=f"DEMO{number:04d}",
                version=version,
                seed=None if seed is None else seed + number,
                **options,
            )
        )
    return configs


def station_for(config: StationConfig, *args, **kwargs) -> StationBase:
    """A station of the class that speaks `config.version`."""
    return VERSIONS[config.version][1](config, *args, **kwargs)


async def run_station(
    station: StationBase,
    url: str,
    stop: asyncio.Event,
    *,
    backoff_max: float = 60.0,
    open_timeout: float = 10.0,
) -> None:
    """Keep `station` connected to the CSMS at `url` until `stop` is set."""
    uri = station_url(url, station.id)
    subprotocol = VERSIONS[station.ocpp_version][0]
    password = station.config.password
    headers = {"Authorization": basic_auth(station.id, password)} if password else None
    stats = station.stats
    failures = 0
    while not stop.is_set():
        boots_before = station.boot_count
        outcome = "unreachable"
        retry_after = None
        try:
            async with connect(
                uri,
                subprotocols=[subprotocol],
                additional_headers=headers,
                compression=None,
                open_timeout=open_timeout,
                ping_interval=None,  # the CSMS pings; a silent CSMS fails our Heartbeat
                close_timeout=2,
                user_agent_header="ChargeNet-Simulator",
            ) as websocket:
                if websocket.subprotocol != subprotocol:
                    logger.error(
                        "%s: server chose subprotocol %r", station.id, websocket.subprotocol
                    )
                    outcome = "refused"
                else:
                    stats.connects += 1
                    logger.info("%s: connected to %s", station.id, url)
                    outcome = await station.serve(websocket)
                    stats.disconnects += 1
        except InvalidStatus as error:
            if error.response.status_code == 503:
                stats.busy += 1  # back-pressure, not a refusal: tried again as asked
                retry_after = _seconds(error.response.headers.get("Retry-After"))
            else:
                stats.refused += 1
            outcome = "refused"
            logger.warning(
                "%s: connection refused: HTTP %s %s",
                station.id,
                error.response.status_code,
                error.response.body.decode("utf-8", "replace")[:100] if error.response.body else "",
            )
        except (OSError, TimeoutError, InvalidHandshake, ConnectionClosed) as error:
            if outcome == "unreachable":  # not a socket that opened and later failed
                stats.connect_failures += 1
            logger.debug("%s: cannot connect: %r", station.id, error)
        station.attempts_ended += 1
        station.settled.set()
        if stop.is_set():
            break
        if outcome == "hard_reset":
            failures = 0
            delay = station.rng.uniform(*HARD_RESET_REBOOT)
        elif outcome == "offline":
            failures = 0
            delay = station.offline_for
        else:
            if station.boot_count > boots_before:
                failures = 0  # it was up and running: start the backoff again
            failures += 1
            delay = min(backoff_max, BACKOFF_INITIAL * 2 ** (failures - 1))
            delay *= station.rng.uniform(0.5, 1.0)
            if retry_after:  # spread over half as long again, so they do not return at once
                delay = max(delay, retry_after * station.rng.uniform(1.0, 1.5))
        log = logger.info if outcome != "unreachable" or failures == 1 else logger.debug
        log("%s: %s; reconnecting in %.1fs", station.id, outcome, delay)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), delay)


def _seconds(value: str | None) -> float | None:
    """An HTTP Retry-After given in seconds (RFC 9110 §10.2.3), or None."""
    try:
        seconds = float(value or "")
    except ValueError:
        return None
    return seconds if 0 < seconds <= 3600 else None


class Simulation:
    """Stations sharing one `Stats`, run with `await simulation.run(duration)`.

    Each station is of the class that speaks its config's version; `station_class`
    (a subclass of `SimulatedStation`, e.g. one that records what the CSMS answered)
    replaces the 1.6 class and `station_class_201` the 2.0.1 one.
    """

    def __init__(
        self,
        configs: Iterable[StationConfig],
        url: str,
        *,
        stats: Stats | None = None,
        ramp: float | None = None,
        in_flight: int = 0,
        backoff_max: float = 60.0,
        open_timeout: float = 10.0,
        station_class: type[SimulatedStation] = SimulatedStation,
        station_class_201: type[SimulatedStation201] = SimulatedStation201,
    ):
        self.url = check_url(url)
        self.stats = stats if stats is not None else Stats(keep_samples=False)
        cards_in_use: set[str] = set()  # a driver charges at one connector at a time
        classes = {"1.6": station_class, "2.0.1": station_class_201}
        self.stations: Sequence[StationBase] = [
            classes[config.version](config, self.stats, cards_in_use=cards_in_use)
            for config in configs
        ]
        # Spread the first connections: a few hundred handshakes a second at most.
        self.ramp = len(self.stations) / 200 if ramp is None else ramp
        # A burst "N at a time": at most `in_flight` first connections under way, each
        # until its station booted or the attempt ended (a refusal frees its place).
        self.in_flight = in_flight
        self._places: asyncio.Semaphore | None = None
        self.backoff_max = backoff_max
        self.open_timeout = open_timeout
        self._stop: asyncio.Event | None = None

    def stop(self) -> None:
        """Ask `run` to end (from the loop's thread, e.g. a signal handler)."""
        if self._stop is not None:
            self._stop.set()

    async def run(self, duration: float | None = None) -> Stats:
        """Run every station until `duration` seconds passed or `stop()` was called."""
        self._stop = stop = asyncio.Event()
        self._places = asyncio.Semaphore(self.in_flight) if self.in_flight else None
        count = len(self.stations)
        tasks = [
            asyncio.create_task(self._start(station, self.ramp * index / max(count, 1)))
            for index, station in enumerate(self.stations)
        ]
        logger.info("Simulating %d station(s) against %s", count, self.url)
        try:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), duration)
        finally:
            stop.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        logger.info("Simulation ended: %s", self.stats.counters())
        return self.stats

    async def _start(self, station: StationBase, delay: float) -> None:
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)
                return

        def running():
            return run_station(
                station,
                self.url,
                self._stop,
                backoff_max=self.backoff_max,
                open_timeout=self.open_timeout,
            )

        if self._places is None:
            await running()
            return
        task = settled = None
        try:
            async with self._places:
                task = asyncio.create_task(running())
                settled = asyncio.create_task(station.settled.wait())
                await asyncio.wait({task, settled}, return_when=asyncio.FIRST_COMPLETED)
            await task
        finally:
            for waiting in (task, settled):
                if waiting is not None:
                    waiting.cancel()
