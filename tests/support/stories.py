"""The same charging story told in each OCPP version, for version-parametrized tests.

Each story drives the `ocpp` library's ChargePoint of its version and exposes the same
steps, so one test asserts the same database outcome for every version.
"""

from ocpp.v16 import call as call16
from ocpp.v21 import call as call21
from ocpp.v201 import call as call201


def iso(minute: int) -> str:
    return f"2026-11-20T10:{minute:02d}:00Z"


class Story16:
    subprotocol = "ocpp1.6"

    def __init__(self, cp):
        self.cp = cp

    async def boot(self):
        return (
            await self.cp.call(
                call16.BootNotification(charge_point_vendor="V", charge_point_model="M")
            )
        ).status

    async def status(self, connector: int, status: str):
        await self.cp.call(
            call16.StatusNotification(connector_id=connector, error_code="NoError", status=status)
        )

    async def authorize(self, tag: str) -> str:
        return (await self.cp.call(call16.Authorize(id_tag=tag))).id_tag_info["status"]

    async def start(self, connector: int, tag: str, wh: int, minute: int) -> str:
        result = await self.cp.call(
            call16.StartTransaction(
                connector_id=connector, id_tag=tag, meter_start=wh, timestamp=iso(minute)
            )
        )
        self.tx = result.transaction_id
        return result.id_tag_info["status"]

    async def meter(self, connector: int, wh: int, watts: int, minute: int, offline=False):
        await self.cp.call(
            call16.MeterValues(
                connector_id=connector,
                transaction_id=self.tx,
                meter_value=[
                    {
                        "timestamp": iso(minute),
                        "sampled_value": [
                            {
                                "value": str(wh),
                                "measurand": "Energy.Active.Import.Register",
                                "unit": "Wh",
                            },
                            {"value": str(watts), "measurand": "Power.Active.Import", "unit": "W"},
                        ],
                    }
                ],
            )
        )

    async def stop(
        self, connector: int, wh: int, minute: int, reason="EVDisconnected", offline=False
    ):
        await self.cp.call(
            call16.StopTransaction(
                meter_stop=wh, timestamp=iso(minute), transaction_id=self.tx, reason=reason
            )
        )

    async def replay_start(self, connector: int, tag: str, wh: int, minute: int):
        await self.start(connector, tag, wh, minute)


class Story201:
    subprotocol = "ocpp2.0.1"
    call = call201

    def __init__(self, cp):
        self.cp = cp
        self.seq = 0
        self.tx = "TX-0001"
        self.sent = []

    async def boot(self):
        return (
            await self.cp.call(
                self.call.BootNotification(
                    charging_station={"model": "M", "vendor_name": "V"}, reason="PowerUp"
                )
            )
        ).status

    async def status(self, connector: int, status: str):
        words = {"Charging": "Occupied", "Preparing": "Occupied", "Finishing": "Occupied"}
        await self.cp.call(
            self.call.StatusNotification(
                timestamp=iso(0),
                connector_status=words.get(status, status),
                evse_id=connector,
                connector_id=1,
            )
        )

    async def authorize(self, tag: str) -> str:
        result = await self.cp.call(
            self.call.Authorize(id_token={"id_token": tag, "type": "ISO14443"})
        )
        return {"Unknown": "Invalid"}.get(
            result.id_token_info["status"], result.id_token_info["status"]
        )

    def _event(self, event_type, minute, info, samples, connector, offline=False, **extra):
        event = self.call.TransactionEvent(
            event_type=event_type,
            timestamp=iso(minute),
            trigger_reason=extra.pop("trigger_reason", "MeterValuePeriodic"),
            seq_no=self.seq,
            transaction_info={"transaction_id": self.tx, **info},
            evse={"id": connector, "connector_id": 1},
            meter_value=[{"timestamp": iso(minute), "sampled_value": samples}] if samples else None,
            offline=offline or None,
            **extra,
        )
        self.seq += 1
        self.sent.append(event)
        return event

    async def start(self, connector: int, tag: str, wh: int, minute: int) -> str:
        event = self._event(
            "Started",
            minute,
            {"charging_state": "Charging"},
            [
                {
                    "value": wh,
                    "measurand": "Energy.Active.Import.Register",
                    "context": "Transaction.Begin",
                }
            ],
            connector,
            trigger_reason="Authorized",
            id_token={"id_token": tag, "type": "ISO14443"},
        )
        result = await self.cp.call(event)
        return result.id_token_info["status"]

    async def meter(self, connector: int, wh: int, watts: int, minute: int, offline=False):
        samples = [
            {"value": wh, "measurand": "Energy.Active.Import.Register"},
            {"value": watts, "measurand": "Power.Active.Import"},
        ]
        await self.cp.call(
            self._event(
                "Updated", minute, {"charging_state": "Charging"}, samples, connector, offline
            )
        )

    async def stop(
        self, connector: int, wh: int, minute: int, reason="EVDisconnected", offline=False
    ):
        samples = [
            {
                "value": wh,
                "measurand": "Energy.Active.Import.Register",
                "context": "Transaction.End",
            }
        ]
        info = {"charging_state": "EVConnected", "stopped_reason": reason}
        await self.cp.call(
            self._event(
                "Ended",
                minute,
                info,
                samples,
                connector,
                offline,
                trigger_reason="EVCommunicationLost",
            )
        )

    async def replay_start(self, connector: int, tag: str, wh: int, minute: int):
        await self.cp.call(self.sent[0])


class Story21(Story201):
    subprotocol = "ocpp2.1"
    call = call21


STORIES = [Story16, Story201, Story21]
