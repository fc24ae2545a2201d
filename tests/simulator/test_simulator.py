"""The station simulator: power curves, its answers to the CSMS, and a live run.

Unit tests drive a `SimulatedStation` through a fake CSMS connection. The live tests
start a real `manage.py serve` on a temporary SQLite database in subprocesses and
read what the server stored through `manage.py shell`: they never touch this test
process's database.
"""

import asyncio
import contextlib
import json
import os
import random
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from stations.simulator import power, smart_charging
from stations.simulator.runner import Simulation, demo_configs, station_configs, station_url
from stations.simulator.state import Connector, Profile, StationConfig
from stations.simulator.station import SimulatedStation
from stations.simulator.station201 import SimulatedStation201
from stations.simulator.stats import Stats, percentile
from tests.support.live import ROOT
from tests.support.waiting import free_port

# --- power curves -----------------------------------------------------------------


def test_car_power_stays_within_7_to_22_kw_and_tapers_near_full():
    for rated in (7_400, 11_000, 22_000):
        draws = [power.car_power_w(soc / 10, rated) for soc in range(0, 1000)]
        assert all(7_000 <= watts <= 22_000 for watts in draws)
        assert draws[0] == rated  # steady while far from full
        assert power.car_power_w(50, rated) == rated
        assert power.car_power_w(99, rated) < rated  # tapering near full
        assert all(a >= b for a, b in zip(draws, draws[1:], strict=False))
    assert power.car_power_w(100, 11_000) == 0


def test_ebike_power_stays_within_80_to_400_w_and_tapers_as_the_battery_fills():
    for rated in (120, 250, 400):
        draws = [power.ebike_power_w(soc / 10, rated) for soc in range(0, 1000)]
        assert all(80 <= watts <= 400 for watts in draws)
        assert all(a >= b for a, b in zip(draws, draws[1:], strict=False))
        assert power.ebike_power_w(95, rated) < power.ebike_power_w(50, rated)
    assert power.ebike_power_w(99.9, 400) < 100
    assert power.ebike_power_w(100, 400) == 0


def test_random_vehicles_are_plausible():
    rng = random.Random(7)
    for _ in range(200):
        car = power.random_vehicle("car", rng)
        assert 7_000 <= car.rated_w <= 22_000 and car.phases in (1, 3)
        assert 40_000 <= car.battery_wh <= 100_000
        assert car.soc_start < car.soc_target
        bike = power.random_vehicle("ebike", rng)
        assert 80 <= bike.rated_w <= 400 and bike.phases == 1
        assert 300 <= bike.battery_wh <= 750


def test_charging_fills_the_battery_and_stops_drawing_at_the_target():
    car = power.Vehicle("car", 11_000, 3, 50_000, 79.0, 80.0)
    assert power.power_w(car, 79.0) == 11_000
    energy, soc = power.charge(car, 79.0, 11_000, 3600 / 11)  # 1 kWh = 2 % of 50 kWh
    assert energy == pytest.approx(1_000)
    assert soc == pytest.approx(81.0)
    assert power.power_w(car, soc) == 0
    assert power.power_w(car, 50.0, limit_w=4_000) == 4_000
    assert power.current_a(11_040, 3) == pytest.approx(16.0)


def test_charging_profile_limits():
    connector = Connector(1, meter_wh=0, transaction_id=5, charging_since=100.0)

    def profile(purpose, limit, unit="W", connector_id=1, stack=0, **extra):
        schedule = {
            "charging_rate_unit": unit,
            "charging_schedule_period": [{"start_period": 0, "limit": limit}],
        }
        data = {
            "charging_profile_id": random.randrange(10**6),
            "stack_level": stack,
            "charging_profile_purpose": purpose,
            "charging_profile_kind": "Absolute",
            "charging_schedule": schedule,
            **extra,
        }
        return Profile(connector_id, data, installed=100.0)

    assert smart_charging.limit_w([], connector, 1, 110.0) is None
    profiles = [profile("TxDefaultProfile", 16, unit="A", connector_id=0)]
    assert smart_charging.limit_w(profiles, connector, 1, 110.0) == pytest.approx(16 * 230 * 3)
    profiles.append(profile("TxProfile", 5_000, transaction_id=5))
    assert smart_charging.limit_w(profiles, connector, 1, 110.0) == 5_000
    profiles.append(profile("ChargePointMaxProfile", 6_000, connector_id=0))
    assert smart_charging.limit_w(profiles, connector, 2, 110.0) == 3_000  # shared by two
    other_transaction = Connector(1, meter_wh=0, transaction_id=6)
    assert smart_charging.limit_w(profiles[:2], other_transaction, 1, 110.0) == pytest.approx(
        16 * 230 * 3
    )


def test_percentile_and_station_ids():
    assert percentile([], 0.5) is None
    assert percentile(range(1, 101), 0.5) == 50
    assert percentile(range(1, 101), 0.99) == 99
    assert station_url("ws://h:1/ocpp/", "A B/+") == "ws://h:1/ocpp/A%20B%2F%2B"
    configs = station_configs(3, prefix="SIM-", kind="ebike", password="pw")
    assert [c.station_id for c in configs] == ["SIM-00001", "SIM-00002", "SIM-00003"]
    assert configs[0].connectors == 10 and configs[0].kind == "ebike"
    demo = demo_configs()
    assert {c.station_id for c in demo} >= {"CN-CAR-001", "CN-EBIKE-001"}
    assert all(c.password for c in demo)
    versions = {c.station_id: c.version for c in demo}
    assert versions["CN-CAR-003"] == "2.0.1" and versions["CN-CAR-001"] == "1.6"
    assert [c.version for c in station_configs(4, version="mix")] == ["1.6", "2.0.1"] * 2
    assert {c.version for c in station_configs(2, version="2.0.1")} == {"2.0.1"}
    stations = Simulation(station_configs(2, version="mix"), "ws://h/ocpp/").stations
    assert [type(s).__name__ for s in stations] == ["SimulatedStation", "SimulatedStation201"]


def test_simulate_command_demo_starts_sessions_soon(monkeypatch):
    from django.core.management import call_command

    from stations.management.commands import simulate

    seen = {}

    def fake_run(coroutine):
        seen["stations"] = coroutine.cr_frame.f_locals["simulation"].stations
        coroutine.close()

    monkeypatch.setattr(simulate.asyncio, "run", fake_run)
    call_command("simulate", "--demo")
    configs = [station.config for station in seen["stations"]]
    assert {c.version for c in configs} == {"1.6", "2.0.1"}
    assert all(c.idle[1] <= 30 for c in configs)  # the first sessions begin within 30 s
    call_command("simulate", "--stations", "3", "--version", "mix")
    assert [s.ocpp_version for s in seen["stations"]] == ["1.6", "2.0.1", "1.6"]


# --- the station against a fake CSMS ----------------------------------------------


def _now() -> str:
    return datetime.now(UTC).isoformat().replace("+00:00", "Z")


class FakeCsms:
    """The socket's far end: answers the station's calls and sends it calls."""

    def __init__(self, boot_statuses=("Accepted",), authorize="Accepted"):
        self.to_station: asyncio.Queue[str] = asyncio.Queue()
        self.frames: list[list] = []  # everything the station sent, in order
        self.boot_statuses = list(boot_statuses)
        self.authorize = authorize
        self.transaction_ids = iter(range(100, 10_000))
        self._pending: dict[str, asyncio.Future] = {}
        self.closed = asyncio.Event()

    async def recv(self) -> str:
        getter = asyncio.ensure_future(self.to_station.get())
        closer = asyncio.ensure_future(self.closed.wait())
        done, _ = await asyncio.wait({getter, closer}, return_when=asyncio.FIRST_COMPLETED)
        if getter in done:
            closer.cancel()
            return getter.result()
        getter.cancel()
        raise ConnectionError("closed")

    async def send(self, text: str) -> None:
        frame = json.loads(text)
        self.frames.append(frame)
        if frame[0] == 2:
            reply = [3, frame[1], self._answer(frame[2], frame[3])]
            self.to_station.put_nowait(json.dumps(reply))
        elif frame[1] in self._pending:
            self._pending.pop(frame[1]).set_result(frame)

    def _answer(self, action: str, payload: dict) -> dict:
        if action == "BootNotification":
            status = self.boot_statuses.pop(0) if self.boot_statuses else "Accepted"
            return {"currentTime": _now(), "interval": 1, "status": status}
        if action == "Heartbeat":
            return {"currentTime": _now()}
        if action == "Authorize":
            return {"idTagInfo": {"status": self.authorize}}
        if action == "StartTransaction":
            return {
                "transactionId": next(self.transaction_ids),
                "idTagInfo": {"status": "Accepted"},
            }
        if action == "StopTransaction":
            return {"idTagInfo": {"status": "Accepted"}}
        return {}

    async def call(self, action: str, payload: dict, timeout: float = 20) -> list:
        """Send a call to the station; return its CallResult/CallError frame."""
        unique_id = str(uuid.uuid4())
        future = asyncio.get_running_loop().create_future()
        self._pending[unique_id] = future
        self.to_station.put_nowait(json.dumps([2, unique_id, action, payload]))
        return await asyncio.wait_for(future, timeout)

    def calls(self, action: str) -> list[dict]:
        return [f[3] for f in self.frames if f[0] == 2 and f[2] == action]

    def statuses(self, connector_id: int) -> list[str]:
        return [
            p["status"]
            for p in self.calls("StatusNotification")
            if p["connectorId"] == connector_id
        ]

    async def until(self, condition, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; the station sent {self.frames}")
            await asyncio.sleep(0.01)


def quick_config(**overrides) -> StationConfig:
    options = {
        "station_id": "SIM-1",
        "kind": "car",
        "connectors": 2,
        "tokens": ("CARD-1", "CARD-2"),
        "meter_interval": 0.05,
        "heartbeat": 3600,
        "idle": (1000.0, 1000.0),
        "session": (1000.0, 1000.0),
        "finishing": (0.01, 0.02),
        "step_delay": 0.01,
        "seed": 1,
        **overrides,
    }
    return StationConfig(**options)


@contextlib.asynccontextmanager
async def serving(config: StationConfig, csms: FakeCsms | None = None):
    csms = csms or FakeCsms()
    station = SimulatedStation(config, Stats())
    task = asyncio.create_task(station.serve(csms))
    try:
        await csms.until(lambda: len(csms.statuses(config.connectors)) >= 1)
        yield station, csms, task
    finally:
        csms.closed.set()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(task, 20)
        task.cancel()


async def test_station_boots_charges_and_stops_with_meter_values():
    config = quick_config(idle=(0.0, 0.05), session=(0.4, 0.5), connectors=1)
    async with serving(config) as (station, csms, _):
        await csms.until(lambda: csms.calls("StopTransaction"))
        await csms.until(
            lambda: csms.statuses(1)[-1:] == ["Available"] and len(csms.statuses(1)) > 3
        )
    boot = csms.calls("BootNotification")[0]
    assert boot["chargePointVendor"] and boot["chargePointModel"]
    assert csms.statuses(0) == ["Available"]
    assert csms.statuses(1)[:5] == ["Available", "Preparing", "Charging", "Finishing", "Available"]
    start = csms.calls("StartTransaction")[0]
    assert start["idTag"] in ("CARD-1", "CARD-2")
    assert csms.calls("Authorize")[0]["idTag"] == start["idTag"]
    meter = csms.calls("MeterValues")
    assert meter and all(m["transactionId"] == 100 for m in meter)
    sampled = {s["measurand"]: s for s in meter[-1]["meterValue"][0]["sampledValue"]}
    assert set(sampled) == {
        "Energy.Active.Import.Register",
        "Power.Active.Import",
        "Current.Import",
        "Voltage",
        "SoC",
    }
    assert sampled["Energy.Active.Import.Register"]["unit"] == "Wh"
    watts = float(sampled["Power.Active.Import"]["value"])
    assert watts == 0 or 6_500 <= watts <= 22_000
    stop = csms.calls("StopTransaction")[0]
    assert stop["transactionId"] == 100
    assert stop["meterStop"] >= start["meterStart"]
    assert stop["reason"] in ("EVDisconnected", "Local")
    assert station.stats.sessions_started == 1 and station.stats.sessions_stopped == 1
    assert station.stats.answered == len([f for f in csms.frames if f[0] == 2])
    assert len(station.stats.latencies_ms) == station.stats.answered


async def test_status_every_re_reports_the_status_after_every_nth_meter_value():
    """The benchmark's load mix: MeterValues with a StatusNotification now and then."""
    config = quick_config(idle=(0.0, 0.0), connectors=1, status_every=3)
    async with serving(config) as (_, csms, _):
        # The tenth is sent only once the status after the ninth has been answered.
        await csms.until(lambda: len(csms.calls("MeterValues")) >= 10)
    sent = [
        f[2] for f in csms.frames if f[0] == 2 and f[2] in ("MeterValues", "StatusNotification")
    ]
    charging = sent[sent.index("MeterValues") :]
    runs = "".join("M" if action == "MeterValues" else "S" for action in charging)
    assert runs.startswith("MMMSMMMSMMMS")
    assert csms.statuses(1)[-3:] == ["Charging"] * 3


async def test_ebike_reports_power_without_state_of_charge():
    config = quick_config(kind="ebike", connectors=1, idle=(0.0, 0.0))
    async with serving(config) as (_, csms, _):
        await csms.until(lambda: len(csms.calls("MeterValues")) >= 3)
    for meter in csms.calls("MeterValues"):
        sampled = {s["measurand"]: s["value"] for s in meter["meterValue"][0]["sampledValue"]}
        assert "SoC" not in sampled
        assert 75 <= float(sampled["Power.Active.Import"]) <= 400


async def test_pending_boot_is_retried_after_the_interval():
    csms = FakeCsms(boot_statuses=("Pending", "Accepted"))
    async with serving(quick_config(connectors=1), csms) as (station, _, _):
        assert [f[2] for f in csms.frames if f[0] == 2][:2] == [
            "BootNotification",
            "BootNotification",
        ]
        assert station.accepted


async def test_remote_start_and_stop():
    async with serving(quick_config()) as (_, csms, _):
        reply = await csms.call("RemoteStartTransaction", {"idTag": "APP-1", "connectorId": 2})
        assert reply[2] == {"status": "Accepted"}
        again = await csms.call("RemoteStartTransaction", {"idTag": "APP-2", "connectorId": 2})
        assert again[2] == {"status": "Rejected"}
        await csms.until(lambda: csms.calls("StartTransaction"))
        start = csms.calls("StartTransaction")[0]
        assert start["connectorId"] == 2 and start["idTag"] == "APP-1"
        assert not csms.calls("Authorize")  # AuthorizeRemoteTxRequests is false
        await csms.until(lambda: "Charging" in csms.statuses(2))
        unknown = await csms.call("RemoteStopTransaction", {"transactionId": 999})
        assert unknown[2] == {"status": "Rejected"}
        stop = await csms.call("RemoteStopTransaction", {"transactionId": 100})
        assert stop[2] == {"status": "Accepted"}
        await csms.until(lambda: csms.calls("StopTransaction"))
        assert csms.calls("StopTransaction")[0]["reason"] == "Remote"
        await csms.until(lambda: csms.statuses(2)[-1] == "Available")
        assert csms.statuses(2)[-4:] == ["Preparing", "Charging", "Finishing", "Available"]


async def test_unlock_connector_stops_its_transaction():
    async with serving(quick_config()) as (_, csms, _):
        await csms.call("RemoteStartTransaction", {"idTag": "APP-1", "connectorId": 1})
        await csms.until(lambda: "Charging" in csms.statuses(1))
        reply = await csms.call("UnlockConnector", {"connectorId": 1})
        assert reply[2] == {"status": "Unlocked"}
        await csms.until(lambda: csms.calls("StopTransaction"))
        assert csms.calls("StopTransaction")[0]["reason"] == "UnlockCommand"
        missing = await csms.call("UnlockConnector", {"connectorId": 9})
        assert missing[2] == {"status": "NotSupported"}


async def test_trigger_message_replies_first_then_sends_the_message():
    async with serving(quick_config()) as (_, csms, _):
        heartbeats = len(csms.calls("Heartbeat"))
        reply = await csms.call("TriggerMessage", {"requestedMessage": "Heartbeat"})
        assert reply[2] == {"status": "Accepted"}
        await csms.until(lambda: len(csms.calls("Heartbeat")) > heartbeats)
        reply_at = csms.frames.index(reply)
        heartbeat_at = max(
            i for i, f in enumerate(csms.frames) if f[0] == 2 and f[2] == "Heartbeat"
        )
        assert reply_at < heartbeat_at
        reply = await csms.call(
            "TriggerMessage", {"requestedMessage": "StatusNotification", "connectorId": 2}
        )
        assert reply[2] == {"status": "Accepted"}
        await csms.until(lambda: len(csms.statuses(2)) == 2)
        reply = await csms.call("TriggerMessage", {"requestedMessage": "MeterValues"})
        await csms.until(lambda: len(csms.calls("MeterValues")) == 2)
        bad = await csms.call("TriggerMessage", {"requestedMessage": "Heartbeat", "connectorId": 7})
        assert bad[2] == {"status": "Rejected"}


async def test_configuration_keys():
    async with serving(quick_config()) as (station, csms, _):
        changed = await csms.call("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "7"})
        assert changed[2] == {"status": "Accepted"}
        assert station.heartbeat_interval == 7
        meter = await csms.call(
            "ChangeConfiguration", {"key": "MeterValueSampleInterval", "value": "30"}
        )
        assert meter[2] == {"status": "Accepted"} and station.meter_interval == 30
        readonly = await csms.call(
            "ChangeConfiguration", {"key": "NumberOfConnectors", "value": "4"}
        )
        assert readonly[2] == {"status": "Rejected"}
        bad = await csms.call("ChangeConfiguration", {"key": "HeartbeatInterval", "value": "soon"})
        assert bad[2] == {"status": "Rejected"}
        unknown = await csms.call("ChangeConfiguration", {"key": "Colour", "value": "red"})
        assert unknown[2] == {"status": "NotSupported"}
        some = await csms.call("GetConfiguration", {"key": ["HeartbeatInterval", "Colour"]})
        assert some[2] == {
            "configurationKey": [{"key": "HeartbeatInterval", "readonly": False, "value": "7"}],
            "unknownKey": ["Colour"],
        }
        everything = await csms.call("GetConfiguration", {})
        keys = {entry["key"]: entry for entry in everything[2]["configurationKey"]}
        assert keys["NumberOfConnectors"] == {
            "key": "NumberOfConnectors",
            "readonly": True,
            "value": "2",
        }
        assert "MeterValueSampleInterval" in keys


async def test_availability_reservations_cache_and_data_transfer():
    async with serving(quick_config()) as (_, csms, _):
        off = await csms.call("ChangeAvailability", {"connectorId": 1, "type": "Inoperative"})
        assert off[2] == {"status": "Accepted"}
        await csms.until(lambda: csms.statuses(1)[-1] == "Unavailable")
        refused = await csms.call("RemoteStartTransaction", {"idTag": "A", "connectorId": 1})
        assert refused[2] == {"status": "Rejected"}
        on = await csms.call("ChangeAvailability", {"connectorId": 1, "type": "Operative"})
        assert on[2] == {"status": "Accepted"}
        await csms.until(lambda: csms.statuses(1)[-1] == "Available")

        expiry = (datetime.now(UTC) + timedelta(hours=1)).isoformat().replace("+00:00", "Z")
        reserve = {"connectorId": 2, "expiryDate": expiry, "idTag": "R-1", "reservationId": 4}
        assert (await csms.call("ReserveNow", reserve))[2] == {"status": "Accepted"}
        await csms.until(lambda: csms.statuses(2)[-1] == "Reserved")
        other = {**reserve, "idTag": "R-2", "reservationId": 5}
        assert (await csms.call("ReserveNow", other))[2] == {"status": "Occupied"}
        zero = {**reserve, "connectorId": 0, "reservationId": 6}
        assert (await csms.call("ReserveNow", zero))[2] == {"status": "Rejected"}
        stranger = await csms.call("RemoteStartTransaction", {"idTag": "X", "connectorId": 2})
        assert stranger[2] == {"status": "Rejected"}
        assert (await csms.call("CancelReservation", {"reservationId": 4}))[2] == {
            "status": "Accepted"
        }
        await csms.until(lambda: csms.statuses(2)[-1] == "Available")
        assert (await csms.call("CancelReservation", {"reservationId": 4}))[2] == {
            "status": "Rejected"
        }

        assert (await csms.call("ClearCache", {}))[2] == {"status": "Accepted"}
        transfer = await csms.call("DataTransfer", {"vendorId": "com.example", "data": "x"})
        assert transfer[2] == {"status": "UnknownVendorId"}


async def test_charging_profiles_and_local_list():
    async with serving(quick_config()) as (station, csms, _):
        profile = {
            "chargingProfileId": 1,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": {
                "chargingRateUnit": "W",
                "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 4000}],
            },
        }
        reply = await csms.call(
            "SetChargingProfile", {"connectorId": 1, "csChargingProfiles": profile}
        )
        assert reply[2] == {"status": "Accepted"}
        tx = {**profile, "chargingProfileId": 2, "chargingProfilePurpose": "TxProfile"}
        no_tx = await csms.call("SetChargingProfile", {"connectorId": 1, "csChargingProfiles": tx})
        assert no_tx[2] == {"status": "Rejected"}
        schedule = await csms.call(
            "GetCompositeSchedule", {"connectorId": 1, "duration": 3600, "chargingRateUnit": "W"}
        )
        assert schedule[2]["status"] == "Accepted"
        assert schedule[2]["chargingSchedule"]["chargingSchedulePeriod"] == [
            {"startPeriod": 0, "limit": 4000}
        ]
        await csms.call("RemoteStartTransaction", {"idTag": "APP-1", "connectorId": 1})
        await csms.until(lambda: csms.calls("MeterValues"))
        sampled = csms.calls("MeterValues")[-1]["meterValue"][0]["sampledValue"]
        watts = next(float(s["value"]) for s in sampled if s["measurand"] == "Power.Active.Import")
        assert watts <= 4000
        cleared = await csms.call("ClearChargingProfile", {"id": 1})
        assert cleared[2] == {"status": "Accepted"}
        assert (await csms.call("ClearChargingProfile", {"id": 1}))[2] == {"status": "Unknown"}
        assert station.profiles == []

        assert (await csms.call("GetLocalListVersion", {}))[2] == {"listVersion": 0}
        full = {
            "listVersion": 3,
            "updateType": "Full",
            "localAuthorizationList": [{"idTag": "L-1", "idTagInfo": {"status": "Accepted"}}],
        }
        assert (await csms.call("SendLocalList", full))[2] == {"status": "Accepted"}
        stale = {**full, "updateType": "Differential", "listVersion": 2}
        assert (await csms.call("SendLocalList", stale))[2] == {"status": "VersionMismatch"}
        assert (await csms.call("GetLocalListVersion", {}))[2] == {"listVersion": 3}


async def test_firmware_update_and_diagnostics_report_progress():
    async with serving(quick_config()) as (station, csms, _):
        past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat().replace("+00:00", "Z")
        firmware = {"location": "https://example.com/fw/sim-2.0.0.bin", "retrieveDate": past}
        assert (await csms.call("UpdateFirmware", firmware))[2] == {}
        await csms.until(lambda: len(csms.calls("FirmwareStatusNotification")) == 4)
        assert [p["status"] for p in csms.calls("FirmwareStatusNotification")] == [
            "Downloading",
            "Downloaded",
            "Installing",
            "Installed",
        ]
        assert station.firmware_version == "sim-2.0.0"
        diagnostics = await csms.call("GetDiagnostics", {"location": "ftp://example.com/up/"})
        assert diagnostics[2]["fileName"].startswith("SIM-1-diagnostics-")
        await csms.until(lambda: len(csms.calls("DiagnosticsStatusNotification")) == 2)
        assert [p["status"] for p in csms.calls("DiagnosticsStatusNotification")] == [
            "Uploading",
            "Uploaded",
        ]


async def test_resets_stop_transactions_and_reboot():
    async with serving(quick_config()) as (_, csms, task):
        await csms.call("RemoteStartTransaction", {"idTag": "APP-1", "connectorId": 1})
        await csms.until(lambda: "Charging" in csms.statuses(1))
        assert (await csms.call("Reset", {"type": "Soft"}))[2] == {"status": "Accepted"}
        await csms.until(lambda: len(csms.calls("BootNotification")) == 2)
        assert csms.calls("StopTransaction")[0]["reason"] == "SoftReset"
        assert (await csms.call("Reset", {"type": "Hard"}))[2] == {"status": "Accepted"}
        assert await asyncio.wait_for(task, 20) == "hard_reset"


# --- live: a real daphne on a temporary SQLite database ----------------------------

LIVE_PASSWORD = "live-station-password-1"


def _env(var_dir: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.update(
        CHARGENET_VAR_DIR=str(var_dir),
        OCPP_LOG_FLUSH_INTERVAL="0.05",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    return env


def _manage(var_dir: Path, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=_env(var_dir),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def _shell(var_dir: Path, code: str):
    """Run `code` in `manage.py shell`; it prints one JSON line, returned decoded."""
    output = _manage(var_dir, "shell", "-v", "0", "-c", textwrap.dedent(code))
    return json.loads(output.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def live_db(tmp_path_factory):
    var_dir = tmp_path_factory.mktemp("simvar")
    _manage(var_dir, "migrate", "--noinput", "-v", "0")
    _shell(
        var_dir,
        f"""
        import json
        from stations.models import ChargingStation, IdToken
        for number in (1, 2, 3):
            station = ChargingStation(station_id=f"LIVE-{{number:05d}}")
            station.set_password({LIVE_PASSWORD!r})
            station.save()
            IdToken.objects.create(value=f"LIVE-CARD-{{number}}")
        print(json.dumps(ChargingStation.objects.count()))
        """,
    )
    return var_dir


class LiveServer:
    def __init__(self, var_dir: Path, port: int):
        self.var_dir, self.port, self.process = var_dir, port, None

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ocpp/"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "serve", "--port", str(self.port)],
            cwd=ROOT,
            env=_env(self.var_dir),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.2),
            ):
                return
            time.sleep(0.1)
        self.stop()
        raise TimeoutError("the server did not start listening")

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@pytest.fixture
def daphne_server(live_db):
    server = LiveServer(live_db, free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _live_configs(number: int, **overrides):
    options = {
        "prefix": "LIVE-",
        "password": LIVE_PASSWORD,
        "tokens": (f"LIVE-CARD-{number}",),
        "meter_interval": 0.5,
        "heartbeat": 1.0,
        "idle": (0.2, 0.4),
        "session": (2.0, 2.5),
        "finishing": (0.1, 0.2),
        "connectors": 1,
        "seed": 3,
        **overrides,
    }
    configs = station_configs(number, **options)
    return configs[number - 1 :]


@pytest.mark.live
async def test_simulated_station_charges_against_a_live_server(daphne_server):
    simulation = Simulation(_live_configs(1), daphne_server.url, stats=Stats(), ramp=0)
    stats = simulation.stats
    running = asyncio.create_task(simulation.run())
    try:  # one whole session, however busy the machine
        deadline = time.monotonic() + 60
        while stats.sessions_stopped < 1 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.sleep(1)  # the Finishing and Available statuses
    finally:
        simulation.stop()
        await running
    assert stats.boots == 1 and stats.refused == 0
    assert stats.sessions_started >= 1 and stats.sessions_stopped >= 1
    assert stats.call_errors == 0 and stats.timeouts == 0
    assert stats.answered > 10 and len(stats.latencies_ms) == stats.answered

    stored = _shell(
        daphne_server.var_dir,
        """
        import json
        from stations.models import ChargingSession, ChargingStation, MeterSample
        station = ChargingStation.objects.get(station_id="LIVE-00001")
        sessions = ChargingSession.objects.filter(station=station)
        print(json.dumps({
            "vendor": station.vendor,
            "booted": station.last_boot_at is not None,
            "status": station.status,
            "sessions": sessions.count(),
            "ended": sessions.filter(state="ended").count(),
            "energy": sum(s.energy_wh for s in sessions.filter(state="ended")),
            "measurands": sorted(set(MeterSample.objects.filter(
                station=station, session__isnull=False).values_list("measurand", flat=True))),
            "samples": MeterSample.objects.filter(station=station).count(),
            "connectors": list(station.connectors.values_list("connector_id", flat=True)),
        }))
        """,
    )
    assert stored["vendor"] == "ChargeNet" and stored["booted"]
    assert stored["status"] == "Available"
    assert stored["sessions"] >= 1 and stored["ended"] >= 1
    assert stored["samples"] > 0
    assert {"Energy.Active.Import.Register", "Power.Active.Import", "SoC"} <= set(
        stored["measurands"]
    )
    assert stored["connectors"] == [1]


@pytest.mark.live
async def test_simulator_reconnects_and_boots_again_after_a_server_restart(daphne_server):
    simulation = Simulation(
        _live_configs(2, idle=(100.0, 100.0)),
        daphne_server.url,
        stats=Stats(),
        ramp=0,
        backoff_max=1.0,
    )
    stats = simulation.stats

    async def until(condition, timeout=20.0):
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, stats.counters()
            await asyncio.sleep(0.05)

    running = asyncio.create_task(simulation.run())
    try:
        await until(lambda: stats.accepted == 1)
        await asyncio.to_thread(daphne_server.stop)
        await until(lambda: stats.connected == 0)
        await asyncio.to_thread(daphne_server.start)
        await until(lambda: stats.boots == 2 and stats.accepted == 1)
        assert stats.connects == 2 and stats.disconnects == 1
    finally:
        simulation.stop()
        await running


# --- the OCPP 2.0.1 station against a fake CSMS -------------------------------------


class FakeCsms201(FakeCsms):
    """Answers a 2.0.1 station; `ignore` lists actions it leaves unanswered."""

    def __init__(self, *args, ignore=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.ignore = set(ignore)

    async def send(self, text: str) -> None:
        frame = json.loads(text)
        if frame[0] == 2 and frame[2] in self.ignore:
            self.frames.append(frame)
            return
        await super().send(text)

    def _answer(self, action: str, payload: dict) -> dict:
        if action == "Authorize":
            return {"idTokenInfo": {"status": self.authorize}}
        if action == "TransactionEvent":
            return {"idTokenInfo": {"status": "Accepted"}} if "idToken" in payload else {}
        return super()._answer(action, payload)

    def statuses(self, evse_id: int) -> list[str]:
        return [
            p["connectorStatus"] for p in self.calls("StatusNotification") if p["evseId"] == evse_id
        ]

    def events(self, kind: str | None = None) -> list[dict]:
        return [p for p in self.calls("TransactionEvent") if kind in (None, p["eventType"])]


def quick_config_201(**overrides) -> StationConfig:
    return quick_config(version="2.0.1", **overrides)


@contextlib.asynccontextmanager
async def serving_201(config: StationConfig, csms: FakeCsms201 | None = None, station=None):
    csms = csms or FakeCsms201()
    station = station or SimulatedStation201(config, Stats())
    task = asyncio.create_task(station.serve(csms))
    try:
        await csms.until(lambda: len(csms.statuses(config.connectors)) >= 1)
        yield station, csms, task
    finally:
        csms.closed.set()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(task, 20)
        task.cancel()


async def test_201_station_boots_and_charges_with_transaction_events():
    config = quick_config_201(idle=(0.0, 0.05), session=(0.4, 0.5), connectors=1)
    async with serving_201(config) as (station, csms, _):
        await csms.until(lambda: csms.events("Ended"))
        await csms.until(lambda: csms.statuses(1)[-1:] == ["Available"])
    boot = csms.calls("BootNotification")[0]
    assert boot["reason"] == "PowerUp"
    assert boot["chargingStation"] == {
        "model": "Simulator",
        "vendorName": "ChargeNet",
        "firmwareVersion": "1.0.0",
    }
    assert csms.calls("Authorize")[0]["idToken"]["type"] == "ISO14443"
    assert csms.statuses(1) == ["Available", "Occupied", "Available"]
    events = csms.events()
    started, *updated, ended = events
    assert [e["seqNo"] for e in events] == list(range(len(events)))
    transaction_id = started["transactionInfo"]["transactionId"]
    assert isinstance(transaction_id, str) and len(transaction_id) <= 36
    assert {e["transactionInfo"]["transactionId"] for e in events} == {transaction_id}
    assert started["eventType"] == "Started" and started["triggerReason"] == "Authorized"
    assert started["evse"] == {"id": 1, "connectorId": 1}
    assert started["idToken"]["idToken"] in config.tokens
    begin = started["meterValue"][0]["sampledValue"][0]
    assert begin["context"] == "Transaction.Begin" and isinstance(begin["value"], int | float)
    assert updated and all(e["triggerReason"] == "MeterValuePeriodic" for e in updated)
    measurands = {v["measurand"] for v in updated[0]["meterValue"][0]["sampledValue"]}
    assert {"Energy.Active.Import.Register", "Power.Active.Import", "SoC"} <= measurands
    assert all(
        isinstance(v["value"], int | float) and "unitOfMeasure" in v
        for v in updated[0]["meterValue"][0]["sampledValue"]
    )
    assert ended["transactionInfo"]["stoppedReason"] in ("EVDisconnected", "Local")
    end = ended["meterValue"][0]["sampledValue"][0]
    assert end["context"] == "Transaction.End" and end["value"] >= begin["value"]
    assert station.stats.sessions_started == station.stats.sessions_stopped == 1


async def test_201_remote_start_carries_remote_start_id_and_remote_stop_ends_it():
    async with serving_201(quick_config_201()) as (station, csms, _):
        reply = await csms.call(
            "RequestStartTransaction",
            {"idToken": {"idToken": "APP-1", "type": "Central"}, "remoteStartId": 77, "evseId": 2},
        )
        assert reply[2] == {"status": "Accepted"}
        await csms.until(lambda: csms.events("Started"))
        started = csms.events("Started")[0]
        assert started["triggerReason"] == "RemoteStart"
        assert started["transactionInfo"]["remoteStartId"] == 77
        assert started["idToken"] == {"idToken": "APP-1", "type": "Central"}
        assert started["evse"]["id"] == 2
        assert not csms.calls("Authorize")  # AuthorizeRemoteStart is false
        busy = await csms.call(
            "RequestStartTransaction",
            {"idToken": {"idToken": "APP-2", "type": "Central"}, "remoteStartId": 78, "evseId": 2},
        )
        assert busy[2]["status"] == "Rejected"
        transaction_id = started["transactionInfo"]["transactionId"]
        await csms.until(lambda: station.connectors[2].transaction_id == transaction_id)
        unlock = await csms.call("UnlockConnector", {"evseId": 2, "connectorId": 1})
        assert unlock[2]["status"] == "OngoingAuthorizedTransaction"
        stop = await csms.call("RequestStopTransaction", {"transactionId": transaction_id})
        assert stop[2] == {"status": "Accepted"}
        await csms.until(lambda: csms.events("Ended"))
        ended = csms.events("Ended")[0]
        assert ended["transactionInfo"]["stoppedReason"] == "Remote"
        assert ended["triggerReason"] == "RemoteStop"
        unknown = await csms.call("RequestStopTransaction", {"transactionId": "nope"})
        assert unknown[2]["status"] == "Rejected"


async def test_201_unanswered_transaction_events_are_replayed_after_reconnect_once():
    config = quick_config_201(
        connectors=1, meter_interval=0.05, response_timeout=0.3, session=(1000.0, 1000.0)
    )
    station = SimulatedStation201(config, Stats())
    first = FakeCsms201()
    task = asyncio.create_task(station.serve(first))
    await first.until(lambda: first.calls("BootNotification"))
    await first.call(
        "RequestStartTransaction",
        {"idToken": {"idToken": "APP-1", "type": "Central"}, "remoteStartId": 5},
    )
    await first.until(lambda: len(first.events("Updated")) >= 2)
    first.ignore.add("TransactionEvent")  # the CSMS stops answering: events pile up
    answered = [f[3]["seqNo"] for f in first.frames if f[0] == 2 and f[2] == "TransactionEvent"]
    await first.until(lambda: len(first.events()) > len(answered))
    first.closed.set()
    assert await asyncio.wait_for(task, 20) == "closed"
    unanswered = first.events()[len(answered) :]
    assert len({e["seqNo"] for e in unanswered}) == 1  # the same event, retried

    second = FakeCsms201()
    task = asyncio.create_task(station.serve(second))
    try:
        await second.until(lambda: len(second.events()) >= 3)
        stop = await second.call(
            "RequestStopTransaction", {"transactionId": station.connectors[1].transaction_id}
        )
        assert stop[2]["status"] == "Accepted"
        # The station counts the stop once the Ended event is answered.
        await second.until(lambda: station.stats.sessions_stopped == 1)
    finally:
        second.closed.set()
        await asyncio.wait_for(task, 20)
    replayed = second.events()[0]
    assert replayed == unanswered[0]  # the same payload, the same seqNo
    received = answered + [e["seqNo"] for e in second.events()]
    assert received == list(range(len(received)))  # nothing lost, nothing twice
    assert station.stats.sessions_started == station.stats.sessions_stopped == 1


async def test_201_device_model_reports_and_commands():
    async with serving_201(quick_config_201()) as (station, csms, task):
        get = await csms.call(
            "GetVariables",
            {
                "getVariableData": [
                    {
                        "component": {"name": "OCPPCommCtrlr"},
                        "variable": {"name": "HeartbeatInterval"},
                    },
                    {"component": {"name": "OCPPCommCtrlr"}, "variable": {"name": "Nope"}},
                    {"component": {"name": "Nope"}, "variable": {"name": "Nope"}},
                ]
            },
        )
        results = get[2]["getVariableResult"]
        assert results[0]["attributeStatus"] == "Accepted"
        assert results[0]["attributeValue"] == "3600"
        assert [r["attributeStatus"] for r in results[1:]] == [
            "UnknownVariable",
            "UnknownComponent",
        ]
        sets = await csms.call(
            "SetVariables",
            {
                "setVariableData": [
                    {
                        "attributeValue": "7",
                        "component": {"name": "SampledDataCtrlr"},
                        "variable": {"name": "TxUpdatedInterval"},
                    },
                    {
                        "attributeValue": "x",
                        "component": {"name": "EVSE"},
                        "variable": {"name": "Count"},
                    },
                ]
            },
        )
        assert [r["attributeStatus"] for r in sets[2]["setVariableResult"]] == [
            "Accepted",
            "Rejected",
        ]
        assert station.meter_interval == 7.0
        report = await csms.call("GetBaseReport", {"requestId": 4, "reportBase": "FullInventory"})
        assert report[2] == {"status": "Accepted"}
        await csms.until(
            lambda: csms.calls("NotifyReport") and not csms.calls("NotifyReport")[-1]["tbc"]
        )
        reported = [d for p in csms.calls("NotifyReport") for d in p["reportData"]]
        assert {p["requestId"] for p in csms.calls("NotifyReport")} == {4}
        assert len(reported) == len(station.variables)
        assert {
            "component": {"name": "SampledDataCtrlr"},
            "variable": {"name": "TxUpdatedInterval"},
            "variableAttribute": [{"type": "Actual", "value": "7", "mutability": "ReadWrite"}],
            "variableCharacteristics": {"dataType": "integer", "supportsMonitoring": False},
        } in reported

        trigger = await csms.call("TriggerMessage", {"requestedMessage": "Heartbeat"})
        assert trigger[2] == {"status": "Accepted"}
        await csms.until(lambda: csms.calls("Heartbeat"))
        bad = await csms.call(
            "TriggerMessage", {"requestedMessage": "SignChargingStationCertificate"}
        )
        assert bad[2]["status"] == "NotImplemented"
        assert (await csms.call("ClearCache", {}))[2] == {"status": "Accepted"}
        assert (await csms.call("DataTransfer", {"vendorId": "x"}))[2][
            "status"
        ] == "UnknownVendorId"

        expiry = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        reserve = await csms.call(
            "ReserveNow",
            {
                "id": 9,
                "expiryDateTime": expiry,
                "idToken": {"idToken": "R", "type": "Central"},
                "evseId": 1,
            },
        )
        assert reserve[2] == {"status": "Accepted"}
        await csms.until(lambda: csms.statuses(1)[-1:] == ["Reserved"])
        assert (await csms.call("CancelReservation", {"reservationId": 9}))[2][
            "status"
        ] == "Accepted"
        await csms.until(lambda: csms.statuses(1)[-1:] == ["Available"])

        profile = {
            "id": 3,
            "stackLevel": 0,
            "chargingProfilePurpose": "TxDefaultProfile",
            "chargingProfileKind": "Absolute",
            "chargingSchedule": [
                {
                    "id": 1,
                    "chargingRateUnit": "W",
                    "chargingSchedulePeriod": [{"startPeriod": 0, "limit": 4000}],
                }
            ],
        }
        set_profile = await csms.call(
            "SetChargingProfile", {"evseId": 1, "chargingProfile": profile}
        )
        assert set_profile[2] == {"status": "Accepted"}
        composite = await csms.call("GetCompositeSchedule", {"duration": 60, "evseId": 1})
        assert composite[2]["schedule"]["chargingSchedulePeriod"][0]["limit"] == 4000
        cleared = await csms.call("ClearChargingProfile", {"chargingProfileId": 3})
        assert cleared[2] == {"status": "Accepted"}

        local = await csms.call(
            "SendLocalList",
            {
                "versionNumber": 2,
                "updateType": "Full",
                "localAuthorizationList": [
                    {
                        "idToken": {"idToken": "L1", "type": "ISO14443"},
                        "idTokenInfo": {"status": "Accepted"},
                    }
                ],
            },
        )
        assert local[2] == {"status": "Accepted"}
        assert (await csms.call("GetLocalListVersion", {}))[2] == {"versionNumber": 2}

        firmware = await csms.call(
            "UpdateFirmware",
            {
                "requestId": 11,
                "firmware": {"location": "https://fw/v2.bin", "retrieveDateTime": _now()},
            },
        )
        assert firmware[2] == {"status": "Accepted"}
        log = await csms.call(
            "GetLog",
            {
                "log": {"remoteLocation": "https://logs/"},
                "logType": "DiagnosticsLog",
                "requestId": 12,
            },
        )
        assert log[2]["status"] == "Accepted" and log[2]["filename"]
        await csms.until(lambda: len(csms.calls("FirmwareStatusNotification")) == 4)
        await csms.until(lambda: len(csms.calls("LogStatusNotification")) == 2)
        assert [p["status"] for p in csms.calls("FirmwareStatusNotification")] == [
            "Downloading",
            "Downloaded",
            "Installing",
            "Installed",
        ]
        assert {p["requestId"] for p in csms.calls("FirmwareStatusNotification")} == {11}
        assert [p["status"] for p in csms.calls("LogStatusNotification")] == [
            "Uploading",
            "Uploaded",
        ]

        unavailable = await csms.call(
            "ChangeAvailability", {"operationalStatus": "Inoperative", "evse": {"id": 2}}
        )
        assert unavailable[2] == {"status": "Accepted"}
        await csms.until(lambda: csms.statuses(2)[-1:] == ["Unavailable"])

        reset = await csms.call("Reset", {"type": "Immediate"})
        assert reset[2] == {"status": "Accepted"}
        assert await asyncio.wait_for(task, 20) == "hard_reset"
        assert station.boot_reason == "RemoteReset"


class Recording201(SimulatedStation201):
    """Remembers each transaction's meter start and stop as the station reported them."""

    ended: dict[str, tuple[int, int]] = {}
    offline_answered: list[int] = []  # seqNo of offline events the CSMS answered

    def _stop_payload(self, connector, reason, meter_stop, **kwargs):
        self.ended[connector.transaction_id] = (connector.meter_start, meter_stop)
        return super()._stop_payload(connector, reason, meter_stop, **kwargs)

    async def request(self, payload):
        reply = await super().request(payload)
        if getattr(payload, "offline", None):
            self.offline_answered.append(payload.seq_no)
        return reply


@pytest.mark.live
async def test_201_station_charges_through_a_server_restart_without_duplicates(daphne_server):
    configs = _live_configs(3, version="2.0.1", session=(6.0, 7.0), idle=(0.2, 0.4))
    Recording201.ended = {}
    Recording201.offline_answered = []
    simulation = Simulation(
        configs,
        daphne_server.url,
        stats=Stats(),
        ramp=0,
        backoff_max=1.0,
        station_class_201=Recording201,
    )
    stats = simulation.stats

    async def until(condition, timeout=60.0):
        deadline = time.monotonic() + timeout
        while not condition():
            assert time.monotonic() < deadline, stats.counters()
            await asyncio.sleep(0.05)

    running = asyncio.create_task(simulation.run())
    try:
        await until(lambda: stats.sessions_started >= 1)
        await asyncio.sleep(1.5)  # a few TransactionEvent Updated with meter values
        await asyncio.to_thread(daphne_server.stop)  # offline in the middle of it
        await until(lambda: stats.connected == 0)
        await asyncio.to_thread(daphne_server.start)
        await until(lambda: stats.sessions_stopped >= 1)
    finally:
        simulation.stop()
        await running
    assert stats.boots >= 2 and stats.refused == 0
    assert Recording201.offline_answered  # it kept charging offline and said so
    (transaction_id, (meter_start, meter_stop)), *_ = Recording201.ended.items()

    stored = _shell(
        daphne_server.var_dir,
        f"""
        import json
        from django.db.models import Count
        from stations.models import ChargingSession, ChargingStation, MeterSample
        station = ChargingStation.objects.get(station_id="LIVE-00003")
        sessions = ChargingSession.objects.filter(
            station=station, transaction_id={transaction_id!r})
        session = sessions.first()
        samples = MeterSample.objects.filter(session=session)
        twice = samples.values("timestamp", "measurand").annotate(n=Count("id")).filter(n__gt=1)
        print(json.dumps({{
            "version": station.ocpp_version,
            "sessions": sessions.count(),
            "state": session.state,
            "energy": session.energy_wh,
            "meter": [session.meter_start_wh, session.meter_stop_wh],
            "samples": samples.count(),
            "duplicates": twice.count(),
            "measurands": sorted(set(samples.values_list("measurand", flat=True))),
        }}))
        """,
    )
    assert stored["version"] == "2.0.1"
    assert stored["sessions"] == 1 and stored["state"] == "ended"
    assert stored["meter"] == [meter_start, meter_stop]
    assert stored["energy"] == meter_stop - meter_start > 0
    assert stored["samples"] > 0 and stored["duplicates"] == 0
    assert {"Energy.Active.Import.Register", "Power.Active.Import", "SoC"} <= set(
        stored["measurands"]
    )


async def test_201_authorize_remote_start_and_reservation_expiry():
    async with serving_201(quick_config_201()) as (_, csms, _task):
        expiry = (datetime.now(UTC) + timedelta(seconds=0.3)).isoformat()
        token = {"idToken": "R", "type": "Central"}
        reserve = await csms.call(
            "ReserveNow", {"id": 4, "expiryDateTime": expiry, "idToken": token, "evseId": 2}
        )
        assert reserve[2] == {"status": "Accepted"}
        await csms.until(lambda: csms.calls("ReservationStatusUpdate"))
        assert csms.calls("ReservationStatusUpdate") == [
            {"reservationId": 4, "reservationUpdateStatus": "Expired"}
        ]
        await csms.until(lambda: csms.statuses(2)[-2:] == ["Reserved", "Available"])

        variable = {
            "attributeValue": "true",
            "component": {"name": "AuthCtrlr"},
            "variable": {"name": "AuthorizeRemoteStart"},
        }
        reply = await csms.call("SetVariables", {"setVariableData": [variable]})
        assert reply[2]["setVariableResult"][0]["attributeStatus"] == "Accepted"
        start = await csms.call(
            "RequestStartTransaction",
            {"idToken": {"idToken": "APP-9", "type": "eMAID"}, "remoteStartId": 1},
        )
        assert start[2] == {"status": "Accepted"}
        await csms.until(lambda: csms.events("Started"))
        assert csms.calls("Authorize") == [{"idToken": {"idToken": "APP-9", "type": "eMAID"}}]
        assert csms.events("Started")[0]["transactionInfo"]["remoteStartId"] == 1


async def test_201_station_keeps_charging_offline_and_reports_it_on_reconnect():
    config = quick_config_201(connectors=1, meter_interval=0.05, session=(0.6, 0.6))
    station = SimulatedStation201(config, Stats())
    first = FakeCsms201()
    task = asyncio.create_task(station.serve(first))
    await first.until(lambda: first.calls("BootNotification"))
    await first.call(
        "RequestStartTransaction",
        {"idToken": {"idToken": "APP-1", "type": "Central"}, "remoteStartId": 5},
    )
    await first.until(lambda: len(first.events("Updated")) >= 1)
    first.closed.set()
    assert await asyncio.wait_for(task, 20) == "closed"
    online = first.events()
    await asyncio.sleep(1.0)  # offline while the car charges and leaves
    back = datetime.now(UTC)

    second = FakeCsms201()
    task = asyncio.create_task(station.serve(second))
    try:
        await second.until(lambda: second.events("Ended"))
    finally:
        second.closed.set()
        await asyncio.wait_for(task, 20)
    # An event whose answer the close cut off is sent again first (2.0.1 delivers them
    # at least once; the CSMS knows it by its seqNo): only what followed is new.
    sent_before = {e["seqNo"] for e in online}
    fresh = [e for e in second.events() if e["seqNo"] not in sent_before]
    *updates, ended = fresh
    assert updates and all(e["offline"] and e["eventType"] == "Updated" for e in updates)
    assert ended["offline"] and ended["transactionInfo"]["stoppedReason"] == "EVDisconnected"
    stamps = [datetime.fromisoformat(e["timestamp"].replace("Z", "+00:00")) for e in fresh]
    assert stamps == sorted(stamps) and stamps[-1] < back
    assert [e["seqNo"] for e in online + fresh] == list(range(len(online) + len(fresh)))

    def energy(event):
        return next(
            v["value"]
            for v in event["meterValue"][0]["sampledValue"]
            if v["measurand"] == "Energy.Active.Import.Register"
        )

    readings = [energy(e) for e in online[1:] + updates + [ended]]
    assert readings == sorted(readings) and readings[-1] > energy(online[0])


async def test_a_busy_server_is_counted_apart_from_refusals():
    """503 (the CSMS asks to come back later) is back-pressure, not a refused station."""
    from http import HTTPStatus

    from websockets.asyncio.server import serve

    async def busy(connection, request):
        return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "busy\n")

    async def never(websocket):  # no socket is ever opened
        raise AssertionError("the handshake was accepted")

    async with serve(never, "127.0.0.1", 0, process_request=busy) as server:
        port = server.sockets[0].getsockname()[1]
        simulation = Simulation(
            _live_configs(1), f"ws://127.0.0.1:{port}/ocpp/", stats=Stats(), ramp=0
        )
        running = asyncio.create_task(simulation.run())
        try:
            deadline = time.monotonic() + 10
            while simulation.stats.busy < 1 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        finally:
            simulation.stop()
            await running
    assert simulation.stats.busy >= 1
    assert simulation.stats.refused == 0 and simulation.stats.boots == 0


async def test_a_burst_n_at_a_time_keeps_n_stations_connecting():
    """`in_flight`: at most N first connections under way, each until its boot."""
    from websockets.asyncio.server import serve

    booting = peak = 0

    async def csms(websocket):
        nonlocal booting, peak
        async for message in websocket:
            _, unique_id, action, _ = json.loads(message)
            payload = {}
            if action == "BootNotification":
                booting += 1
                peak = max(peak, booting)
                await asyncio.sleep(0.1)
                booting -= 1
                payload = {"status": "Accepted", "currentTime": "2026-12-06T10:00:00Z"}
                payload["interval"] = 3600
            await websocket.send(json.dumps([3, unique_id, payload]))

    configs = station_configs(6, prefix="BURST-", connectors=1, idle=(1000.0, 1000.0))
    async with serve(csms, "127.0.0.1", 0, subprotocols=["ocpp1.6"]) as server:
        port = server.sockets[0].getsockname()[1]
        simulation = Simulation(configs, f"ws://127.0.0.1:{port}/ocpp/", ramp=0, in_flight=2)
        running = asyncio.create_task(simulation.run())
        try:
            deadline = time.monotonic() + 10
            while simulation.stats.boots < 6 and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
        finally:
            simulation.stop()
            await running
    assert simulation.stats.boots == 6
    assert peak == 2


async def test_a_station_told_to_come_back_later_waits_as_long_as_asked():
    """Retry-After (seconds) is honoured, spread over up to half as long again."""
    from websockets.asyncio.server import serve
    from websockets.datastructures import Headers
    from websockets.http11 import Response

    attempts: list[float] = []

    async def busy(connection, request):
        attempts.append(time.monotonic())
        return Response(503, "Service Unavailable", Headers({"Retry-After": "2"}), b"busy\n")

    async def never(websocket):
        raise AssertionError("the handshake was accepted")

    async with serve(never, "127.0.0.1", 0, process_request=busy) as server:
        port = server.sockets[0].getsockname()[1]
        simulation = Simulation(
            _live_configs(1), f"ws://127.0.0.1:{port}/ocpp/", stats=Stats(), ramp=0
        )
        running = asyncio.create_task(simulation.run())
        try:
            deadline = time.monotonic() + 10
            while len(attempts) < 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
        finally:
            simulation.stop()
            await running
    assert len(attempts) >= 2
    assert 2.0 <= attempts[1] - attempts[0] < 3.5


async def test_faults_a_connector_then_clears_it():
    config = quick_config(connectors=1)
    async with serving(config) as (station, csms, _):
        await station.play_fault("faulted", seconds=0.2)
        await csms.until(lambda: csms.statuses(1)[-1:] == ["Faulted"])
        faulted = [p for p in csms.calls("StatusNotification") if p["status"] == "Faulted"]
        assert faulted[0]["errorCode"] == "GroundFailure"
        await csms.until(lambda: csms.statuses(1)[-1:] == ["Available"])


async def test_overheating_and_overload_show_in_meter_values():
    config = quick_config(kind="ebike", connectors=2, idle=(0.0, 0.0))
    async with serving(config) as (station, csms, _):
        await csms.until(lambda: len({m["connectorId"] for m in csms.calls("MeterValues")}) == 2)
        await station.play_fault("overheating", seconds=0.2)
        await station.play_fault("overload")

        def sampled(meter):
            return {s["measurand"]: s["value"] for s in meter["meterValue"][0]["sampledValue"]}

        await csms.until(
            lambda: any(sampled(m).get("Temperature") == "30" for m in csms.calls("MeterValues"))
        )
    readings = [sampled(m) for m in csms.calls("MeterValues")]
    assert any(r.get("Temperature") == "85" for r in readings)
    assert any(float(r["Power.Active.Import"]) > 400 for r in readings)  # over the rating


async def test_offline_fault_drops_the_connection_for_a_while():
    config = quick_config(connectors=1)
    async with serving(config) as (station, _, task):
        await station.play_fault("offline", seconds=42)
        assert await asyncio.wait_for(task, 5) == "offline"
        assert station.offline_for == 42
