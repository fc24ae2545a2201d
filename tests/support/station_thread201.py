"""A simulated OCPP 2.0.1 station on its own thread, for browser tests of the device
model and display messages: it reports its device model when asked (GetBaseReport,
then NotifyReport) and accepts display messages and monitors.
"""

import asyncio
import base64
import contextlib
import datetime as dt
import threading
from urllib.parse import quote

from ocpp.routing import after, on
from ocpp.v201 import ChargePoint, call, call_result
from websockets.asyncio.client import connect

# What the station reports: (component, evse, variable, value, unit, mutability).
DEVICE_MODEL = [
    ("OCPPCommCtrlr", None, "HeartbeatInterval", "300", "s", "ReadWrite"),
    ("OCPPCommCtrlr", None, "MessageTimeout", "30", "s", "ReadWrite"),
    ("ChargingStation", None, "Model", "Thunder 22", "", "ReadOnly"),
    ("EVSE", 1, "Power", "22000", "W", "ReadOnly"),
    ("EVSE", 1, "AvailabilityState", "Available", "", "ReadOnly"),
]


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _ChargePoint(ChargePoint):
    @on("GetBaseReport")
    def on_get_base_report(self, request_id, report_base, **kw):
        return call_result.GetBaseReport(status="Accepted")

    @after("GetBaseReport")
    async def report(self, request_id, report_base, **kw):
        data = []
        for component, evse, variable, value, unit, mutability in DEVICE_MODEL:
            item = {"component": {"name": component}, "variable": {"name": variable}}
            if evse:
                item["component"]["evse"] = {"id": evse}
            item["variable_attribute"] = [{"value": value, "mutability": mutability}]
            item["variable_characteristics"] = {
                "data_type": "integer" if value.isdigit() else "string",
                "supports_monitoring": True,
                **({"unit": unit} if unit else {}),
            }
            data.append(item)
        await self.call(
            call.NotifyReport(
                request_id=request_id, generated_at=_now(), seq_no=0, report_data=data
            )
        )

    @on("SetDisplayMessage")
    def on_set_display_message(self, message, **kw):
        return call_result.SetDisplayMessage(status="Accepted")

    @on("SetVariableMonitoring")
    def on_set_variable_monitoring(self, set_monitoring_data, **kw):
        return call_result.SetVariableMonitoring(
            set_monitoring_result=[
                {
                    "id": 50 + number,
                    "status": "Accepted",
                    "type": item["type"],
                    "severity": item["severity"],
                    "component": item["component"],
                    "variable": item["variable"],
                }
                for number, item in enumerate(set_monitoring_data)
            ]
        )


class StationThread201:
    """Connect (2.0.1) and boot on enter, disconnect on exit."""

    def __init__(self, address: str, station_id: str, password: str):
        self.url = f"ws://{address}/ocpp/{quote(station_id, safe='')}"
        self.station_id, self.password = station_id, password
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.tasks: list[asyncio.Task] = []

    def __enter__(self) -> "StationThread201":
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._connect(), self.loop).result(20)
        return self

    def __exit__(self, *exc) -> None:
        with contextlib.suppress(Exception):
            asyncio.run_coroutine_threadsafe(self._close(), self.loop).result(20)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    async def _connect(self) -> None:
        token = base64.b64encode(f"{self.station_id}:{self.password}".encode()).decode()
        self.websocket = await connect(
            self.url,
            subprotocols=["ocpp2.0.1"],
            additional_headers={"Authorization": f"Basic {token}"},
        )
        self.charge_point = _ChargePoint(self.station_id, self.websocket)
        self.tasks.append(asyncio.create_task(self.charge_point.start()))
        await self.charge_point.call(
            call.BootNotification(
                charging_station={"model": "Thunder 22", "vendor_name": "Volt"}, reason="PowerUp"
            )
        )

    async def _close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await self.websocket.close()
