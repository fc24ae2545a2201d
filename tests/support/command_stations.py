"""Library charge points that answer every CSMS-initiated message of issue 19.

`frames` keeps (action, payload) of each call exactly as it came over the wire (the
spec's camelCase field names); `replies[action]` overrides fields of the answer (e.g.
`{"status": "AcceptedCanceled"}`). Connect one with
`tests.support.ocpp_client.connected_station(..., station_class=AllCommands201)`.
"""

import json
import re

from ocpp.routing import on
from ocpp.v16 import call_result as r16
from ocpp.v201 import call_result as r201

from tests.support.charge_points import Station16, Station201


class RawFrames:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.frames: list[tuple[str, dict]] = []
        self.replies: dict[str, dict] = {}

    async def route_message(self, raw):
        message = json.loads(raw)
        if message[0] == 2:
            self.frames.append((message[2], message[3]))
        await super().route_message(raw)

    def reply(self, results, action: str, kw: dict, **fields):
        self.got(action, kw)
        return getattr(results, action)(**{**fields, **self.replies.get(action, {})})


def _answering(results, action: str, **fields):
    """A handler of `action` answering `fields` (with the test's `replies` over them).

    The library finds handlers by function name: the attribute must be `action` in
    snake_case (GetReport: get_report).
    """

    def handler(self, **kw):
        return self.reply(results, action, kw, **fields)

    handler.__name__ = re.sub(r"(?<=[a-z])(?=[A-Z])", "_", action).lower()
    return on(action)(handler)


def _201(action: str, **fields):
    return _answering(r201, action, **fields)


def _16(action: str, **fields):
    return _answering(r16, action, **fields)


ACCEPTED = {"status": "Accepted"}


class AllCommands201(RawFrames, Station201):
    get_report = _201("GetReport", **ACCEPTED)
    set_network_profile = _201("SetNetworkProfile", **ACCEPTED)
    get_transaction_status = _201("GetTransactionStatus", messages_in_queue=False)
    get_charging_profiles = _201("GetChargingProfiles", **ACCEPTED)
    publish_firmware = _201("PublishFirmware", **ACCEPTED)
    unpublish_firmware = _201("UnpublishFirmware", status="Unpublished")
    install_certificate = _201("InstallCertificate", **ACCEPTED)
    get_installed_certificate_ids = _201("GetInstalledCertificateIds", **ACCEPTED)
    delete_certificate = _201("DeleteCertificate", **ACCEPTED)
    certificate_signed = _201("CertificateSigned", **ACCEPTED)
    set_monitoring_base = _201("SetMonitoringBase", **ACCEPTED)
    set_monitoring_level = _201("SetMonitoringLevel", **ACCEPTED)
    get_monitoring_report = _201("GetMonitoringReport", **ACCEPTED)
    customer_information = _201("CustomerInformation", **ACCEPTED)
    set_display_message = _201("SetDisplayMessage", **ACCEPTED)
    get_display_messages = _201("GetDisplayMessages", **ACCEPTED)
    clear_display_message = _201("ClearDisplayMessage", **ACCEPTED)

    @on("SetVariableMonitoring")
    def set_variable_monitoring(self, **kw):
        status = self.got("SetVariableMonitoring", kw)
        return r201.SetVariableMonitoring(
            set_monitoring_result=[
                {
                    "id": item.get("id", 100 + number),
                    "status": status,
                    "type": item["type"],
                    "severity": item["severity"],
                    "component": item["component"],
                    "variable": item["variable"],
                }
                for number, item in enumerate(kw["set_monitoring_data"])
            ]
        )

    @on("ClearVariableMonitoring")
    def clear_variable_monitoring(self, **kw):
        status = self.got("ClearVariableMonitoring", kw)
        return r201.ClearVariableMonitoring(
            clear_monitoring_result=[{"status": status, "id": id_} for id_ in kw["id"]]
        )


class AllCommands16(RawFrames, Station16):
    """A 1.6 station with the Security extension's messages."""

    get_log = _16("GetLog", **ACCEPTED)
    signed_update_firmware = _16("SignedUpdateFirmware", **ACCEPTED)
    install_certificate = _16("InstallCertificate", **ACCEPTED)
    get_installed_certificate_ids = _16("GetInstalledCertificateIds", **ACCEPTED)
    delete_certificate = _16("DeleteCertificate", **ACCEPTED)
    certificate_signed = _16("CertificateSigned", **ACCEPTED)
