"""The yardstick: a bare `ocpp`-library central system, no database, no checks.

    python bench/bare_server.py PORT

It answers every OCPP 1.6 message the simulator sends straight from the library's
handlers on the `websockets` server, as the library's own examples do. ChargeNet's
figures are compared with this one's in the same benchmark run (bench/run.py
--compare-bare).
"""

import asyncio
import itertools
import logging
import sys
from datetime import UTC, datetime

from ocpp.routing import on
from ocpp.v16 import ChargePoint, call_result
from ocpp.v16.enums import Action, AuthorizationStatus, RegistrationStatus
from websockets.asyncio.server import serve

_transactions = itertools.count(1)


def _now() -> str:
    return datetime.now(UTC).isoformat()


class BareChargePoint(ChargePoint):
    @on(Action.boot_notification)
    async def on_boot(self, **kw):
        return call_result.BootNotification(_now(), 300, RegistrationStatus.accepted)

    @on(Action.heartbeat)
    async def on_heartbeat(self, **kw):
        return call_result.Heartbeat(_now())

    @on(Action.status_notification)
    async def on_status(self, **kw):
        return call_result.StatusNotification()

    @on(Action.authorize)
    async def on_authorize(self, **kw):
        return call_result.Authorize({"status": AuthorizationStatus.accepted})

    @on(Action.start_transaction)
    async def on_start(self, **kw):
        return call_result.StartTransaction(
            next(_transactions), {"status": AuthorizationStatus.accepted}
        )

    @on(Action.meter_values)
    async def on_meter_values(self, **kw):
        return call_result.MeterValues()

    @on(Action.stop_transaction)
    async def on_stop(self, **kw):
        return call_result.StopTransaction()


async def handle(connection) -> None:
    station_id = connection.request.path.rstrip("/").rsplit("/", 1)[-1]
    try:
        await BareChargePoint(station_id, connection).start()
    except Exception:  # noqa: BLE001 - a closed socket ends its station, nothing more
        return


async def main(port: int) -> None:
    async with serve(
        handle, "127.0.0.1", port, subprotocols=["ocpp1.6"], ping_interval=None, backlog=4096
    ):
        print(f"bare ocpp server on port {port}", flush=True)
        await asyncio.Future()


if __name__ == "__main__":
    logging.basicConfig(level=logging.ERROR)
    asyncio.run(main(int(sys.argv[1])))
