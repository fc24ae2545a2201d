"""How a simulated OCPP 2.0.1 station answers the CSMS: the `@on` handlers.

As in `handlers.py` (1.6): a handler only reads and changes the station's state and
returns the library's `call_result`; whatever the command makes the station send
afterwards (NotifyReport, FirmwareStatusNotification, LogStatusNotification, the
triggered message, new statuses) runs from an `@after` hook as a separate task.
The state and the arithmetic behind the answers (reservations, charging profiles,
the local list) are the ones the 1.6 station uses. The device-model and smart-charging
handlers are mixins of their own (`handlers201_device_model.py`,
`handlers201_smart_charging.py`).
"""

import asyncio
import logging
import time
from datetime import UTC, datetime

from ocpp.routing import after, on
from ocpp.v201 import call, call_result
from ocpp.v201.enums import Action

from stations.simulator.handlers201_device_model import DeviceModelHandlers201
from stations.simulator.handlers201_smart_charging import SmartChargingHandlers201, profile_data
from stations.simulator.state import (
    MAX_LOCAL_LIST,
    Connector,
    Reservation,
    parse_time,
    seconds_until,
)

logger = logging.getLogger("stations.simulator")

TRIGGERABLE = {
    "BootNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "LogStatusNotification",
    "MeterValues",
    "StatusNotification",
    "TransactionEvent",
}
NOT_IDLE = 1e9  # seconds: no new driver while a reset waits for the station to be idle


class CsmsHandlers201(DeviceModelHandlers201, SmartChargingHandlers201):
    """Mixed into `SimulatedStation201`: one handler per CSMS-initiated 2.0.1 action."""

    # --- transactions ----------------------------------------------------------------

    @on(Action.request_start_transaction)
    def on_request_start_transaction(
        self, id_token, remote_start_id, evse_id=None, charging_profile=None, **kwargs
    ):
        if evse_id is not None:
            candidates = [self.connectors.get(evse_id)]
        else:
            candidates = list(self.connectors.values())
        value = id_token["id_token"]
        free = [c for c in candidates if c is not None and self._free_for(c, value)]
        if charging_profile and charging_profile.get("charging_profile_purpose") != "TxProfile":
            free = []
        if not free:
            logger.info("%s: remote start %s for %s rejected", self.id, remote_start_id, value)
            return call_result.RequestStartTransaction(status="Rejected")
        connector = free[0]
        reservation = connector.reservation
        reservation_id = reservation.id if reservation and reservation.id_tag == value else None
        connector.start_request = (value, reservation_id)
        connector.remote_start_id = remote_start_id
        connector.id_token_type = id_token.get("type", "Central")
        connector.start_profile = profile_data(charging_profile) if charging_profile else None
        connector.wake.set()
        logger.info(
            "%s: EVSE %d: remote start %s for %s", self.id, connector.id, remote_start_id, value
        )
        return call_result.RequestStartTransaction(status="Accepted")

    @on(Action.request_stop_transaction)
    def on_request_stop_transaction(self, transaction_id, **kwargs):
        for connector in self.connectors.values():
            if connector.transaction_id == transaction_id and connector.stop_payload is None:
                connector.stop_request = "Remote"
                connector.wake.set()
                logger.info("%s: remote stop of transaction %s", self.id, transaction_id)
                return call_result.RequestStopTransaction(status="Accepted")
        return call_result.RequestStopTransaction(status="Rejected")

    # --- reset, unlock, availability -------------------------------------------------

    @on(Action.reset)
    def on_reset(self, type, evse_id=None, **kwargs):
        if evse_id is not None:  # resetting one EVSE is not supported
            return call_result.Reset(status="Rejected")
        busy = any(c.busy for c in self.connectors.values())
        status = "Scheduled" if type == "OnIdle" and busy else "Accepted"
        logger.info("%s: %s reset requested (%s)", self.id, type, status)
        return call_result.Reset(status=status)

    @after(Action.reset)
    def after_reset(self, type, evse_id=None, **kwargs):
        if evse_id is not None:
            return
        self.boot_reason = "RemoteReset"
        if type == "OnIdle":
            self._spawn(self._reset_when_idle())
        else:
            self._spawn(self._reset("Hard"))

    async def _reset_when_idle(self) -> None:
        for connector in self.connectors.values():
            connector.idle_until = time.monotonic() + NOT_IDLE
        while any(c.busy for c in self.connectors.values()):
            await asyncio.sleep(0.1)
        await self._reset("Hard")

    @on(Action.unlock_connector)
    def on_unlock_connector(self, evse_id, connector_id, **kwargs):
        connector = self.connectors.get(evse_id)
        if connector is None or connector_id != 1:
            return call_result.UnlockConnector(status="UnknownConnector")
        if connector.transaction_id is not None:
            return call_result.UnlockConnector(status="OngoingAuthorizedTransaction")
        logger.info("%s: EVSE %d unlocked", self.id, evse_id)
        return call_result.UnlockConnector(status="Unlocked")

    def _availability_targets(self, evse) -> list[Connector] | None:
        if not evse or not evse.get("id"):
            return list(self.connectors.values())
        connector = self.connectors.get(evse["id"])
        if connector is None or evse.get("connector_id") not in (None, 1):
            return None
        return [connector]

    @on(Action.change_availability)
    def on_change_availability(self, operational_status, evse=None, **kwargs):
        targets = self._availability_targets(evse)
        if targets is None:
            return call_result.ChangeAvailability(status="Rejected")
        operative = operational_status == "Operative"
        scheduled = False
        for connector in targets:
            if not operative and connector.busy:
                connector.scheduled_operative = False
                scheduled = True
            else:
                connector.operative = operative
                connector.scheduled_operative = None
            connector.wake.set()
        if not evse or not evse.get("id"):
            state = "Available" if operative else "Unavailable"
            self.variables[("ChargingStation", "AvailabilityState")][0] = state
        return call_result.ChangeAvailability(status="Scheduled" if scheduled else "Accepted")

    @after(Action.change_availability)
    def after_change_availability(self, operational_status, evse=None, **kwargs):
        targets = self._availability_targets(evse)
        if targets:
            self._spawn(self._sync_idle_statuses(targets))

    # --- remote trigger ----------------------------------------------------------------

    def _trigger_targets(self, evse) -> list[Connector] | None:
        if not evse or not evse.get("id"):
            return list(self.connectors.values())
        connector = self.connectors.get(evse["id"])
        return [connector] if connector is not None else None

    @on(Action.trigger_message)
    def on_trigger_message(self, requested_message, evse=None, **kwargs):
        if requested_message not in TRIGGERABLE:
            return call_result.TriggerMessage(status="NotImplemented")
        if self._trigger_targets(evse) is None:
            return call_result.TriggerMessage(status="Rejected")
        logger.info("%s: %s triggered", self.id, requested_message)
        return call_result.TriggerMessage(status="Accepted")

    @after(Action.trigger_message)
    def after_trigger_message(self, requested_message, evse=None, **kwargs):
        targets = self._trigger_targets(evse)
        if requested_message in TRIGGERABLE and targets is not None:
            self._spawn(self._triggered(requested_message, targets))

    async def _triggered(self, message: str, connectors: list[Connector]) -> None:
        if message == "BootNotification":
            reply = await self.request(self._boot_payload("Triggered"))
            if reply.status == "Accepted" and reply.interval and not self.config.heartbeat:
                self._set_heartbeat(reply.interval)
        elif message == "Heartbeat":
            await self.request(call.Heartbeat())
        elif message == "StatusNotification":
            for connector in connectors:
                await self._notify_status(connector.id, connector.status)
        elif message in ("MeterValues", "TransactionEvent"):
            for connector in connectors:
                in_transaction = connector.transaction_id is not None
                if in_transaction:
                    self._advance(connector, time.monotonic())
                if message == "MeterValues":
                    await self._send_meter_values(connector, "Trigger")
                elif in_transaction and connector.stop_payload is None:
                    await self._send_meter_values(connector, "Sample.Triggered")
                    connector.wake.set()
        elif message == "FirmwareStatusNotification":
            await self.request(
                call.FirmwareStatusNotification(
                    status=self.firmware_status, request_id=self.firmware_request_id
                )
            )
        elif message == "LogStatusNotification":
            await self.request(
                call.LogStatusNotification(
                    status=self.diagnostics_status, request_id=self.log_request_id
                )
            )

    # --- reservations --------------------------------------------------------------------

    @on(Action.reserve_now)
    def on_reserve_now(self, id, expiry_date_time, id_token, evse_id=None, **kwargs):
        if evse_id is not None:
            connector = self.connectors.get(evse_id)
            if connector is None:
                return call_result.ReserveNow(status="Rejected")
            if not connector.operative:
                return call_result.ReserveNow(status="Unavailable")
            if connector.status == "Faulted":
                return call_result.ReserveNow(status="Faulted")
            current = connector.reservation
            if connector.busy or (current is not None and current.id != id):
                return call_result.ReserveNow(status="Occupied")
        else:
            free = [
                c
                for c in self.connectors.values()
                if c.operative and not c.busy and c.reservation is None
            ]
            if not free:
                return call_result.ReserveNow(status="Occupied")
            connector = free[0]
        for other in self.connectors.values():  # a reservation id names one reservation
            if other.reservation is not None and other.reservation.id == id:
                other.reservation = None
        connector.reservation = Reservation(id, id_token["id_token"], parse_time(expiry_date_time))
        logger.info(
            "%s: EVSE %d reserved for %s until %s",
            self.id,
            connector.id,
            id_token["id_token"],
            expiry_date_time,
        )
        return call_result.ReserveNow(status="Accepted")

    @after(Action.reserve_now)
    def after_reserve_now(self, id, **kwargs):
        for connector in self.connectors.values():
            reservation = connector.reservation
            if reservation is not None and reservation.id == id:
                self._spawn(self._sync_idle_statuses([connector]))
                self._spawn(self._expire(connector, reservation))

    @on(Action.cancel_reservation)
    def on_cancel_reservation(self, reservation_id, **kwargs):
        found = self._cancel_reservation(reservation_id)
        return call_result.CancelReservation(status="Accepted" if found else "Rejected")

    # --- local authorization list ----------------------------------------------------

    @on(Action.send_local_list)
    def on_send_local_list(self, version_number, update_type, local_authorization_list=None, **kw):
        entries = local_authorization_list or []
        if update_type == "Differential":
            if version_number <= self.local_list_version:
                return call_result.SendLocalList(status="VersionMismatch")
            updated = dict(self.local_list)
            for entry in entries:
                value = entry["id_token"]["id_token"]
                if entry.get("id_token_info"):
                    updated[value] = entry["id_token_info"]
                else:
                    updated.pop(value, None)
        else:
            updated = {e["id_token"]["id_token"]: e.get("id_token_info") or {} for e in entries}
        if len(updated) > MAX_LOCAL_LIST:
            return call_result.SendLocalList(status="Failed")
        self.local_list, self.local_list_version = updated, version_number
        self.variables[("LocalAuthListCtrlr", "Entries")][0] = str(len(updated))
        return call_result.SendLocalList(status="Accepted")

    @on(Action.get_local_list_version)
    def on_get_local_list_version(self, **kwargs):
        return call_result.GetLocalListVersion(version_number=self.local_list_version)

    # --- firmware and logs -----------------------------------------------------------

    @on(Action.update_firmware)
    def on_update_firmware(self, request_id, firmware, **kwargs):
        logger.info("%s: firmware update %s from %s", self.id, request_id, firmware["location"])
        return call_result.UpdateFirmware(status="Accepted")

    @after(Action.update_firmware)
    def after_update_firmware(self, request_id, firmware, **kwargs):
        self.firmware_request_id = request_id
        self._spawn(self._update_firmware(request_id, firmware))

    async def _update_firmware(self, request_id: int, firmware: dict) -> None:
        await asyncio.sleep(seconds_until(firmware.get("retrieve_date_time")))
        steps = ["Downloading", "Downloaded"]
        if firmware.get("signature"):
            steps.append("SignatureVerified")
        steps += ["Installing", "Installed"]
        for status in steps:
            self.firmware_status = status
            await self._notify(
                call.FirmwareStatusNotification(status=status, request_id=request_id)
            )
            if status != "Installed":
                await asyncio.sleep(self.config.step_delay)
        name = firmware["location"].rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
        self.firmware_version = name[:50] or self.firmware_version
        logger.info("%s: firmware %s installed", self.id, self.firmware_version)

    @on(Action.get_log)
    def on_get_log(self, log, log_type, request_id, **kwargs):
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        kind = "security" if log_type == "SecurityLog" else "diagnostics"
        self._diagnostics_file = f"{self.id}-{kind}-{stamp}.log"
        logger.info("%s: log upload %s to %s", self.id, request_id, log["remote_location"])
        return call_result.GetLog(status="Accepted", filename=self._diagnostics_file)

    @after(Action.get_log)
    def after_get_log(self, log, log_type, request_id, **kwargs):
        self.log_request_id = request_id
        self._spawn(self._upload_log(request_id))

    async def _upload_log(self, request_id: int) -> None:
        for status in ("Uploading", "Uploaded"):
            self.diagnostics_status = status
            await self._notify(call.LogStatusNotification(status=status, request_id=request_id))
            if status == "Uploading":
                await asyncio.sleep(self.config.step_delay)
        logger.info("%s: log %s uploaded", self.id, self._diagnostics_file)
