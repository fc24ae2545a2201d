"""OCPP 1.6-J: translate station messages to service calls and results back."""

from django.utils import timezone
from ocpp.v16 import call_result, enums

from stations.metering import MAX_READING, format_timestamp, parse_timestamp
from stations.ocpp.base import INT32_MAX, StationAdapter, samples_from
from stations.ocpp.dispatch import handles
from stations.ocpp.requests16 import BUILDERS
from stations.pki.signing import certificate_sign_request
from stations.services import connections
from stations.services.authorization import UNKNOWN, Authorization, id_token_authorize
from stations.services.data_transfer import data_transfer_handle
from stations.services.meter_values import MeterValuesIn
from stations.services.registration import station_boot
from stations.services.sessions import session_start, session_stop
from stations.services.status import connector_status_update, station_event_record
from stations.writers import meter_writer

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
        await self.run(connections.station_touch)
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

    @handles("DiagnosticsStatusNotification")
    async def on_diagnostics_status(self, status, **kw):
        await self.run(station_event_record, kind="DiagnosticsStatus", status=status)
        return call_result.DiagnosticsStatusNotification()

    @handles("FirmwareStatusNotification")
    async def on_firmware_status(self, status, **kw):
        await self.run(station_event_record, kind="FirmwareStatus", status=status)
        return call_result.FirmwareStatusNotification()

    @handles("SignedFirmwareStatusNotification")
    async def on_signed_firmware_status(self, status, **kw):
        await self.run(
            station_event_record,
            kind="FirmwareStatus",
            status=status,
            data={"request_id": kw.get("request_id")},
        )
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
