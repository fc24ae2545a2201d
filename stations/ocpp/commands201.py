"""What OCPP 2.0.1 / 2.1 adapters add to commands: requests and reading answers."""

from ocpp.v201 import call

from stations.ocpp.calls import ACCEPTED_ANSWERS
from stations.ocpp.requests201 import builders


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
        for result in response.get("getVariableResult", []):
            if result.get("attributeStatus") != "Accepted":
                continue
            component, variable = result["component"], result["variable"]
            evse = component.get("evse") or {}
            rows.append(
                {
                    "component": component["name"],
                    "component_instance": component.get("instance", ""),
                    "evse_id": evse.get("id", 0),
                    "connector_id": evse.get("connectorId", 0),
                    "variable": variable["name"],
                    "variable_instance": variable.get("instance", ""),
                    "attribute_type": result.get("attributeType", "Actual"),
                    "value": str(result.get("attributeValue", "")),
                }
            )
        return rows
