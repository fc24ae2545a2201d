"""One simulated OCPP 2.0.1 charging station on the library's `ocpp.v201.ChargePoint`.

The station's life is `StationBase`'s (boot, heartbeat, drivers plugging in, power
curves, reconnects); this module words it in 2.0.1: each connector is an EVSE with
one connector, a transaction is a string id the station chooses and a series of
TransactionEvents - Started, Updated every meter interval, Ended - numbered by
`seqNo` from 0. Every TransactionEvent stays queued until the CSMS answers it and is
sent again, unchanged (same `seqNo`), after a reconnect.

Offline, a charging car keeps charging: on reconnecting, the station first queues
what it would have sent meanwhile - TransactionEvent Updated with the meter values
of each missed interval and, if the driver left, Ended - each with `offline: true`
and the time it happened, after the events still unanswered from before.
"""

import random
import time
import uuid
from datetime import UTC, datetime, timedelta

from ocpp.v201 import ChargePoint, call

from stations.simulator.base import StationBase
from stations.simulator.handlers201 import CsmsHandlers201
from stations.simulator.state import DEFAULT_HEARTBEAT, MAX_LOCAL_LIST, Connector, now_iso
from stations.simulator.stats import Stats

# The 1.6-style status the station keeps -> the 2.0.1 connectorStatus it reports.
CONNECTOR_STATUS = {
    "Available": "Available",
    "Preparing": "Occupied",
    "Charging": "Occupied",
    "SuspendedEV": "Occupied",
    "SuspendedEVSE": "Occupied",
    "Finishing": "Occupied",
    "Reserved": "Reserved",
    "Unavailable": "Unavailable",
    "Faulted": "Faulted",
}
# Why a transaction stopped (the station's reason) -> (stoppedReason, triggerReason).
STOP_REASONS = {
    "EVDisconnected": ("EVDisconnected", "EVCommunicationLost"),
    "Local": ("Local", "StopAuthorized"),
    "Remote": ("Remote", "RemoteStop"),
    "DeAuthorized": ("DeAuthorized", "Deauthorized"),
    "HardReset": ("ImmediateReset", "ResetCommand"),
    "SoftReset": ("ImmediateReset", "ResetCommand"),
    "UnlockCommand": ("Other", "UnlockCommand"),
}
CHARGING_STATE = {"Charging": "Charging", "SuspendedEV": "SuspendedEV"}
MAX_OFFLINE_SAMPLES = 50  # Updated events queued for one offline period, at most


def iso_at(moment: float) -> str:
    """The OCPP dateTime of a past `time.monotonic()` reading."""
    ago = max(0.0, time.monotonic() - moment)
    stamp = datetime.now(UTC) - timedelta(seconds=ago)
    return stamp.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def device_model(config, heartbeat: float, meter_interval: float) -> dict:
    """(component, variable) -> [value, read-only, dataType]: what GetVariables reads."""
    measurands = "Energy.Active.Import.Register,Power.Active.Import,Current.Import,Voltage"
    if config.kind == "car":
        measurands += ",SoC"
    return {
        ("ChargingStation", "AvailabilityState"): ["Available", True, "OptionList"],
        ("ChargingStation", "Model"): [config.model, True, "string"],
        ("ChargingStation", "VendorName"): [config.vendor, True, "string"],
        ("OCPPCommCtrlr", "HeartbeatInterval"): [str(int(heartbeat)), False, "integer"],
        ("OCPPCommCtrlr", "NetworkProfileConnectionAttempts"): ["3", False, "integer"],
        ("OCPPCommCtrlr", "RetryBackOffWaitMinimum"): ["1", False, "integer"],
        ("SampledDataCtrlr", "TxUpdatedInterval"): [str(int(meter_interval)), False, "integer"],
        ("SampledDataCtrlr", "TxUpdatedMeasurands"): [measurands, False, "MemberList"],
        ("SampledDataCtrlr", "TxEndedMeasurands"): [
            "Energy.Active.Import.Register",
            False,
            "MemberList",
        ],
        ("AuthCtrlr", "AuthorizeRemoteStart"): ["false", False, "boolean"],
        ("AuthCtrlr", "LocalAuthorizeOffline"): ["true", False, "boolean"],
        ("AuthCacheCtrlr", "Enabled"): ["true", False, "boolean"],
        ("LocalAuthListCtrlr", "Enabled"): ["true", False, "boolean"],
        ("LocalAuthListCtrlr", "Entries"): ["0", True, "integer"],
        ("LocalAuthListCtrlr", "ItemsPerMessage"): [str(MAX_LOCAL_LIST), True, "integer"],
        ("ReservationCtrlr", "Enabled"): ["true", True, "boolean"],
        ("SmartChargingCtrlr", "Enabled"): ["true", True, "boolean"],
        ("SmartChargingCtrlr", "ProfileStackLevel"): ["10", True, "integer"],
        ("TxCtrlr", "EVConnectionTimeOut"): ["60", False, "integer"],
        ("TxCtrlr", "StopTxOnInvalidId"): ["true", False, "boolean"],
        ("TxCtrlr", "TxStartPoint"): ["Authorized", True, "MemberList"],
        ("TxCtrlr", "TxStopPoint"): ["EVConnected,Authorized", True, "MemberList"],
        ("EVSE", "Count"): [str(config.connectors), True, "integer"],
    }


class SimulatedStation201(CsmsHandlers201, StationBase, ChargePoint):
    """A virtual OCPP 2.0.1 charging station: one EVSE (with one connector) per plug."""

    ocpp_version = "2.0.1"

    def __init__(
        self,
        config,
        stats: Stats | None = None,
        rng: random.Random | None = None,
        cards_in_use: set[str] | None = None,
    ):
        super().__init__(config, stats, rng, cards_in_use)
        self.variables = device_model(config, self.heartbeat_interval, self.meter_interval)
        self.boot_reason = "PowerUp"
        self.firmware_request_id: int | None = None
        self.log_request_id: int | None = None
        self.offline_since: float | None = None  # time.monotonic() the socket closed

    async def serve(self, connection) -> str:
        self._catch_up_offline()
        try:
            return await super().serve(connection)
        finally:
            self.offline_since = time.monotonic()

    def _catch_up_offline(self) -> None:
        """Queue the transaction events of the time offline, marked `offline`."""
        if self.offline_since is None:
            return
        now = time.monotonic()
        for connector in self.connectors.values():
            if connector.transaction_id is None or connector.stop_payload is not None:
                continue
            end = min(now, connector.plugged_until)
            steps = int((end - connector.last_tick) / self.meter_interval)
            interval = self.meter_interval * max(1, steps / MAX_OFFLINE_SAMPLES)
            moment = connector.last_tick + interval
            while moment <= end:
                self._advance(connector, moment)
                connector.status = "Charging" if connector.power_w > 0 else "SuspendedEV"
                self._queue_update(connector, "Sample.Periodic", at=moment, offline=True)
                moment += interval
            if connector.plugged_until <= now:  # the driver left while we were offline
                self._advance(connector, connector.plugged_until)
                connector.meter_stop = int(connector.meter_wh)
                connector.stop_reason = "EVDisconnected"
                connector.stop_payload = self._stop_payload(
                    connector,
                    "EVDisconnected",
                    connector.meter_stop,
                    at=connector.plugged_until,
                    offline=True,
                )
                connector.power_w = 0.0
            else:
                self._advance(connector, now)

    # --- hooks of StationBase --------------------------------------------------------

    def _boot_payload(self, reason: str | None = None) -> call.BootNotification:
        station = {"model": self.config.model, "vendor_name": self.config.vendor}
        if self.config.serial_number:
            station["serial_number"] = self.config.serial_number
        station["firmware_version"] = self.firmware_version
        return call.BootNotification(charging_station=station, reason=reason or self.boot_reason)

    async def _boot(self) -> None:
        await super()._boot()
        self.boot_reason = "PowerUp"  # until the next reset says otherwise

    def _heartbeat_payload(self):
        return call.Heartbeat()

    def _store_heartbeat(self, seconds: int) -> None:
        self.variables[("OCPPCommCtrlr", "HeartbeatInterval")][0] = str(seconds)

    async def _notify_status(self, connector_id: int, status: str, error_code: str = "") -> None:
        # 2.0.1's StatusNotification carries no error code (a NotifyEvent would).
        if connector_id == 0:  # 2.0.1 reports each EVSE's connector, not the station
            return
        await self._notify(
            call.StatusNotification(
                timestamp=now_iso(),
                connector_status=CONNECTOR_STATUS.get(status, "Unavailable"),
                evse_id=connector_id,
                connector_id=1,
            )
        )

    async def _set_status(self, connector: Connector, status: str) -> None:
        """Report only what 2.0.1 tells apart (Preparing..Finishing are all Occupied)."""
        before = CONNECTOR_STATUS.get(connector.status)
        connector.status = status
        if CONNECTOR_STATUS.get(status) != before:
            await self._notify_status(connector.id, status)

    def _release_card(self, connector: Connector) -> None:
        super()._release_card(connector)
        connector.id_token_type = "ISO14443"

    def _id_token(self, connector: Connector) -> dict:
        return {"id_token": connector.id_tag, "type": connector.id_token_type}

    def _event(
        self,
        connector: Connector,
        event_type: str,
        trigger: str,
        info: dict,
        at: float | None = None,
        offline: bool = False,
        **extra,
    ):
        seq_no = connector.seq_no
        connector.seq_no += 1
        if offline:
            extra["offline"] = True
        return call.TransactionEvent(
            event_type=event_type,
            timestamp=now_iso() if at is None else iso_at(at),
            trigger_reason=trigger,
            seq_no=seq_no,
            transaction_info=info,
            evse={"id": connector.id, "connector_id": 1},
            **extra,
        )

    def _energy_sample(self, wh: int, context: str, at: float | None = None) -> list[dict]:
        return [
            {
                "timestamp": now_iso() if at is None else iso_at(at),
                "sampled_value": [
                    {
                        "value": wh,
                        "context": context,
                        "measurand": "Energy.Active.Import.Register",
                        "location": "Outlet",
                        "unit_of_measure": {"unit": "Wh"},
                    }
                ],
            }
        ]

    def _start_payload(self, connector: Connector, id_tag: str, reservation_id: int | None):
        transaction_id = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        connector.seq_no = 0
        info = {"transaction_id": transaction_id, "charging_state": "EVConnected"}
        trigger = "Authorized"
        if connector.remote_start_id is not None:
            info["remote_start_id"] = connector.remote_start_id
            trigger = "RemoteStart"
        return self._event(
            connector,
            "Started",
            trigger,
            info,
            id_token=self._id_token(connector),
            reservation_id=reservation_id,
            meter_value=self._energy_sample(connector.meter_start, "Transaction.Begin"),
        )

    def _started(self, connector: Connector, reply) -> tuple[str, str | None]:
        status = (reply.id_token_info or {}).get("status", "Accepted")
        return connector.start_payload.transaction_info["transaction_id"], status

    def _meter_value(self, connector: Connector, context: str, at: float | None = None):
        values = []
        for value in self._sampled_values(connector, context):
            unit = value.pop("unit")
            values.append(dict(value, value=float(value["value"]), unit_of_measure={"unit": unit}))
        stamp = now_iso() if at is None else iso_at(at)
        return [{"timestamp": stamp, "sampled_value": values}]

    async def _send_meter_values(self, connector: Connector, context: str) -> None:
        if connector.transaction_id is None or context == "Trigger":
            await self._notify(
                call.MeterValues(
                    evse_id=connector.id, meter_value=self._meter_value(connector, context)
                )
            )
            return
        self._queue_update(connector, context)

    def _queue_update(
        self, connector: Connector, context: str, at: float | None = None, offline: bool = False
    ) -> None:
        info = {
            "transaction_id": connector.transaction_id,
            "charging_state": CHARGING_STATE.get(connector.status, "Charging"),
        }
        trigger = "MeterValuePeriodic" if context == "Sample.Periodic" else "Trigger"
        connector.backlog.append(
            self._event(
                connector,
                "Updated",
                trigger,
                info,
                at=at,
                offline=offline,
                meter_value=self._meter_value(connector, context, at),
            )
        )

    def _stop_payload(
        self,
        connector: Connector,
        reason: str,
        meter_stop: int,
        at: float | None = None,
        offline: bool = False,
    ):
        stopped, trigger = STOP_REASONS.get(reason, ("Other", "AbnormalCondition"))
        info = {
            "transaction_id": connector.transaction_id,
            "charging_state": "EVConnected" if reason != "EVDisconnected" else "Idle",
            "stopped_reason": stopped,
        }
        extra = {"id_token": self._id_token(connector)} if reason == "Local" else {}
        return self._event(
            connector,
            "Ended",
            trigger,
            info,
            at=at,
            offline=offline,
            meter_value=self._energy_sample(meter_stop, "Transaction.End", at),
            **extra,
        )

    def _authorize_remote_start(self) -> bool:
        return self.variables[("AuthCtrlr", "AuthorizeRemoteStart")][0] == "true"

    async def _authorize(self, connector: Connector) -> str:
        reply = await self.request(call.Authorize(id_token=self._id_token(connector)))
        return (reply.id_token_info or {}).get("status")

    async def _expire(self, connector: Connector, reservation) -> bool:
        expired = await super()._expire(connector, reservation)
        if expired:
            await self._notify(
                call.ReservationStatusUpdate(
                    reservation_id=reservation.id, reservation_update_status="Expired"
                )
            )
        return expired

    def _set_heartbeat(self, seconds: float) -> None:
        super()._set_heartbeat(seconds or DEFAULT_HEARTBEAT)
