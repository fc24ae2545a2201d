"""A simulated OCPP 1.6 station on its own thread and event loop, for browser tests.

Playwright's sync API cannot run inside an asyncio loop, so the browser tests are
plain sync tests and the station lives here: the `ocpp` library's ChargePoint over a
`websockets` client, driven through thread-safe methods.
"""

import asyncio
import base64
import contextlib
import datetime as dt
import threading
from urllib.parse import quote

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call, call_result
from ocpp.v16.enums import Action
from websockets.asyncio.client import connect

ENERGY = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _ChargePoint(ChargePoint):
    """Answers what ChargeNet asks the way a healthy station does."""

    @on(Action.reset)
    def on_reset(self, type, **kw):
        return call_result.Reset(status="Accepted")

    @on(Action.unlock_connector)
    def on_unlock_connector(self, connector_id, **kw):
        return call_result.UnlockConnector(status="Unlocked")

    configuration = {"HeartbeatInterval": "300", "MeterValueSampleInterval": "60"}

    @on(Action.get_configuration)
    def on_get_configuration(self, key=None, **kw):
        keys = [
            {"key": name, "readonly": False, "value": value}
            for name, value in self.configuration.items()
        ]
        return call_result.GetConfiguration(configuration_key=keys)

    @on(Action.change_configuration)
    def on_change_configuration(self, key, value, **kw):
        self.configuration = {**self.configuration, key: value}
        return call_result.ChangeConfiguration(status="Accepted")


class StationThread:
    """Connect on enter, disconnect on exit; `start_charging` meters every `interval` s."""

    def __init__(self, address: str, station_id: str, password: str, connectors: int = 2):
        self.url = f"ws://{address}/ocpp/{quote(station_id, safe='')}"
        self.station_id, self.password, self.connectors = station_id, password, connectors
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.tasks: list[asyncio.Task] = []

    def __enter__(self) -> "StationThread":
        self.thread.start()
        self._run(self._connect())
        return self

    def __exit__(self, *exc) -> None:
        with contextlib.suppress(Exception):
            self._run(self._close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)

    def _run(self, coroutine, timeout: float = 20):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    # --- what a test can make the station do ---------------------------------------

    def start_charging(self, connector_id: int, id_tag: str, interval: float = 1.0) -> int:
        """Plug in, start a transaction and send meter values until closed."""
        return self._run(self._start_charging(connector_id, id_tag, interval))

    def status(self, connector_id: int, status: str, error_code: str = "NoError") -> None:
        self._run(self._status(connector_id, status, error_code))

    # --- on the station's loop -------------------------------------------------------

    async def _connect(self) -> None:
        token = base64.b64encode(f"{self.station_id}:{self.password}".encode()).decode()
        self.websocket = await connect(
            self.url,
            subprotocols=["ocpp1.6"],
            additional_headers={"Authorization": f"Basic {token}"},
        )
        self.charge_point = _ChargePoint(self.station_id, self.websocket)
        self.tasks.append(asyncio.create_task(self.charge_point.start()))
        await self.charge_point.call(
            call.BootNotification(
                charge_point_vendor="Weeyu",
                charge_point_model="E-Bike Pile",
                firmware_version="2.4",
            )
        )
        for number in range(1, self.connectors + 1):
            await self._status(number, "Available")

    async def _status(self, connector_id: int, status: str, error_code: str = "NoError") -> None:
        await self.charge_point.call(
            call.StatusNotification(
                connector_id=connector_id, error_code=error_code, status=status, timestamp=_now()
            )
        )

    async def _start_charging(self, connector_id: int, id_tag: str, interval: float) -> int:
        await self._status(connector_id, "Preparing")
        started = await self.charge_point.call(
            call.StartTransaction(
                connector_id=connector_id, id_tag=id_tag, meter_start=0, timestamp=_now()
            )
        )
        await self._status(connector_id, "Charging")
        meter = self._meter(connector_id, started.transaction_id, interval)
        self.tasks.append(asyncio.create_task(meter))
        return started.transaction_id

    async def _meter(self, connector_id: int, transaction_id: int, interval: float) -> None:
        energy = 0
        while True:
            energy += 150
            power = 7000 + (energy // 150 % 5) * 100
            sampled = [
                {"value": str(energy), "measurand": ENERGY, "unit": "Wh"},
                {"value": str(power), "measurand": POWER, "unit": "W"},
            ]
            await self.charge_point.call(
                call.MeterValues(
                    connector_id=connector_id,
                    transaction_id=transaction_id,
                    meter_value=[{"timestamp": _now(), "sampled_value": sampled}],
                )
            )
            await asyncio.sleep(interval)

    async def _close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await self.websocket.close()
