"""Command round-trip latency across two daphne processes: p50 / p99 over N commands.

Starts two `manage.py serve` processes (A and B) on the configured database and the
Redis channel layer, connects an `ocpp` library station to A, then times N commands:

- through the REST API of B (HTTP → B → Redis → A → station → stored → answer), and
- with `command_send` from this process (→ Redis → A → station → stored → answer).

It prints the figures (and one JSON line with --json). Needs REDIS_URL: without it
every process has its own in-memory channel layer and no command crosses processes.
"""

import asyncio
import base64
import contextlib
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as result16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as result201
from rest_framework.authtoken.models import Token
from websockets.asyncio.client import connect

from stations.commands.service import command_send
from stations.models import ChargingStation

ROOT = Path(settings.BASE_DIR)
PASSWORD = "bench-station-secret"

GOAL_P99_MS = 50  # a command round trip across two daphne processes


class Station16(ChargePoint16):
    @on("ClearCache")
    def clear_cache(self, **kw):
        return result16.ClearCache(status="Accepted")

    @on("Reset")
    def reset(self, **kw):
        return result16.Reset(status="Accepted")


class Station201(ChargePoint201):
    @on("ClearCache")
    def clear_cache(self, **kw):
        return result201.ClearCache(status="Accepted")

    @on("Reset")
    def reset(self, **kw):
        return result201.Reset(status="Accepted")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def daphne():
    """One `manage.py serve` on a free port; yields its address."""
    port = free_port()
    # Its access log goes to a file: it would drown the figures.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--port", str(port)],
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "LOG_LEVEL": "WARNING"},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_for_port(port, process, log)
            yield f"127.0.0.1:{port}"
        except BaseException:
            sys.stderr.write(f"daphne on {port}, last of its log:\n{_log_tail(log)}\n")
            raise
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _log_tail(log, size: int = 4000) -> str:
    log.seek(0)
    return log.read()[-size:].decode(errors="replace")


def _wait_for_port(port: int, process: subprocess.Popen, log) -> None:
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            raise CommandError(f"daphne exited with {process.returncode}:\n{_log_tail(log)}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        if time.monotonic() > deadline:
            raise CommandError(f"daphne did not listen on {port}")
        time.sleep(0.1)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict:
    return {
        "n": len(values),
        "p50_ms": round(percentile(values, 0.50), 2),
        "p99_ms": round(percentile(values, 0.99), 2),
        "mean_ms": round(statistics.fmean(values), 2),
        "max_ms": round(max(values), 2),
    }


class Command(BaseCommand):
    help = "Measure command round-trip latency across two daphne processes (needs REDIS_URL)."

    def add_arguments(self, parser):
        parser.add_argument("--count", type=int, default=300, help="Commands per path.")
        parser.add_argument("--warmup", type=int, default=10)
        parser.add_argument("--ocpp", choices=["1.6", "2.0.1"], default="1.6")
        parser.add_argument("--action", choices=["clear_cache", "reset"], default="clear_cache")
        parser.add_argument(
            "--json", action="store_true", dest="as_json", help="Also print one JSON line."
        )

    def handle(self, *args, count, warmup, ocpp, action, as_json, **options):
        if not settings.REDIS_URL:
            raise CommandError(
                "bench_commands needs REDIS_URL: two processes meet on the Redis channel layer."
            )
        station, user = self._setup()
        try:
            with daphne() as process_a, daphne() as process_b:
                figures = asyncio.run(
                    self._measure(station, user, process_a, process_b, ocpp, action, count, warmup)
                )
        finally:
            station.delete()
            user.delete()
        self._print(figures, count, ocpp, action, as_json=as_json)

    def _setup(self):
        suffix = secrets.token_hex(4)
        station = ChargingStation(station_id=f"BENCH-{suffix}")
        station.set_password(PASSWORD)
        station.save()
        user = get_user_model().objects.create_user(f"bench-{suffix}", is_staff=True)
        Token.objects.create(user=user)
        return station, user

    async def _measure(self, station, user, process_a, process_b, ocpp, action, count, warmup):
        params = {"type": "soft"} if action == "reset" else {}
        token = await sync_to_async(lambda: user.auth_token.key)()
        async with self._station(station, process_a, ocpp):
            await self._until_connected(station)

            async def by_api():
                answer = await asyncio.to_thread(
                    self._post, process_b, token, station.station_id, action, params
                )
                assert answer["status"] == "accepted", answer

            async def by_layer():
                command = await command_send(station, action, params, timeout=10)
                assert command.status == "accepted", command.error

            return {
                "api_on_b": await self._time(by_api, count, warmup),
                "command_send_here": await self._time(by_layer, count, warmup),
            }

    @contextlib.asynccontextmanager
    async def _station(self, station, address, ocpp):
        auth = base64.b64encode(f"{station.station_id}:{PASSWORD}".encode()).decode()
        async with connect(
            f"ws://{address}/ocpp/{station.station_id}",
            subprotocols=[f"ocpp{ocpp}"],
            additional_headers={"Authorization": f"Basic {auth}"},
        ) as websocket:
            client = Station16 if ocpp == "1.6" else Station201
            cp = client(station.station_id, websocket)
            runner = asyncio.create_task(cp.start())
            if ocpp == "1.6":
                await cp.call(
                    call16.BootNotification(charge_point_vendor="B", charge_point_model="B")
                )
            else:
                await cp.call(
                    call201.BootNotification(
                        charging_station={"vendor_name": "B", "model": "B"}, reason="PowerUp"
                    )
                )
            try:
                yield cp
            finally:
                runner.cancel()
                with contextlib.suppress(BaseException):
                    await runner

    async def _until_connected(self, station) -> None:
        for _ in range(100):
            if await ChargingStation.objects.filter(pk=station.pk, connected=True).aexists():
                return
            await asyncio.sleep(0.05)
        raise CommandError("The bench station never showed as connected.")

    def _post(self, address, token, station_id, action, params) -> dict:
        request = urllib.request.Request(
            f"http://{address}/api/v1/stations/{urllib.request.quote(station_id)}/commands/",
            data=json.dumps({"action": action, "params": params, "timeout": 10}).encode(),
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    async def _time(self, once, count, warmup) -> dict:
        for _ in range(warmup):
            await once()
        durations = []
        for _ in range(count):
            started = time.perf_counter()
            await once()
            durations.append((time.perf_counter() - started) * 1000)
        return summary(durations)

    def _print(self, figures, count, ocpp, action, as_json) -> None:
        self.stdout.write(
            f"Command round trip, {count} × {action}, OCPP {ocpp}, station on daphne A, "
            f"{settings.DATABASES['default']['ENGINE'].rsplit('.', 1)[-1]} + Redis:"
        )
        labels = {
            "api_on_b": "REST API of daphne B (HTTP → B → Redis → A → station, stored)",
            "command_send_here": "command_send in a third process (→ Redis → A → station, stored)",
        }
        for key, label in labels.items():
            f = figures[key]
            verdict = "met" if f["p99_ms"] < GOAL_P99_MS else "MISSED"
            self.stdout.write(
                f"  {label}: p50 {f['p50_ms']:.1f} ms, p99 {f['p99_ms']:.1f} ms "
                f"(goal p99 < {GOAL_P99_MS} ms: {verdict}; mean {f['mean_ms']:.1f}, "
                f"max {f['max_ms']:.1f}, n={f['n']})"
            )
        if as_json:
            self.stdout.write(
                json.dumps(
                    {"bench": "command_round_trip", "ocpp": ocpp, "action": action, **figures}
                )
            )
