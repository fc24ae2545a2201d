"""OCPP 2.0.1-J (and 2.1, which extends it): station messages to service calls.

2.0.1 words end here: connector statuses and charging states become the 1.6-style
connector statuses the rest of ChargeNet uses, TransactionEvents become session
events. EVSE + connector ids go to the services as they are: each service finds (or
creates) the station-wide connector in the transaction of its own write, so a frame
refused by a failing write leaves no connector behind.
"""

from datetime import UTC, datetime

from django.utils import timezone
from ocpp.v21 import call as call21
from ocpp.v21 import call_result as call_result21
from ocpp.v21.enums import Action as Action21
from ocpp.v201 import call_result
from ocpp.v201.enums import Action

from stations.metering import (
    format_timestamp,
    parse_timestamp,
    transaction_start_wh,
    transaction_stop_wh,
)
from stations.ocpp.base import INT32_MAX, StationAdapter, samples_from
from stations.ocpp.certificates201 import V201Certificates
from stations.ocpp.commands201 import V201Commands, builders_for, component_fields
from stations.ocpp.dispatch import handles
from stations.ocpp.records201 import message_fields, reported_monitors
from stations.services import (
    connections,
    device_model,
    load_management,
)
from stations.services.authorization import Authorization, id_token_authorize, token_answer
from stations.services.data_transfer import data_transfer_handle
from stations.services.meter_values import MeterValuesIn
from stations.services.registration import station_boot
from stations.services.status import connector_status_update, station_event_record
from stations.services.transaction_events import SessionEventIn, session_event_apply
from stations.station_data.customer_information import customer_information_part
from stations.station_data.display_messages import display_messages_report
from stations.station_data.firmware import firmware_status_record
from stations.station_data.monitors import monitors_report
from stations.writers import last_seen, meter_writer

# TransactionEventRequest chargingState -> the connector's status.
CHARGING_STATE_STATUS = {
    "Charging": "Charging",
    "EVConnected": "Preparing",
    "SuspendedEV": "SuspendedEV",
    "SuspendedEVSE": "SuspendedEVSE",
}
# ConnectorStatusEnumType: what StatusNotification and AvailabilityState report.
CONNECTOR_STATUSES = frozenset({"Available", "Occupied", "Reserved", "Unavailable", "Faulted"})
INCOMING_201 = frozenset(
    {
        "Authorize",
        "BootNotification",
        "ClearedChargingLimit",
        "DataTransfer",
        "FirmwareStatusNotification",
        "Get15118EVCertificate",
        "GetCertificateStatus",
        "Heartbeat",
        "LogStatusNotification",
        "MeterValues",
        "NotifyChargingLimit",
        "NotifyCustomerInformation",
        "NotifyDisplayMessages",
        "NotifyEVChargingNeeds",
        "NotifyEVChargingSchedule",
        "NotifyEvent",
        "NotifyMonitoringReport",
        "NotifyReport",
        "PublishFirmwareStatusNotification",
        "ReportChargingProfiles",
        "ReservationStatusUpdate",
        "SecurityEventNotification",
        "SignCertificate",
        "StatusNotification",
        "TransactionEvent",
    }
)
# Notifications kept as station events and answered with an empty result.
RECORDED_NOTIFICATIONS = {
    "ClearedChargingLimit": "ChargingLimitCleared",
    "NotifyChargingLimit": "ChargingLimit",
    "NotifyCustomerInformation": "CustomerInformation",
    "NotifyDisplayMessages": "DisplayMessages",
    "NotifyMonitoringReport": "MonitoringReport",
    "ReportChargingProfiles": "ChargingProfiles",
    "ReservationStatusUpdate": "ReservationStatus",
    "PublishFirmwareStatusNotification": "PublishFirmwareStatus",
}


class V201Adapter(V201Certificates, V201Commands, StationAdapter):
    version = "2.0.1"
    results = call_result
    known_actions = frozenset(action.value for action in Action)
    incoming_actions = INCOMING_201
    # The schemas say only "integer"; the spec counts EVSE and connector ids and
    # sequence numbers from 0 (0: the station as a whole); the columns hold 32 bits.
    stored_integers = {
        "evseId": (0, INT32_MAX),
        "connectorId": (0, INT32_MAX),
        "seqNo": (0, INT32_MAX),
        "remoteStartId": (-INT32_MAX - 1, INT32_MAX),
        "reservationId": (-INT32_MAX - 1, INT32_MAX),
        "evse.id": (0, INT32_MAX),
    }

    def id_token_info(self, authorization: Authorization) -> dict:
        info = {"status": authorization.status}
        if authorization.expires_at:
            info["cache_expiry_date_time"] = format_timestamp(authorization.expires_at)
        if authorization.parent:
            info["group_id_token"] = {
                "id_token": authorization.parent,
                "type": authorization.parent_type or "Central",
            }
        return info

    # --- provisioning -------------------------------------------------------------

    @handles("BootNotification")
    async def on_boot_notification(self, charging_station, reason, **kw):
        modem = charging_station.get("modem") or {}
        result = await self.run(
            station_boot,
            vendor=charging_station["vendor_name"],
            model=charging_station["model"],
            serial_number=charging_station.get("serial_number", ""),
            firmware_version=charging_station.get("firmware_version", ""),
            iccid=modem.get("iccid", ""),
            imsi=modem.get("imsi", ""),
        )
        self.station.registration = result.status.lower()
        return self.results.BootNotification(
            current_time=format_timestamp(result.current_time),
            interval=result.interval,
            status=result.status,
        )

    @handles("Heartbeat")
    async def on_heartbeat(self, **kw):
        await last_seen.station_touch(self.station.pk)
        return self.results.Heartbeat(current_time=format_timestamp(timezone.now()))

    @handles("NotifyReport")
    async def on_notify_report(self, request_id, generated_at, seq_no, **kw):
        rows = []
        for item in kw.get("report_data") or []:
            where = component_fields(item["component"], item["variable"])
            characteristics = item.get("variable_characteristics") or {}
            for attribute in item.get("variable_attribute") or []:
                rows.append(
                    {
                        **where,
                        # B07: an omitted type is Actual, an omitted mutability ReadWrite.
                        "attribute_type": attribute.get("type", "Actual"),
                        "value": str(attribute.get("value", "")),
                        "mutability": attribute.get("mutability", "ReadWrite"),
                        # B07: omitted persistent and constant are false.
                        "persistent": attribute.get("persistent", False),
                        "constant": attribute.get("constant", False),
                        "data_type": characteristics.get("data_type", ""),
                        "unit": characteristics.get("unit", ""),
                        "min_limit": characteristics.get("min_limit"),
                        "max_limit": characteristics.get("max_limit"),
                        "values_list": characteristics.get("values_list", ""),
                        "supports_monitoring": characteristics.get("supports_monitoring"),
                    }
                )
        if rows:
            await self.run(device_model.device_model_report, variables=rows)
        return self.results.NotifyReport()

    # --- availability -------------------------------------------------------------

    @handles("StatusNotification")
    async def on_status_notification(
        self, timestamp, connector_status, evse_id, connector_id, **kw
    ):
        await self._connector_status(evse_id, connector_id, connector_status, timestamp)
        return self.results.StatusNotification()

    async def _connector_status(self, evse_id, connector_id, status, timestamp) -> None:
        await self.run(
            connector_status_update,
            **_status_report(evse_id, connector_id, status, timestamp),
        )

    @handles("NotifyEvent")
    async def on_notify_event(self, generated_at, seq_no, event_data, **kw):
        rows, writes = [], []
        # Oldest first, so the newest value of a variable reported twice is the one kept.
        for event in sorted(event_data, key=_event_time):
            component, variable = event["component"], event["variable"]
            rows.append(
                {
                    **component_fields(component, variable),
                    "attribute_type": "Actual",
                    "value": event["actual_value"],
                }
            )
            record = {
                "kind": "NotifyEvent",
                "status": event.get("trigger", ""),
                "timestamp": parse_timestamp(event.get("timestamp")),
                "data": event,
            }
            writes.append((station_event_record, record))
            if _availability_of(component, variable, event["actual_value"]):
                evse = component.get("evse") or {}
                report = _status_report(
                    evse.get("id"),
                    evse.get("connector_id"),
                    event["actual_value"],
                    event["timestamp"],
                )
                writes.append((connector_status_update, report))
        writes.append((device_model.device_model_report, {"variables": rows}))
        # All or nothing: a frame refused halfway must leave no event behind.
        await self.run(connections.all_in_one_transaction, calls=writes)
        return self.results.NotifyEvent()

    # --- authorization and transactions ---------------------------------------------

    @handles("Authorize")
    async def on_authorize(self, id_token, **kw):
        authorization = await self._authorize(id_token)
        certificate_status = await self.contract_status(id_token, kw)
        info = self.with_certificate_status(self.id_token_info(authorization), certificate_status)
        return self.results.Authorize(id_token_info=info, certificate_status=certificate_status)

    async def _authorize(self, id_token: dict) -> Authorization:
        authorization = await self.run(id_token_authorize, value=id_token["id_token"])
        return token_answer(authorization, id_token.get("type", ""))

    @handles("TransactionEvent")
    async def on_transaction_event(
        self, event_type, timestamp, trigger_reason, seq_no, transaction_info, **kw
    ):
        samples = samples_from(kw.get("meter_value"), timezone.now())
        id_token = kw.get("id_token") or {}
        evse = kw.get("evse") or {}
        charging_state = transaction_info.get("charging_state", "")
        event = SessionEventIn(
            event_type=event_type,
            seq_no=seq_no,
            transaction_id=transaction_info["transaction_id"],
            timestamp=parse_timestamp(timestamp),
            trigger_reason=trigger_reason,
            charging_state=charging_state,
            connector_status=CHARGING_STATE_STATUS.get(charging_state, ""),
            stopped_reason=transaction_info.get("stopped_reason", ""),
            offline=kw.get("offline", False),
            id_tag=id_token.get("id_token", ""),
            evse_id=evse.get("id") or None,
            evse_connector_id=evse.get("connector_id"),
            remote_start_id=transaction_info.get("remote_start_id"),
            reservation_id=kw.get("reservation_id"),
            samples=tuple(samples),
            meter_start_wh=transaction_start_wh(samples) if event_type == "Started" else None,
            meter_stop_wh=transaction_stop_wh(samples) if event_type == "Ended" else None,
        )
        result = await self.run(session_event_apply, event=event)
        # Only an Ended event's answer has a cost: the final total, taxes included.
        total_cost = float(result.total_cost.total) if result.total_cost else None
        if not id_token:
            return self.results.TransactionEvent(total_cost=total_cost)
        authorization = token_answer(result.authorization, id_token.get("type", ""))
        return self.results.TransactionEvent(
            total_cost=total_cost, id_token_info=self.id_token_info(authorization)
        )

    @handles("MeterValues")
    async def on_meter_values(self, evse_id, meter_value, **kw):
        await meter_writer.meter_values_record(
            MeterValuesIn(
                station_pk=self.station.pk,
                connector_id=0,  # EVSE 0: the station's main meter
                evse_id=evse_id or None,
                transaction_id=None,
                samples=samples_from(meter_value, timezone.now()),
            )
        )
        return self.results.MeterValues()

    # --- notifications ----------------------------------------------------------------

    @handles("FirmwareStatusNotification")
    async def on_firmware_status(self, status, **kw):
        await self.run(firmware_status_record, status=status, request_id=kw.get("request_id"))
        return self.results.FirmwareStatusNotification()

    @handles("LogStatusNotification")
    async def on_log_status(self, status, **kw):
        await self.run(
            station_event_record,
            kind="LogStatus",
            status=status,
            data={"request_id": kw.get("request_id")},
        )
        return self.results.LogStatusNotification()

    @handles("SecurityEventNotification")
    async def on_security_event(self, type, timestamp, **kw):
        await self.run(
            station_event_record,
            kind="SecurityEvent",
            status=type,
            timestamp=parse_timestamp(timestamp),
            data={"tech_info": kw.get("tech_info", "")},
        )
        return self.results.SecurityEventNotification()

    @handles("DataTransfer", raw=True)
    async def on_data_transfer(self, payload: dict) -> dict:
        """DataTransfer `data` is anyType: the vendor's keys, passed through unchanged.

        Converted like other payloads, its keys would turn to snake_case on the way in
        and to camelCase on the way out (`someKey` -> `some_key`, `socket` ->
        `SoCket`), so this handler takes and gives the JSON objects as they are.
        """
        result = await self.run(
            data_transfer_handle,
            vendor_id=payload["vendorId"],
            message_id=payload.get("messageId", ""),
            data=payload.get("data"),
        )
        answer = {"status": result.status}
        if result.data is not None:
            answer["data"] = result.data
        return answer

    async def _record(self, action: str, payload: dict, *writes):
        """Keep the notification as a station event, with the rows it reports
        (`writes`: (service, kwargs) pairs), all in one transaction."""
        status = str(payload.get("status") or payload.get("reservation_update_status") or "")
        event = {"kind": RECORDED_NOTIFICATIONS[action], "status": status, "data": payload}
        await self.run(
            connections.all_in_one_transaction,
            calls=[(station_event_record, event), *writes],
        )
        return getattr(self.results, action)()

    @handles("ClearedChargingLimit")
    async def on_cleared_charging_limit(self, **kw):
        return await self._record("ClearedChargingLimit", kw)

    @handles("NotifyChargingLimit")
    async def on_notify_charging_limit(self, **kw):
        return await self._record("NotifyChargingLimit", kw)

    @handles("NotifyCustomerInformation")
    async def on_notify_customer_information(self, data, seq_no, generated_at, request_id, **kw):
        part = {
            "request_id": request_id,
            "seq_no": seq_no,
            "data": data,
            "last_part": not kw.get("tbc", False),
            "generated_at": parse_timestamp(generated_at),
        }
        payload = {**kw, "data": data, "seq_no": seq_no, "request_id": request_id}
        payload["generated_at"] = generated_at
        return await self._record(
            "NotifyCustomerInformation", payload, (customer_information_part, part)
        )

    @handles("NotifyDisplayMessages")
    async def on_notify_display_messages(self, request_id, **kw):
        report = {
            "request_id": request_id,
            "last_part": not kw.get("tbc", False),
            "messages": [message_fields(info) for info in kw.get("message_info") or []],
        }
        payload = {**kw, "request_id": request_id}
        return await self._record(
            "NotifyDisplayMessages", payload, (display_messages_report, report)
        )

    @handles("NotifyMonitoringReport")
    async def on_notify_monitoring_report(self, request_id, **kw):
        report = {
            "request_id": request_id,
            "last_part": not kw.get("tbc", False),
            "monitors": reported_monitors(kw.get("monitor")),
        }
        payload = {**kw, "request_id": request_id}
        return await self._record("NotifyMonitoringReport", payload, (monitors_report, report))

    @handles("ReportChargingProfiles")
    async def on_report_charging_profiles(self, **kw):
        return await self._record("ReportChargingProfiles", kw)

    @handles("ReservationStatusUpdate")
    async def on_reservation_status_update(self, **kw):
        return await self._record("ReservationStatusUpdate", kw)

    @handles("PublishFirmwareStatusNotification")
    async def on_publish_firmware_status(self, **kw):
        return await self._record("PublishFirmwareStatusNotification", kw)

    @handles("NotifyEVChargingNeeds")
    async def on_notify_ev_charging_needs(self, evse_id, charging_needs, **kw):
        # K15/K17: Accepted, and a TxProfile follows the answer; Rejected only when the
        # EVSE has no transaction for a TxProfile to name.
        status = await self.run(
            load_management.charging_needs_record,
            evse_id=evse_id,
            ev_max_power_w=_ev_max_power_w(charging_needs),
            needs=charging_needs,
        )
        return self.results.NotifyEVChargingNeeds(status=status)

    @handles("NotifyEVChargingSchedule")
    async def on_notify_ev_charging_schedule(self, time_base, charging_schedule, evse_id, **kw):
        status = await self.run(
            load_management.charging_schedule_check,
            evse_id=evse_id,
            schedule={**charging_schedule, "time_base": time_base},
        )
        return self.results.NotifyEVChargingSchedule(status=status)


def _availability_of(component: dict, variable: dict, value: str) -> bool:
    """Whether an event reports a connector's (or the station's) AvailabilityState.

    The NotifyEvent twin of StatusNotification (G01): component Connector with its
    EVSE, or ChargingStation for the station as a whole.
    """
    if variable["name"] != "AvailabilityState" or value not in CONNECTOR_STATUSES:
        return False
    if component["name"] == "Connector":
        return bool((component.get("evse") or {}).get("id"))
    return component["name"] == "ChargingStation"


# AC energy transfer modes -> phases the EV draws on.
AC_PHASES = {"AC_single_phase": 1, "AC_two_phase": 2, "AC_three_phase": 3}


def _ev_max_power_w(needs: dict) -> int | None:
    """The most an EV can take, W, from its ChargingNeedsType; None if it said none."""
    dc = needs.get("dc_charging_parameters") or {}
    if dc.get("ev_max_power"):
        return int(dc["ev_max_power"])
    ac = needs.get("ac_charging_parameters") or {}
    phases = AC_PHASES.get(needs.get("requested_energy_transfer", ""), 1)
    for parameters, count in ((dc, 1), (ac, phases)):
        if parameters.get("ev_max_current") and parameters.get("ev_max_voltage"):
            return int(parameters["ev_max_current"] * parameters["ev_max_voltage"] * count)
    return None


def _event_time(event: dict):
    moment = parse_timestamp(event.get("timestamp"))
    return moment or datetime.min.replace(tzinfo=UTC)


def _status_report(evse_id, connector_id, status: str, timestamp) -> dict:
    """A 2.0.1 connector status as `connector_status_update` takes it.

    EVSE 0 (or none) is the station as a whole, connector 0.
    """
    return {
        "evse_id": evse_id or None,
        "evse_connector_id": connector_id,
        "status": "Preparing" if status == "Occupied" else status,
        "occupied": status == "Occupied",
        "error_code": "OtherError" if status == "Faulted" else "NoError",
        "timestamp": parse_timestamp(timestamp),
    }


class V21Adapter(V201Adapter):
    """OCPP 2.1-J, as far as the `ocpp` library carries it: the 2.0.1 handlers on 2.1
    schemas. Messages new in 2.1 that a station may send (DER, tariffs, battery swap,
    ...) are known actions ChargeNet does not implement, so they get NotSupported."""

    version = "2.1"
    results = call_result21
    known_actions = frozenset(action.value for action in Action21)
    incoming_actions = INCOMING_201
    request_builders = builders_for(call21)
