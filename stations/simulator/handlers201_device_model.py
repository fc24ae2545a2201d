"""How a simulated OCPP 2.0.1 station answers device-model calls.

GetVariables, SetVariables, GetBaseReport (answered by NotifyReport from an `@after`
hook), ClearCache and DataTransfer; the variables are `SimulatedStation201.variables`.
"""

import logging

from ocpp.routing import after, on
from ocpp.v201 import call, call_result
from ocpp.v201.enums import Action

from stations.simulator.state import now_iso

logger = logging.getLogger("stations.simulator")


def _variable_key(item: dict) -> tuple[str, str]:
    return (item["component"]["name"], item["variable"]["name"])


class DeviceModelHandlers201:
    """Mixed into `CsmsHandlers201`: the device-model handlers."""

    @on(Action.get_variables)
    def on_get_variables(self, get_variable_data, **kwargs):
        results = []
        for item in get_variable_data:
            result = {"component": item["component"], "variable": item["variable"]}
            entry = self.variables.get(_variable_key(item))
            if item.get("attribute_type", "Actual") != "Actual":
                result["attribute_status"] = "NotSupportedAttributeType"
            elif entry is None:
                known = {component for component, _ in self.variables}
                component = item["component"]["name"]
                result["attribute_status"] = (
                    "UnknownVariable" if component in known else "UnknownComponent"
                )
            else:
                result["attribute_status"] = "Accepted"
                result["attribute_value"] = entry[0]
            results.append(result)
        return call_result.GetVariables(get_variable_result=results)

    @on(Action.set_variables)
    def on_set_variables(self, set_variable_data, **kwargs):
        results = []
        for item in set_variable_data:
            key = _variable_key(item)
            status = self._set_variable(key, item["attribute_value"], item.get("attribute_type"))
            results.append(
                {
                    "attribute_status": status,
                    "component": item["component"],
                    "variable": item["variable"],
                }
            )
        return call_result.SetVariables(set_variable_result=results)

    def _set_variable(self, key: tuple[str, str], value: str, attribute_type) -> str:
        entry = self.variables.get(key)
        if attribute_type not in (None, "Actual"):
            return "NotSupportedAttributeType"
        if entry is None:
            known = {component for component, _ in self.variables}
            return "UnknownVariable" if key[0] in known else "UnknownComponent"
        if entry[1]:
            return "Rejected"
        if entry[2] == "integer":
            try:
                number = int(value)
            except ValueError:
                return "Rejected"
            if number < 0:
                return "Rejected"
            value = str(number)
            if key == ("OCPPCommCtrlr", "HeartbeatInterval"):
                self._set_heartbeat(number)
            elif key == ("SampledDataCtrlr", "TxUpdatedInterval") and number > 0:
                self.meter_interval = float(number)
        elif entry[2] == "boolean":
            if value.lower() not in ("true", "false"):
                return "Rejected"
            value = value.lower()
        entry[0] = value
        logger.info("%s: %s.%s = %s", self.id, key[0], key[1], value)
        return "Accepted"

    @on(Action.get_base_report)
    def on_get_base_report(self, request_id, report_base, **kwargs):
        return call_result.GetBaseReport(status="Accepted")

    @after(Action.get_base_report)
    def after_get_base_report(self, request_id, report_base, **kwargs):
        self._spawn(self._notify_report(request_id, report_base))

    def _report_data(self, report_base: str) -> list[dict]:
        data = []
        for (component, variable), (value, read_only, data_type) in self.variables.items():
            if report_base == "ConfigurationInventory" and read_only:
                continue
            if report_base == "SummaryInventory" and variable != "AvailabilityState":
                continue
            data.append(
                {
                    "component": {"name": component},
                    "variable": {"name": variable},
                    "variable_attribute": [
                        {
                            "type": "Actual",
                            "value": value,
                            "mutability": "ReadOnly" if read_only else "ReadWrite",
                        }
                    ],
                    "variable_characteristics": {
                        "data_type": data_type,
                        "supports_monitoring": False,
                    },
                }
            )
        return data

    async def _notify_report(self, request_id: int, report_base: str) -> None:
        data = self._report_data(report_base)
        parts = [data[i : i + 10] for i in range(0, len(data), 10)] or [[]]
        for seq_no, part in enumerate(parts):
            await self._notify(
                call.NotifyReport(
                    request_id=request_id,
                    generated_at=now_iso(),
                    seq_no=seq_no,
                    report_data=part or None,
                    tbc=seq_no < len(parts) - 1,
                )
            )

    @on(Action.clear_cache)
    def on_clear_cache(self, **kwargs):
        return call_result.ClearCache(status="Accepted")

    @on(Action.data_transfer)
    def on_data_transfer(self, vendor_id, **kwargs):
        return call_result.DataTransfer(status="UnknownVendorId")
