"""Library charge points that answer every CSMS command and record what they got.

Connect one with `tests.support.ocpp_client.connected_station(..., station_class=...)`;
`booted` sends its BootNotification, after which the CSMS may send it commands.
"""

from ocpp.routing import on
from ocpp.v16 import ChargePoint as ChargePoint16
from ocpp.v16 import call as call16
from ocpp.v16 import call_result as r16
from ocpp.v201 import ChargePoint as ChargePoint201
from ocpp.v201 import call as call201
from ocpp.v201 import call_result as r201


async def booted(cp, version: str):
    """Boot `cp` ("1.6" or "2.0.1"): the answer means the CSMS registered its socket."""
    if version == "1.6":
        await cp.call(call16.BootNotification(charge_point_vendor="V", charge_point_model="M"))
    else:
        await cp.call(
            call201.BootNotification(
                charging_station={"model": "M", "vendor_name": "V"}, reason="PowerUp"
            )
        )


class Recording:
    """Keeps (action, payload) of every call received; `answer` overrides a status."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.received: list[tuple[str, dict]] = []
        self.answer: dict[str, str] = {}

    def got(self, action: str, payload: dict, default: str = "Accepted") -> str:
        self.received.append((action, payload))
        return self.answer.get(action, default)


class Station16(Recording, ChargePoint16):
    @on("Reset")
    def reset(self, **kw):
        return r16.Reset(status=self.got("Reset", kw))

    @on("RemoteStartTransaction")
    def remote_start(self, **kw):
        return r16.RemoteStartTransaction(status=self.got("RemoteStartTransaction", kw))

    @on("RemoteStopTransaction")
    def remote_stop(self, **kw):
        return r16.RemoteStopTransaction(status=self.got("RemoteStopTransaction", kw))

    @on("UnlockConnector")
    def unlock(self, **kw):
        return r16.UnlockConnector(status=self.got("UnlockConnector", kw, "Unlocked"))

    @on("ChangeAvailability")
    def availability(self, **kw):
        return r16.ChangeAvailability(status=self.got("ChangeAvailability", kw))

    @on("GetConfiguration")
    def get_configuration(self, **kw):
        self.got("GetConfiguration", kw)
        return r16.GetConfiguration(
            configuration_key=[
                {"key": "HeartbeatInterval", "readonly": False, "value": "300"},
                {"key": "NumberOfConnectors", "readonly": True, "value": "2"},
            ],
            unknown_key=[
                k for k in kw.get("key", []) if k not in ("HeartbeatInterval", "NumberOfConnectors")
            ]
            or None,
        )

    @on("ChangeConfiguration")
    def change_configuration(self, **kw):
        return r16.ChangeConfiguration(status=self.got("ChangeConfiguration", kw))

    @on("TriggerMessage")
    def trigger(self, **kw):
        return r16.TriggerMessage(status=self.got("TriggerMessage", kw))

    @on("ClearCache")
    def clear_cache(self, **kw):
        return r16.ClearCache(status=self.got("ClearCache", kw))

    @on("DataTransfer")
    def data_transfer(self, **kw):
        return r16.DataTransfer(status=self.got("DataTransfer", kw), data="pong")

    @on("UpdateFirmware")
    def update_firmware(self, **kw):
        self.got("UpdateFirmware", kw)
        return r16.UpdateFirmware()

    @on("GetDiagnostics")
    def get_diagnostics(self, **kw):
        self.got("GetDiagnostics", kw)
        return r16.GetDiagnostics(file_name="diag.zip")

    @on("ReserveNow")
    def reserve_now(self, **kw):
        return r16.ReserveNow(status=self.got("ReserveNow", kw))

    @on("CancelReservation")
    def cancel_reservation(self, **kw):
        return r16.CancelReservation(status=self.got("CancelReservation", kw))

    @on("SetChargingProfile")
    def set_profile(self, **kw):
        return r16.SetChargingProfile(status=self.got("SetChargingProfile", kw))

    @on("ClearChargingProfile")
    def clear_profile(self, **kw):
        return r16.ClearChargingProfile(status=self.got("ClearChargingProfile", kw))

    @on("GetCompositeSchedule")
    def composite(self, **kw):
        return r16.GetCompositeSchedule(status=self.got("GetCompositeSchedule", kw))

    @on("SendLocalList")
    def send_local_list(self, **kw):
        return r16.SendLocalList(status=self.got("SendLocalList", kw))

    @on("GetLocalListVersion")
    def local_list_version(self, **kw):
        self.got("GetLocalListVersion", kw)
        return r16.GetLocalListVersion(list_version=3)


class Station201(Recording, ChargePoint201):
    @on("Reset")
    def reset(self, **kw):
        return r201.Reset(status=self.got("Reset", kw))

    @on("RequestStartTransaction")
    def remote_start(self, **kw):
        return r201.RequestStartTransaction(status=self.got("RequestStartTransaction", kw))

    @on("RequestStopTransaction")
    def remote_stop(self, **kw):
        return r201.RequestStopTransaction(status=self.got("RequestStopTransaction", kw))

    @on("UnlockConnector")
    def unlock(self, **kw):
        return r201.UnlockConnector(status=self.got("UnlockConnector", kw, "Unlocked"))

    @on("ChangeAvailability")
    def availability(self, **kw):
        return r201.ChangeAvailability(status=self.got("ChangeAvailability", kw))

    @on("GetVariables")
    def get_variables(self, **kw):
        self.got("GetVariables", kw)
        return r201.GetVariables(
            get_variable_result=[
                {
                    "attribute_status": "Accepted",
                    "attribute_value": "300",
                    "component": item["component"],
                    "variable": item["variable"],
                }
                for item in kw["get_variable_data"]
            ]
        )

    @on("SetVariables")
    def set_variables(self, **kw):
        status = self.got("SetVariables", kw)
        return r201.SetVariables(
            set_variable_result=[
                {
                    "attribute_status": status,
                    "component": item["component"],
                    "variable": item["variable"],
                }
                for item in kw["set_variable_data"]
            ]
        )

    @on("GetBaseReport")
    def base_report(self, **kw):
        return r201.GetBaseReport(status=self.got("GetBaseReport", kw))

    @on("TriggerMessage")
    def trigger(self, **kw):
        return r201.TriggerMessage(status=self.got("TriggerMessage", kw))

    @on("ClearCache")
    def clear_cache(self, **kw):
        return r201.ClearCache(status=self.got("ClearCache", kw))

    @on("DataTransfer")
    def data_transfer(self, **kw):
        return r201.DataTransfer(status=self.got("DataTransfer", kw))

    @on("UpdateFirmware")
    def update_firmware(self, **kw):
        return r201.UpdateFirmware(status=self.got("UpdateFirmware", kw))

    @on("GetLog")
    def get_log(self, **kw):
        return r201.GetLog(status=self.got("GetLog", kw), filename="diag.zip")

    @on("ReserveNow")
    def reserve_now(self, **kw):
        return r201.ReserveNow(status=self.got("ReserveNow", kw))

    @on("CancelReservation")
    def cancel_reservation(self, **kw):
        return r201.CancelReservation(status=self.got("CancelReservation", kw))

    @on("SetChargingProfile")
    def set_profile(self, **kw):
        return r201.SetChargingProfile(status=self.got("SetChargingProfile", kw))

    @on("ClearChargingProfile")
    def clear_profile(self, **kw):
        return r201.ClearChargingProfile(status=self.got("ClearChargingProfile", kw))

    @on("GetCompositeSchedule")
    def composite(self, **kw):
        return r201.GetCompositeSchedule(status=self.got("GetCompositeSchedule", kw))

    @on("SendLocalList")
    def send_local_list(self, **kw):
        return r201.SendLocalList(status=self.got("SendLocalList", kw))

    @on("GetLocalListVersion")
    def local_list_version(self, **kw):
        self.got("GetLocalListVersion", kw)
        return r201.GetLocalListVersion(version_number=3)
