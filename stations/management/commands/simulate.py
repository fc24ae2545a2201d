"""Simulate OCPP 1.6 and 2.0.1 charging stations against a running ChargeNet (or any CSMS).

The simulator is a client: this command only parses options and runs
`stations.simulator`; it never opens the database.
"""

import asyncio
import logging
import signal
from collections import Counter

from django.core.management.base import BaseCommand, CommandError

from demo.network import DEMO_TOKENS
from runtime.collector import collector_tune
from stations.simulator.runner import (
    VERSION_CHOICES,
    Simulation,
    check_url,
    demo_configs,
    station_configs,
)

DEMO_IDLE = (5.0, 30.0)  # --demo: the first drivers arrive soon after `make run`
# --demo: each of the four stations plays a fault every 15 minutes or so, so alarms
# and the outage log show something within minutes of `make run`.
DEMO_FAULTS = 900.0
LOG_LEVELS = {0: logging.WARNING, 1: logging.INFO, 2: logging.DEBUG, 3: logging.DEBUG}


def seconds_range(text: str) -> tuple[float, float]:
    """'30-300' or '30,300' or '60' -> (low, high) seconds."""
    parts = text.replace(",", "-").split("-")
    try:
        values = [float(part) for part in parts if part.strip()]
    except ValueError as error:
        raise ValueError(f"not a range of seconds: {text!r}") from error
    if len(values) == 1:
        values *= 2
    if len(values) != 2 or values[0] < 0 or values[1] < values[0]:
        raise ValueError(f"not a range of seconds: {text!r}")
    return values[0], values[1]


def positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise ValueError("must be positive")
    return value


class Command(BaseCommand):
    help = (
        "Run virtual OCPP 1.6 / 2.0.1 stations (cars or e-bikes) that boot, heartbeat, charge "
        "with realistic power curves, answer the CSMS's commands and reconnect."
    )
    requires_system_checks = []

    def create_parser(self, prog_name, subcommand, **kwargs):
        # Here --version names the OCPP version; it replaces Django's --version.
        kwargs.setdefault("conflict_handler", "resolve")
        return super().create_parser(prog_name, subcommand, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument(
            "--url",
            default="ws://127.0.0.1:8000/ocpp/",
            help="The CSMS's OCPP endpoint; the station id is appended (default %(default)s).",
        )
        parser.add_argument("--stations", type=int, default=1, help="How many stations.")
        parser.add_argument(
            "--id-prefix", default="SIM-", help="Station ids: <prefix>00001, ... (%(default)s)."
        )
        parser.add_argument(
            "--password", default=None, help="HTTP Basic password of every station."
        )
        parser.add_argument("--kind", choices=["car", "ebike"], default="car")
        parser.add_argument(
            "--version",
            choices=VERSION_CHOICES,
            default="1.6",
            help="OCPP version the stations speak; mix: every other one 2.0.1 (%(default)s). "
            "--demo stations speak their own version.",
        )
        parser.add_argument(
            "--connectors", type=int, default=None, help="Per station (default: car 2, ebike 10)."
        )
        parser.add_argument(
            "--meter-interval",
            type=positive,
            default=10.0,
            help="Seconds between MeterValues while charging (default %(default)s).",
        )
        parser.add_argument(
            "--heartbeat",
            type=positive,
            default=None,
            help="Heartbeat every N seconds instead of the interval the CSMS sends at boot.",
        )
        parser.add_argument(
            "--tokens",
            default=",".join(DEMO_TOKENS),
            help="Comma-separated cards drivers present (default: the demo cards).",
        )
        parser.add_argument(
            "--idle",
            type=seconds_range,
            default=None,
            help="Seconds a free connector waits for the next driver, MIN-MAX "
            "(30-300; with --demo 5-30, so sessions start at once).",
        )
        parser.add_argument(
            "--session",
            type=seconds_range,
            default=(600.0, 3600.0),
            help="Seconds a vehicle stays plugged in, MIN-MAX (600-3600).",
        )
        parser.add_argument(
            "--demo",
            action="store_true",
            help="Drive exactly the demo network (demo) with its password and cards.",
        )
        parser.add_argument("--duration", type=positive, default=None, help="Stop after N seconds.")
        parser.add_argument(
            "--ramp",
            type=float,
            default=None,
            help="Spread the first connections over N seconds (default: stations/200).",
        )
        parser.add_argument(
            "--backoff-max",
            type=positive,
            default=60.0,
            help="Longest wait between reconnection attempts (default %(default)s s).",
        )
        parser.add_argument(
            "--faults",
            type=float,
            default=None,
            help="Play a fault (connector faulted, overload, overheating, offline) every N "
            "seconds per station on average; 0: none (default 0; with --demo 900).",
        )
        parser.add_argument("--seed", type=int, default=None, help="Random seed (repeatable).")
        parser.add_argument(
            "--no-validate",
            action="store_true",
            help="Skip schema validation of the station's own messages (saves CPU).",
        )

    def handle(self, *args, **options):
        try:
            url = check_url(options["url"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        idle = options["idle"] or (DEMO_IDLE if options["demo"] else (30.0, 300.0))
        common = {
            "meter_interval": options["meter_interval"],
            "heartbeat": options["heartbeat"],
            "idle": idle,
            "session": options["session"],
            "validate": not options["no_validate"],
            "faults": options["faults"]
            if options["faults"] is not None
            else (DEMO_FAULTS if options["demo"] else 0.0),
        }
        tokens = tuple(t.strip() for t in options["tokens"].split(",") if t.strip())
        if options["demo"]:
            configs = demo_configs(seed=options["seed"], **common)
        else:
            if options["stations"] < 1:
                raise CommandError("--stations must be at least 1")
            if options["connectors"] is not None and options["connectors"] < 1:
                raise CommandError("--connectors must be at least 1")
            configs = station_configs(
                options["stations"],
                prefix=options["id_prefix"],
                kind=options["kind"],
                connectors=options["connectors"],
                password=options["password"],
                seed=options["seed"],
                tokens=tokens,
                version=options["version"],
                **common,
            )
        level = LOG_LEVELS.get(options["verbosity"], logging.INFO)
        logging.getLogger("stations.simulator").setLevel(level)
        simulation = Simulation(
            configs, url, ramp=options["ramp"], backoff_max=options["backoff_max"]
        )
        collector_tune()
        asyncio.run(self._run(simulation, options["duration"]))

    async def _run(self, simulation: Simulation, duration: float | None) -> None:
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, simulation.stop)
        stats = await simulation.run(duration)
        counts = Counter(station.ocpp_version for station in simulation.stations)
        versions = ", ".join(f"{n} OCPP {v}" for v, n in sorted(counts.items()))
        self.stdout.write(
            f"Simulated {len(simulation.stations)} station(s) ({versions}): {stats.boots} boot(s), "
            f"{stats.sessions_started} session(s) started, {stats.sessions_stopped} stopped, "
            f"{stats.answered} replies, {stats.call_errors} CallError(s), "
            f"{stats.timeouts} timeout(s), {stats.refused} refused connection(s)."
        )
