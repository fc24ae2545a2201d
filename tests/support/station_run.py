"""Simulated OCPP 1.6 stations in a process of their own, recording what was answered.

`StationRun` starts `python -m tests.support.station_run simulate ...`, which records
every StartTransaction, StopTransaction and MeterValues the CSMS answered;
`check_nothing_lost` compares that record with the database.
"""

import argparse
import asyncio
import contextlib
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.support.cluster import ROOT, STATION_PASSWORD
from tests.support.waiting import wait

#: Seconds the stations have, once asked to stop, to get their queued transaction
#: messages answered (a loaded machine may still be working off a reconnect storm).
DRAIN_TIMEOUT = 20.0


class StationRun:
    """`python -m tests.support.station_run simulate`: stations in a process, recorded.

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
            sys.executable, "-m", "tests.support.station_run", "simulate",
            "--url", url,
            "--stations", str(count),
            "--prefix", prefix,
            "--cards", str(cards_file),
            "--status", str(self.status_file),
            "--out", str(self.out_file),
        ]  # fmt: skip
        self.drain_timeout = float(options.get("drain_timeout", DRAIN_TIMEOUT))
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

    def finish(self) -> dict:
        timeout = self.drain_timeout + 30  # the drain, then closing every socket
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


# --- `python -m tests.support.station_run simulate`: the station process ------------


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
    parser = argparse.ArgumentParser(prog="python -m tests.support.station_run")
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
    simulate.add_argument("--drain-timeout", type=float, default=DRAIN_TIMEOUT)
    args = parser.parse_args(argv)
    return _simulate(args)


if __name__ == "__main__":
    sys.exit(main())
