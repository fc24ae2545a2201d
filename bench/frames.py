"""Per-frame cost of the OCPP hot path in one process, without sockets: µs per frame.

    python bench/frames.py [--frames 4000] [--stations 100] [--profile]

Drives the version adapters (stations/ocpp/v16.py, v201.py) the way the socket does
(`handle_frame(text)`, the answer sent to a connection that only keeps it) on
PostgreSQL: `--stations` stations each send their frames one after the other, all at
once, so the batched writers (meter values, message log, last-seen) see the batches a
loaded server sees. For Heartbeat and MeterValues of 1.6 and 2.0.1 it prints the wall
time and the CPU time of this process per frame (PostgreSQL's own work is not in the
CPU figure). `--profile` samples the measured frames with py-spy and prints where the
CPU went, by part of the hot path (bench/profile_parts.py). The database
`--database-url` (default chargenet_frames) is created and migrated when missing; its
stations BENCH-F* are made on first use.
"""

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.profile_parts import tally  # noqa: E402

FRAMES = {
    ("1.6", "Heartbeat"): '[2,"{id}","Heartbeat",{{}}]',
    ("1.6", "MeterValues"): (
        '[2,"{id}","MeterValues",{{"connectorId":1,"meterValue":[{{"timestamp":'
        '"2026-11-20T10:00:00Z","sampledValue":[{{"value":"{wh}","measurand":'
        '"Energy.Active.Import.Register","unit":"Wh"}},{{"value":"7000","measurand":'
        '"Power.Active.Import","unit":"W"}},{{"value":"16.0","measurand":"Current.Import",'
        '"unit":"A","phase":"L1"}}]}}]}}]'
    ),
    ("2.0.1", "Heartbeat"): '[2,"{id}","Heartbeat",{{}}]',
    ("2.0.1", "MeterValues"): (
        '[2,"{id}","MeterValues",{{"evseId":1,"meterValue":[{{"timestamp":'
        '"2026-11-20T10:00:00Z","sampledValue":[{{"value":{wh},"measurand":'
        '"Energy.Active.Import.Register","unitOfMeasure":{{"unit":"Wh"}}}},{{"value":7000,'
        '"measurand":"Power.Active.Import","unitOfMeasure":{{"unit":"W"}}}},{{"value":16.0,'
        '"measurand":"Current.Import","phase":"L1","unitOfMeasure":{{"unit":"A"}}}}]}}]}}]'
    ),
}


class Connection:
    """The sending end of a socket that keeps nothing but a count."""

    def __init__(self) -> None:
        self.sent = 0

    async def send(self, text: str) -> None:
        self.sent += 1


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=4000, help="Per action and version.")
    parser.add_argument("--stations", type=int, default=100, help="Sending at once.")
    parser.add_argument("--profile", action="store_true", help="Where the CPU goes, by part.")
    parser.add_argument("--only", default="", help='One row, e.g. "1.6 Heartbeat".')
    parser.add_argument(
        "--database-url",
        default=os.environ.get(
            "FRAMES_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/chargenet_frames"
        ),
    )
    return parser.parse_args(argv)


def setup(database_url: str) -> None:
    import psycopg
    from psycopg import sql

    name = database_url.rsplit("/", 1)[1]
    maintenance = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(maintenance, autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if exists.fetchone() is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    os.environ["DATABASE_URL"] = database_url
    os.environ.pop("REDIS_URL", None)  # the in-process channel layer: no Redis to wait on
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chargenet.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def stations(count: int) -> list:
    from django.contrib.auth.hashers import make_password

    from stations.models import ChargingStation, Connector
    from stations.ocpp.base import StationInfo

    have = {
        s.station_id: s for s in ChargingStation.objects.filter(station_id__startswith="BENCH-F")
    }
    if len(have) < count:
        password = make_password("bench-password", hasher="station_pbkdf2_sha256")
        made = ChargingStation.objects.bulk_create(
            ChargingStation(
                station_id=f"BENCH-F{index:05d}", password=password, registration_status="accepted"
            )
            for index in range(count)
            if f"BENCH-F{index:05d}" not in have
        )
        Connector.objects.bulk_create(
            Connector(station=station, connector_id=1) for station in made
        )
        have.update((s.station_id, s) for s in made)
    chosen = sorted(have.values(), key=lambda s: s.station_id)[:count]
    return [StationInfo(s.pk, s.station_id, "accepted") for s in chosen]


async def run(version: str, action: str, infos: list, frames: int) -> tuple[float, float, int]:
    """Send `frames` frames over the stations; (wall s, CPU s, answers)."""
    from stations.ocpp import VERSIONS, adapter_class
    from stations.writers.message_log import message_log

    adapter_type = adapter_class(VERSIONS[version])
    connections = [Connection() for _ in infos]
    adapters = [adapter_type(info, c) for info, c in zip(infos, connections, strict=True)]
    template = FRAMES[version, action]
    each = max(frames // len(adapters), 1)

    async def station(index: int, adapter) -> None:
        for n in range(each):
            await adapter.handle_frame(template.format(id=f"{index}-{n}", wh=1000 + n))

    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(station(i, a) for i, a in enumerate(adapters)))
    await message_log.flush()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return wall, cpu, sum(c.sent for c in connections)


class Profiler:
    """py-spy sampling this process (the threads holding the GIL) while it runs."""

    RATE = 200  # samples per second

    def __init__(self) -> None:
        self.path = Path(tempfile.mkstemp(prefix="frames-", suffix=".txt")[1])
        command = ["py-spy", "record", "--gil", "--nonblocking", "-r", str(self.RATE)]
        command += ["-f", "raw", "-o", str(self.path), "--pid", str(os.getpid())]
        py_spy = Path(sys.executable).with_name("py-spy")
        command[0] = str(py_spy) if py_spy.exists() else "py-spy"
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        time.sleep(2)  # attached

    def stop(self, frames: int) -> None:
        self.process.send_signal(signal.SIGINT)
        self.process.wait(timeout=60)
        with self.path.open(encoding="utf-8") as stacks:
            counts = tally(stacks)
        self.path.unlink()
        whole = sum(counts.values()) or 1
        for label, count in sorted(counts.items(), key=lambda item: -item[1]):
            per_frame = count / self.RATE / frames * 1e6
            print(f"    {label:44} {count / whole:6.1%} {per_frame:7.0f} µs")


def main(argv=None) -> None:
    args = parse_args(argv)
    setup(args.database_url)
    infos = stations(args.stations)
    print(
        f"{args.frames} frames per row from {len(infos)} stations at once, "
        f"PostgreSQL {args.database_url.rsplit('/', 1)[1]}, in-process channel layer"
    )
    print(f"{'version':8} {'action':12} {'µs/frame wall':>14} {'µs/frame CPU':>13}")
    rows = [tuple(args.only.split())] if args.only else list(FRAMES)
    for version, action in rows:
        asyncio.run(run(version, action, infos, min(args.frames, 400)))  # warm caches
        profiler = Profiler() if args.profile else None
        wall, cpu, answered = asyncio.run(run(version, action, infos, args.frames))
        wall_us, cpu_us = wall / answered * 1e6, cpu / answered * 1e6
        print(f"{version:8} {action:12} {wall_us:14.0f} {cpu_us:13.0f}")
        if profiler:
            profiler.stop(answered)


if __name__ == "__main__":
    main()
