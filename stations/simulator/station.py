"""One simulated OCPP 1.6 charge point: `SimulatedStation`.

The station's life is `StationBase`'s (`base.py`); this module words it in 1.6 on
the library's `ocpp.v16.ChargePoint`, and `handlers.py` answers the CSMS's calls.
"""

from ocpp.v16 import ChargePoint, call

from stations.simulator.base import StationBase
from stations.simulator.handlers import CsmsHandlers
from stations.simulator.state import Connector, now_iso


class SimulatedStation(CsmsHandlers, StationBase, ChargePoint):
    """A virtual OCPP 1.6 charge point."""

    ocpp_version = "1.6"

    def _boot_payload(self) -> call.BootNotification:
        return call.BootNotification(
            charge_point_vendor=self.config.vendor,
            charge_point_model=self.config.model,
            charge_point_serial_number=self.config.serial_number or None,
            firmware_version=self.firmware_version,
            meter_type="SIM-METER",
        )

    def _heartbeat_payload(self):
        return call.Heartbeat()

    def _store_heartbeat(self, seconds: int) -> None:
        self.configuration["HeartbeatInterval"][0] = str(seconds)

    async def _notify_status(
        self, connector_id: int, status: str, error_code: str = "NoError"
    ) -> None:
        await self._notify(
            call.StatusNotification(
                connector_id=connector_id,
                error_code=error_code,
                status=status,
                timestamp=now_iso(),
            )
        )

    async def _authorize(self, connector: Connector) -> str:
        reply = await self.request(call.Authorize(id_tag=connector.id_tag))
        return reply.id_tag_info.get("status")

    def _start_payload(self, connector: Connector, id_tag: str, reservation_id: int | None):
        return call.StartTransaction(
            connector_id=connector.id,
            id_tag=id_tag,
            meter_start=connector.meter_start,
            timestamp=now_iso(),
            reservation_id=reservation_id,
        )

    def _started(self, connector: Connector, reply) -> tuple[int, str | None]:
        return reply.transaction_id, (reply.id_tag_info or {}).get("status")

    async def _send_meter_values(self, connector: Connector, context: str) -> None:
        await self._notify(
            call.MeterValues(
                connector_id=connector.id,
                transaction_id=connector.transaction_id,
                meter_value=[
                    {
                        "timestamp": now_iso(),
                        "sampled_value": self._sampled_values(connector, context),
                    }
                ],
            )
        )

    def _stop_payload(self, connector: Connector, reason: str, meter_stop: int):
        return call.StopTransaction(
            meter_stop=meter_stop,
            timestamp=now_iso(),
            transaction_id=connector.transaction_id,
            reason=reason,
            id_tag=connector.id_tag if reason == "Local" else None,
            transaction_data=[
                {
                    "timestamp": now_iso(),
                    "sampled_value": [
                        {
                            "value": str(meter_stop),
                            "context": "Transaction.End",
                            "measurand": "Energy.Active.Import.Register",
                            "location": "Outlet",
                            "unit": "Wh",
                        }
                    ],
                }
            ],
        )
