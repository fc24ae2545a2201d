"""Per-frame cost of the OCPP hot path in one process, without sockets: µs per frame.

    python bench/frames.py [--frames 4000] [--stations 100] [--profile]

Drives the version adapters (stations/ocpp/v16.py, v201.py) the way the socket does
(`handle_frame(text)`, the answer sent to a connection that only keeps it) on
PostgreSQL: `--stations` stations each send their frames one after the other, all at
once, so the batched writers (meter values, message log, last-seen) see the batches a
loaded server sees. For Heartbeat and MeterValues of 1.6 and 2.0.1 it prints the wall
time and the CPU time of this process per frame (PostgreSQL's own work is not in the
CPU figure). `--profile` runs cProfile over the same frames and prints where the CPU
went, by part of the hot path (parsing, validation, dispatch, ORM, message log,
live events). The database `--database-url` (default chargenet_frames) is created
and migrated when missing; its stations BENCH-F* are made on first use.
"""

import argparse
import asyncio
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

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

# Where a profiled function's own time is counted: the first pattern its file or name
# holds, in this order (the rest is asyncio and threads, "event loop and threads").
PARTS = (
    ("parsing", ("framing.py:", "json/decoder", "json/__init__", "orjson", "loads")),
    ("validation", ("schemas.py", "jsonschema")),
    ("message log", ("message_log.py", "OcppMessage")),
    ("live events", ("events.py", "channel_layer", "channels/layers", "group_send")),
    ("ORM and database driver", ("django/db", "psycopg", "bulk.py", "services/")),
    ("dispatch and handlers", ("stations/ocpp", "stations/metering", "stations/writers")),
)


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


def parts(profile: cProfile.Profile) -> dict[str, float]:
    """The profile's own time (tottime) by part of the hot path, in seconds."""
    stats = pstats.Stats(profile)
    totals: dict[str, float] = {}
    for (filename, _, name), (_, _, tottime, _, _) in stats.stats.items():
        where = f"{filename}:{name}"
        part = next(
            (label for label, patterns in PARTS if any(p in where for p in patterns)),
            "event loop, threads, the rest",
        )
        totals[part] = totals.get(part, 0.0) + tottime
    return totals


def main(argv=None) -> None:
    args = parse_args(argv)
    setup(args.database_url)
    infos = stations(args.stations)
    print(
        f"{args.frames} frames per row from {len(infos)} stations at once, "
        f"PostgreSQL {args.database_url.rsplit('/', 1)[1]}, in-process channel layer"
    )
    print(f"{'version':8} {'action':12} {'µs/frame wall':>14} {'µs/frame CPU':>13}")
    for (version, action), _ in FRAMES.items():
        asyncio.run(run(version, action, infos, min(args.frames, 400)))  # warm caches
        profile = cProfile.Profile() if args.profile else None
        if profile:
            profile.enable()
        wall, cpu, answered = asyncio.run(run(version, action, infos, args.frames))
        if profile:
            profile.disable()
        wall_us, cpu_us = wall / answered * 1e6, cpu / answered * 1e6
        print(f"{version:8} {action:12} {wall_us:14.0f} {cpu_us:13.0f}")
        if profile:
            totals = parts(profile)
            whole = sum(totals.values()) or 1.0
            for part, seconds in sorted(totals.items(), key=lambda item: -item[1]):
                share = seconds / whole
                print(f"    {part:32} {share:6.1%} {seconds / answered * 1e6:8.0f} µs")


if __name__ == "__main__":
    main()
