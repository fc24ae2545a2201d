"""What OCPP 2.0.1 / 2.1 adapters add to commands: requests and reading answers."""

from ocpp.v201 import call

from stations.ocpp import requests201, requests201_device, requests201_security
from stations.ocpp.payloads import snake_case


def component_fields(component: dict, variable: dict) -> dict:
    """A 2.0.1 component and variable (snake_case keys) as device-model fields."""
    evse = component.get("evse") or {}
    return {
        "component": component["name"],
        "component_instance": component.get("instance", ""),
        "evse_id": evse.get("id", 0),
        "connector_id": evse.get("connector_id", 0),
        "variable": variable["name"],
        "variable_instance": variable.get("instance", ""),
    }


def builders_for(call) -> dict:
    """Every 2.x builder for a `call` module (2.0.1 and 2.1 share these messages).

    The device and security modules' get_configuration, update_firmware and
    get_diagnostics take more parameters and replace requests201's.
    """
    return {
        **requests201.builders(call),
        **requests201_device.builders(call),
        **requests201_security.builders(call),
    }


class V201Commands:
    request_builders = builders_for(call)

    def configuration_rows(self, response: dict) -> list[dict]:
        rows = []
        for result in snake_case(response.get("getVariableResult", [])):
            if result.get("attribute_status") != "Accepted":
                continue
            rows.append(
                {
                    **component_fields(result["component"], result["variable"]),
                    "attribute_type": result.get("attribute_type", "Actual"),
                    "value": str(result.get("attribute_value", "")),
                }
            )
        return rows
