"""OCPP 1.6-J: translate station messages to service calls and results back."""

import json

from django.utils import timezone
from ocpp.v16 import call_result, enums

from stations.metering import MAX_READING, format_timestamp, parse_timestamp
from stations.ocpp.base import INT32_MAX, StationAdapter, samples_from
from stations.ocpp.dispatch import handles
from stations.ocpp.framing import Call, FrameError, check_payload, storable
from stations.ocpp.payloads import snake_case
from stations.ocpp.requests16 import BUILDERS, CERTIFICATE_TYPES, PNC_VENDOR
from stations.pki.checks import (
    certificate_status_get,
    contract_certificate_get,
    contract_certificate_status,
)
from stations.pki.provider import ACCEPTED
from stations.pki.signing import certificate_sign_request
from stations.services.authorization import (
    UNKNOWN,
    Authorization,
    id_token_authorize,
    token_answer,
)
from stations.services.data_transfer import data_transfer_handle
from stations.services.meter_values import MeterValuesIn
from stations.services.registration import station_boot
from stations.services.sessions import session_start, session_stop
from stations.services.status import connector_status_update, station_event_record
from stations.station_data.firmware import firmware_status_record
from stations.writers import last_seen, meter_writer

Action = enums.Action
MAX_WH = int(MAX_READING) - 1


def _id_tag_info(authorization: Authorization) -> dict:
    # 1.6 has no "Unknown": a token ChargeNet does not know is Invalid.
    status = "Invalid" if authorization.status == UNKNOWN else authorization.status
    info = {"status": status}
    if authorization.expires_at:
        info["expiry_date"] = format_timestamp(authorization.expires_at)
    if authorization.parent:
        info["parent_id_tag"] = authorization.parent
    return info


class V16Adapter(StationAdapter):
    version = "1.6"
    results = call_result
    request_builders = BUILDERS
    stored_integers = {
        "connectorId": (0, INT32_MAX),
        "transactionId": (-INT32_MAX - 1, INT32_MAX),
        "reservationId": (-INT32_MAX - 1, INT32_MAX),
        "meterStart": (-MAX_WH, MAX_WH),
        "meterStop": (-MAX_WH, MAX_WH),
    }
    known_actions = frozenset(action.value for action in Action)
    incoming_actions = frozenset(
        {
            "Authorize",
            "BootNotification",
            "DataTransfer",
            "DiagnosticsStatusNotification",
            "FirmwareStatusNotification",
            "Heartbeat",
            "LogStatusNotification",
            "MeterValues",
            "SecurityEventNotification",
            "SignCertificate",
            "SignedFirmwareStatusNotification",
            "StartTransaction",
            "StatusNotification",
            "StopTransaction",
        }
    )

    @handles("BootNotification")
    async def on_boot_notification(self, charge_point_vendor, charge_point_model, **kw):
        result = await self.run(
            station_boot,
            vendor=charge_point_vendor,
            model=charge_point_model,
            serial_number=kw.get("charge_point_serial_number")
            or kw.get("charge_box_serial_number", ""),
            firmware_version=kw.get("firmware_version", ""),
            iccid=kw.get("iccid", ""),
            imsi=kw.get("imsi", ""),
            meter_type=kw.get("meter_type", ""),
            meter_serial_number=kw.get("meter_serial_number", ""),
        )
        self.station.registration = result.status.lower()
        return call_result.BootNotification(
            current_time=format_timestamp(result.current_time),
            interval=result.interval,
            status=result.status,
        )

    @handles("Heartbeat")
    async def on_heartbeat(self, **kw):
        await last_seen.station_touch(self.station.pk)
        return call_result.Heartbeat(current_time=format_timestamp(timezone.now()))

    @handles("StatusNotification")
    async def on_status_notification(self, connector_id, error_code, status, **kw):
        await self.run(
            connector_status_update,
            connector_id=connector_id,
            status=status,
            error_code=error_code,
            info=kw.get("info", ""),
            vendor_error_code=kw.get("vendor_error_code", ""),
            timestamp=parse_timestamp(kw.get("timestamp")),
        )
        return call_result.StatusNotification()

    @handles("Authorize")
    async def on_authorize(self, id_tag, **kw):
        authorization = await self.run(id_token_authorize, value=id_tag)
        return call_result.Authorize(id_tag_info=_id_tag_info(authorization))

    @handles("StartTransaction")
    async def on_start_transaction(self, connector_id, id_tag, meter_start, timestamp, **kw):
        result = await self.run(
            session_start,
            connector_id=connector_id,
            id_tag=id_tag,
            meter_start_wh=meter_start,
            timestamp=parse_timestamp(timestamp),
            reservation_id=kw.get("reservation_id"),
        )
        return call_result.StartTransaction(
            transaction_id=int(result.session.transaction_id),
            id_tag_info=_id_tag_info(result.authorization),
        )

    @handles("MeterValues")
    async def on_meter_values(self, connector_id, meter_value, **kw):
        transaction_id = kw.get("transaction_id")
        await meter_writer.meter_values_record(
            MeterValuesIn(
                station_pk=self.station.pk,
                connector_id=connector_id,
                transaction_id=None if transaction_id is None else str(transaction_id),
                samples=samples_from(meter_value, timezone.now()),
            )
        )
        return call_result.MeterValues()

    @handles("StopTransaction")
    async def on_stop_transaction(self, meter_stop, timestamp, transaction_id, **kw):
        id_tag = kw.get("id_tag", "")
        await self.run(
            session_stop,
            transaction_id=str(transaction_id),
            meter_stop_wh=meter_stop,
            timestamp=parse_timestamp(timestamp),
            reason=kw.get("reason", ""),
            id_tag=id_tag,
            samples=samples_from(kw.get("transaction_data"), timezone.now()),
        )
        if not id_tag:
            return call_result.StopTransaction()
        authorization = await self.run(id_token_authorize, value=id_tag)
        return call_result.StopTransaction(id_tag_info=_id_tag_info(authorization))

    @handles("DataTransfer")
    async def on_data_transfer(self, vendor_id, **kw):
        if vendor_id == PNC_VENDOR:
            return await self._plug_and_charge(kw.get("message_id", ""), kw.get("data"))
        result = await self.run(
            data_transfer_handle,
            vendor_id=vendor_id,
            message_id=kw.get("message_id", ""),
            data=kw.get("data"),
        )
        data = (
            result.data if result.data is None or isinstance(result.data, str) else str(result.data)
        )
        return call_result.DataTransfer(status=result.status, data=data)

    # --- ISO 15118 Plug & Charge (OCA's whitepaper for 1.6): 2.0.1 messages in DataTransfer

    async def _plug_and_charge(self, message_id: str, data) -> call_result.DataTransfer:
        handler = PNC_HANDLERS.get(message_id)
        if handler is None:
            return call_result.DataTransfer(status="UnknownMessageId")
        try:
            # JSON inside a string: its escapes are read only here, and replaced likewise.
            payload = storable(json.loads(data)) if isinstance(data, str) else None
            if not isinstance(payload, dict):
                raise ValueError("The data is no JSON object.")
            # The same schema the 2.0.1 message has; the station's mistakes are Rejected.
            check_payload(Call("", message_id, payload), "2.0.1")
        except (ValueError, TypeError, FrameError):
            return call_result.DataTransfer(status="Rejected")
        answer = await handler(self, snake_case(payload))
        return call_result.DataTransfer(status="Accepted", data=json.dumps(answer))

    async def _pnc_authorize(self, payload: dict) -> dict:
        id_token = payload["id_token"]
        authorization = await self.run(id_token_authorize, value=id_token["id_token"])
        authorization = token_answer(authorization, id_token.get("type", ""))
        info = {"status": authorization.status}
        status = await self.run(
            contract_certificate_status,
            id_token=id_token["id_token"],
            hash_data=payload.get("iso15118_certificate_hash_data"),
            certificate=payload.get("certificate") or "",
        )
        if status != ACCEPTED and info["status"] == "Accepted":
            info["status"] = "Invalid"  # C07.FR.16, as in 2.0.1
        return {"idTokenInfo": info, "certificateStatus": status}

    async def _pnc_certificate_status(self, payload: dict) -> dict:
        answer = await self.run(
            certificate_status_get, ocsp_request_data=payload["ocsp_request_data"]
        )
        if answer.status == "Accepted":
            return {"status": "Accepted", "ocspResult": answer.ocsp_result}
        return {"status": "Failed"}

    async def _pnc_ev_certificate(self, payload: dict) -> dict:
        answer = await self.run(
            contract_certificate_get,
            exi_request=payload["exi_request"],
            iso15118_schema_version=payload["iso15118_schema_version"],
            action=payload["action"],
        )
        return {"status": answer.status, "exiResponse": answer.exi_response}

    async def _pnc_sign_certificate(self, payload: dict) -> dict:
        # Plug & Charge asks for the V2G certificate; the station's own comes natively.
        answer = await self.run(
            certificate_sign_request,
            csr=payload["csr"],
            certificate_type=payload.get("certificate_type") or "V2GCertificate",
        )
        return {"status": answer.status}

    @handles("DiagnosticsStatusNotification")
    async def on_diagnostics_status(self, status, **kw):
        await self.run(station_event_record, kind="DiagnosticsStatus", status=status)
        return call_result.DiagnosticsStatusNotification()

    @handles("FirmwareStatusNotification")
    async def on_firmware_status(self, status, **kw):
        await self.run(firmware_status_record, status=status, request_id=None)
        return call_result.FirmwareStatusNotification()

    @handles("SignedFirmwareStatusNotification")
    async def on_signed_firmware_status(self, status, **kw):
        await self.run(firmware_status_record, status=status, request_id=kw.get("request_id"))
        return call_result.SignedFirmwareStatusNotification()

    @handles("LogStatusNotification")
    async def on_log_status(self, status, **kw):
        await self.run(
            station_event_record,
            kind="LogStatus",
            status=status,
            data={"request_id": kw.get("request_id")},
        )
        return call_result.LogStatusNotification()

    @handles("SecurityEventNotification")
    async def on_security_event(self, type, timestamp, **kw):
        await self.run(
            station_event_record,
            kind="SecurityEvent",
            status=type,
            timestamp=parse_timestamp(timestamp),
            data={"tech_info": kw.get("tech_info", "")},
        )
        return call_result.SecurityEventNotification()

    @handles("SignCertificate")
    async def on_sign_certificate(self, csr, **kw):
        # 1.6 security extension: always the station's OCPP certificate.
        answer = await self.run(certificate_sign_request, csr=csr)
        return call_result.SignCertificate(status=answer.status)

    def command_records(self, action: str, request: dict, response: dict) -> dict:
        """The Security extension's certificate answers (the neutral types are 2.0.1's)."""
        neutral = {v: k for k, v in CERTIFICATE_TYPES.items()}
        status = response.get("status")
        if action == "GetInstalledCertificateIds" and status in ("Accepted", "NotFound"):
            kind = neutral.get(request["certificateType"], request["certificateType"])
            listed = snake_case(response.get("certificateHashData") or [])
            return {
                "certificates_listed": {
                    "certificate_types": [kind],
                    "certificates": [{"certificate_type": kind, **item} for item in listed]
                    if status == "Accepted"
                    else [],
                }
            }
        if action == "InstallCertificate" and status == "Accepted":
            return {
                "certificate_installed": {
                    "certificate_type": neutral.get(request["certificateType"], ""),
                    "certificate": request["certificate"],
                }
            }
        if action == "DeleteCertificate" and status in ("Accepted", "NotFound"):
            return {"certificate_deleted": snake_case(request["certificateHashData"])}
        return {}

    def configuration_rows(self, response: dict) -> list[dict]:
        # 1.6 keys live in the device model as variables of a component named "OCPP 1.6".
        return [
            {
                "component": "OCPP 1.6",
                "variable": item["key"][:50],
                "value": item.get("value", ""),
                "mutability": "ReadOnly" if item.get("readonly") else "ReadWrite",
            }
            for item in response.get("configurationKey", [])
        ]


PNC_HANDLERS = {
    "Authorize": V16Adapter._pnc_authorize,
    "GetCertificateStatus": V16Adapter._pnc_certificate_status,
    "Get15118EVCertificate": V16Adapter._pnc_ev_certificate,
    "SignCertificate": V16Adapter._pnc_sign_certificate,
}
