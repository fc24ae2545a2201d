"""How a simulated station answers the CSMS: the `@on` handlers of its ChargePoint.

A handler only looks at and changes the station's state and returns the library's
`call_result`; it never awaits a call of its own (the reply could not be read while
it waits). Whatever a command makes the station send afterwards - the triggered
message, firmware and diagnostics progress, a new connector status - runs from an
`@after` hook as a separate task (`_spawn`), once the reply has gone out.
"""

import asyncio
import logging
import time
from datetime import UTC, datetime

from ocpp.routing import after, on
from ocpp.v16 import call, call_result
from ocpp.v16.enums import Action

from stations.simulator.state import (
    BOOLEAN_KEYS,
    DEFAULT_HEARTBEAT,
    INTEGER_KEYS,
    MAX_LOCAL_LIST,
    Profile,
    Reservation,
    now_iso,
    parse_time,
    seconds_until,
)

logger = logging.getLogger("stations.simulator")

TRIGGERABLE = {
    "BootNotification",
    "DiagnosticsStatusNotification",
    "FirmwareStatusNotification",
    "Heartbeat",
    "MeterValues",
    "StatusNotification",
}


class CsmsHandlers:
    """Mixed into `SimulatedStation`: one handler per CSMS-initiated 1.6 action."""

    @on(Action.reset)
    def on_reset(self, type, **kwargs):
        logger.info("%s: %s reset requested", self.id, type)
        return call_result.Reset(status="Accepted")

    @after(Action.reset)
    def after_reset(self, type, **kwargs):
        self._spawn(self._reset(type))

    @on(Action.remote_start_transaction)
    def on_remote_start_transaction(self, id_tag, connector_id=None, charging_profile=None, **kw):
        if connector_id is not None:
            candidates = [self.connectors.get(connector_id)]
        else:
            candidates = list(self.connectors.values())
        free = [c for c in candidates if c is not None and self._free_for(c, id_tag)]
        if charging_profile and charging_profile.get("charging_profile_purpose") != "TxProfile":
            free = []
        if not free:
            logger.info("%s: remote start for %s rejected", self.id, id_tag)
            return call_result.RemoteStartTransaction(status="Rejected")
        connector = free[0]
        reservation = connector.reservation
        reservation_id = reservation.id if reservation and reservation.id_tag == id_tag else None
        connector.start_request = (id_tag, reservation_id)
        connector.start_profile = charging_profile
        connector.wake.set()
        logger.info("%s: connector %d: remote start for %s", self.id, connector.id, id_tag)
        return call_result.RemoteStartTransaction(status="Accepted")

    @on(Action.remote_stop_transaction)
    def on_remote_stop_transaction(self, transaction_id, **kwargs):
        for connector in self.connectors.values():
            if connector.transaction_id == transaction_id and connector.stop_payload is None:
                connector.stop_request = "Remote"
                connector.wake.set()
                logger.info("%s: remote stop of transaction %s", self.id, transaction_id)
                return call_result.RemoteStopTransaction(status="Accepted")
        logger.info("%s: remote stop of unknown transaction %s rejected", self.id, transaction_id)
        return call_result.RemoteStopTransaction(status="Rejected")

    @on(Action.unlock_connector)
    def on_unlock_connector(self, connector_id, **kwargs):
        connector = self.connectors.get(connector_id)
        if connector is None:
            return call_result.UnlockConnector(status="NotSupported")
        if connector.transaction_id is not None and connector.stop_payload is None:
            connector.stop_request = "UnlockCommand"
            connector.wake.set()
        logger.info("%s: connector %d unlocked", self.id, connector_id)
        return call_result.UnlockConnector(status="Unlocked")

    @on(Action.change_availability)
    def on_change_availability(self, connector_id, type, **kwargs):
        if connector_id == 0:
            targets = list(self.connectors.values())
        elif connector_id in self.connectors:
            targets = [self.connectors[connector_id]]
        else:
            return call_result.ChangeAvailability(status="Rejected")
        operative = type == "Operative"
        scheduled = False
        for connector in targets:
            if not operative and connector.busy:
                connector.scheduled_operative = False
                scheduled = True
            else:
                connector.operative = operative
                connector.scheduled_operative = None
            connector.wake.set()
        status = "Scheduled" if scheduled else "Accepted"
        logger.info("%s: connector %d set %s (%s)", self.id, connector_id, type, status)
        return call_result.ChangeAvailability(status=status)

    @after(Action.change_availability)
    def after_change_availability(self, connector_id, type, **kwargs):
        if connector_id == 0:
            self._spawn(self._sync_idle_statuses(self.connectors.values(), station=True))
        elif connector_id in self.connectors:
            self._spawn(self._sync_idle_statuses([self.connectors[connector_id]]))

    @on(Action.get_configuration)
    def on_get_configuration(self, key=None, **kwargs):
        names = key or list(self.configuration)
        known = [
            {
                "key": name,
                "readonly": self.configuration[name][1],
                "value": self.configuration[name][0],
            }
            for name in names
            if name in self.configuration
        ]
        unknown = [name for name in names if name not in self.configuration]
        return call_result.GetConfiguration(configuration_key=known, unknown_key=unknown or None)

    @on(Action.change_configuration)
    def on_change_configuration(self, key, value, **kwargs):
        entry = self.configuration.get(key)
        if entry is None:
            return call_result.ChangeConfiguration(status="NotSupported")
        if entry[1]:
            return call_result.ChangeConfiguration(status="Rejected")
        if key in INTEGER_KEYS:
            try:
                number = int(value)
            except ValueError:
                return call_result.ChangeConfiguration(status="Rejected")
            if number < 0:
                return call_result.ChangeConfiguration(status="Rejected")
            value = str(number)
            if key == "HeartbeatInterval":
                self._set_heartbeat(number or DEFAULT_HEARTBEAT)
            elif key == "MeterValueSampleInterval" and number > 0:
                self.meter_interval = float(number)
        elif key in BOOLEAN_KEYS:
            if value.lower() not in ("true", "false"):
                return call_result.ChangeConfiguration(status="Rejected")
            value = value.lower()
        entry[0] = value
        logger.info("%s: configuration %s = %s", self.id, key, value)
        return call_result.ChangeConfiguration(status="Accepted")

    @on(Action.clear_cache)
    def on_clear_cache(self, **kwargs):
        return call_result.ClearCache(status="Accepted")

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id, **kwargs):
        return call_result.DataTransfer(status="UnknownVendorId")

    # --- remote trigger -------------------------------------------------------------

    def _trigger_valid(self, requested_message, connector_id) -> bool:
        return requested_message in TRIGGERABLE and (
            connector_id is None or connector_id == 0 or connector_id in self.connectors
        )

    @on(Action.trigger_message)
    def on_trigger_message(self, requested_message, connector_id=None, **kwargs):
        if requested_message not in TRIGGERABLE:
            return call_result.TriggerMessage(status="NotImplemented")
        if not self._trigger_valid(requested_message, connector_id):
            return call_result.TriggerMessage(status="Rejected")
        logger.info("%s: %s triggered", self.id, requested_message)
        return call_result.TriggerMessage(status="Accepted")

    @after(Action.trigger_message)
    def after_trigger_message(self, requested_message, connector_id=None, **kwargs):
        if self._trigger_valid(requested_message, connector_id):
            self._spawn(self._triggered(requested_message, connector_id))

    async def _triggered(self, message: str, connector_id: int | None) -> None:
        if connector_id:
            connectors = [self.connectors[connector_id]]
        else:
            connectors = list(self.connectors.values())
        if message == "BootNotification":
            reply = await self.request(self._boot_payload())
            if reply.status == "Accepted" and reply.interval and not self.config.heartbeat:
                self._set_heartbeat(reply.interval)
        elif message == "Heartbeat":
            await self.request(call.Heartbeat())
        elif message == "StatusNotification":
            if connector_id is None or connector_id == 0:
                await self._notify_status(0, self._station_status())
            for connector in connectors if connector_id != 0 else []:
                await self._notify_status(connector.id, connector.status)
        elif message == "MeterValues":
            for connector in connectors:
                if connector.transaction_id is not None:
                    self._advance(connector, time.monotonic())
                await self._send_meter_values(connector, "Trigger")
        elif message == "FirmwareStatusNotification":
            await self.request(call.FirmwareStatusNotification(status=self.firmware_status))
        elif message == "DiagnosticsStatusNotification":
            await self.request(call.DiagnosticsStatusNotification(status=self.diagnostics_status))

    # --- reservations --------------------------------------------------------------------

    @on(Action.reserve_now)
    def on_reserve_now(self, connector_id, expiry_date, id_tag, reservation_id, **kwargs):
        connector = self.connectors.get(connector_id)
        if connector is None:  # including 0: ReserveConnectorZeroSupported is false
            return call_result.ReserveNow(status="Rejected")
        if not connector.operative:
            return call_result.ReserveNow(status="Unavailable")
        if connector.status == "Faulted":
            return call_result.ReserveNow(status="Faulted")
        current = connector.reservation
        if connector.busy or (current is not None and current.id != reservation_id):
            return call_result.ReserveNow(status="Occupied")
        for other in self.connectors.values():  # a reservation id names one reservation
            if other.reservation is not None and other.reservation.id == reservation_id:
                other.reservation = None
        connector.reservation = Reservation(reservation_id, id_tag, parse_time(expiry_date))
        logger.info(
            "%s: connector %d reserved for %s until %s", self.id, connector_id, id_tag, expiry_date
        )
        return call_result.ReserveNow(status="Accepted")

    @after(Action.reserve_now)
    def after_reserve_now(self, connector_id, reservation_id, **kwargs):
        connector = self.connectors.get(connector_id)
        reservation = connector.reservation if connector else None
        if reservation is None or reservation.id != reservation_id:
            return
        self._spawn(self._sync_idle_statuses([connector]))
        self._spawn(self._expire(connector, reservation))

    @on(Action.cancel_reservation)
    def on_cancel_reservation(self, reservation_id, **kwargs):
        found = self._cancel_reservation(reservation_id)
        return call_result.CancelReservation(status="Accepted" if found else "Rejected")

    # --- smart charging --------------------------------------------------------------

    @on(Action.set_charging_profile)
    def on_set_charging_profile(self, connector_id, cs_charging_profiles, **kwargs):
        profile = cs_charging_profiles
        purpose = profile.get("charging_profile_purpose")
        connector = self.connectors.get(connector_id)
        rejected = call_result.SetChargingProfile(status="Rejected")
        if connector_id != 0 and connector is None:
            return rejected
        if purpose == "ChargePointMaxProfile" and connector_id != 0:
            return rejected
        if purpose == "TxProfile":
            if connector is None or connector.transaction_id is None:
                return rejected
            if profile.get("transaction_id") not in (None, connector.transaction_id):
                return rejected
            profile = dict(profile, transaction_id=connector.transaction_id)
        self._install_profile(connector_id, profile)
        logger.info(
            "%s: charging profile %s (%s) set on connector %d",
            self.id,
            profile.get("charging_profile_id"),
            purpose,
            connector_id,
        )
        return call_result.SetChargingProfile(status="Accepted")

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(
        self, id=None, connector_id=None, charging_profile_purpose=None, stack_level=None, **kw
    ):
        def matches(profile: Profile) -> bool:
            if id is not None:
                return profile.id == id
            return (
                (connector_id is None or profile.connector_id == connector_id)
                and (
                    charging_profile_purpose is None or profile.purpose == charging_profile_purpose
                )
                and (stack_level is None or profile.stack_level == stack_level)
            )

        kept = [p for p in self.profiles if not matches(p)]
        removed = len(self.profiles) - len(kept)
        self.profiles = kept
        logger.info("%s: %d charging profile(s) cleared", self.id, removed)
        return call_result.ClearChargingProfile(status="Accepted" if removed else "Unknown")

    @on(Action.get_composite_schedule)
    def on_get_composite_schedule(self, connector_id, duration, charging_rate_unit=None, **kw):
        if connector_id != 0 and connector_id not in self.connectors:
            return call_result.GetCompositeSchedule(status="Rejected")
        unit = charging_rate_unit or "W"
        limit = self._schedule_limit(connector_id, unit)
        return call_result.GetCompositeSchedule(
            status="Accepted",
            connector_id=connector_id,
            schedule_start=now_iso(),
            charging_schedule={
                "duration": duration,
                "charging_rate_unit": unit,
                "charging_schedule_period": [{"start_period": 0, "limit": round(limit, 1)}],
            },
        )

    # --- local authorization list ----------------------------------------------------

    @on(Action.send_local_list)
    def on_send_local_list(self, list_version, update_type, local_authorization_list=None, **kw):
        entries = local_authorization_list or []
        if update_type == "Differential":
            if list_version <= self.local_list_version:
                return call_result.SendLocalList(status="VersionMismatch")
            updated = dict(self.local_list)
            for entry in entries:
                if entry.get("id_tag_info"):
                    updated[entry["id_tag"]] = entry["id_tag_info"]
                else:
                    updated.pop(entry["id_tag"], None)
        else:
            updated = {e["id_tag"]: e.get("id_tag_info") or {} for e in entries}
        if len(updated) > MAX_LOCAL_LIST:
            return call_result.SendLocalList(status="Failed")
        self.local_list, self.local_list_version = updated, list_version
        logger.info(
            "%s: local list version %s (%d cards)", self.id, list_version, len(self.local_list)
        )
        return call_result.SendLocalList(status="Accepted")

    @on(Action.get_local_list_version)
    def on_get_local_list_version(self, **kwargs):
        return call_result.GetLocalListVersion(list_version=self.local_list_version)

    # --- firmware and diagnostics -----------------------------------------------------

    @on(Action.update_firmware)
    def on_update_firmware(self, location, retrieve_date, **kwargs):
        logger.info("%s: firmware update from %s at %s", self.id, location, retrieve_date)
        return call_result.UpdateFirmware()

    @after(Action.update_firmware)
    def after_update_firmware(self, location, retrieve_date, **kwargs):
        self._spawn(self._update_firmware(location, retrieve_date))

    async def _update_firmware(self, location: str, retrieve_date: str) -> None:
        await asyncio.sleep(seconds_until(retrieve_date))
        for status in ("Downloading", "Downloaded", "Installing", "Installed"):
            self.firmware_status = status
            await self._notify(call.FirmwareStatusNotification(status=status))
            if status != "Installed":
                await asyncio.sleep(self.config.step_delay)
        name = location.rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
        self.firmware_version = name[:50] or self.firmware_version
        logger.info("%s: firmware %s installed", self.id, self.firmware_version)

    @on(Action.get_diagnostics)
    def on_get_diagnostics(self, location, **kwargs):
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        self._diagnostics_file = f"{self.id}-diagnostics-{stamp}.log"
        logger.info("%s: diagnostics upload to %s", self.id, location)
        return call_result.GetDiagnostics(file_name=self._diagnostics_file)

    @after(Action.get_diagnostics)
    def after_get_diagnostics(self, location, **kwargs):
        self._spawn(self._upload_diagnostics())

    async def _upload_diagnostics(self) -> None:
        for status in ("Uploading", "Uploaded"):
            self.diagnostics_status = status
            await self._notify(call.DiagnosticsStatusNotification(status=status))
            if status == "Uploading":
                await asyncio.sleep(self.config.step_delay)
        logger.info("%s: diagnostics %s uploaded", self.id, self._diagnostics_file)
