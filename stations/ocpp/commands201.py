"""What OCPP 2.0.1 / 2.1 adapters add to commands: requests and reading answers."""

from ocpp.v201 import call

from stations.ocpp.calls import ACCEPTED_ANSWERS
from stations.ocpp.payloads import snake_case
from stations.ocpp.requests201 import builders


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


class V201Commands:
    request_builders = builders(call)

    def answer_accepted(self, response: dict) -> bool:
        results = response.get("setVariableResult")
        if results is not None:  # SetVariables answers per variable
            return all(r.get("attributeStatus") in ACCEPTED_ANSWERS for r in results)
        status = response.get("status")
        return status is None or status in ACCEPTED_ANSWERS

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
