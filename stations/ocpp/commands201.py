"""What OCPP 2.0.1 / 2.1 adapters add to commands: requests and reading answers."""

from decimal import Decimal, InvalidOperation

from ocpp.v201 import call

from stations.ocpp import records201, requests201, requests201_device, requests201_security
from stations.ocpp.payloads import snake_case
from stations.ocpp.records201 import component_fields
from stations.ocpp.requests import CommandError, Request, require

__all__ = ["V201Commands", "builders_for", "component_fields", "cost_builders"]


def cost_builders(call) -> dict:
    """cost_updated: a running session's cost so far, taxes included, for the station
    to show (CostUpdated; 2.x only). Params: transaction_id, total_cost (a decimal
    string or number in the tariff's currency)."""

    def cost_updated(p):
        transaction_id, total = require(p, "transaction_id", "total_cost")
        try:
            amount = Decimal(str(total))
        except InvalidOperation:
            raise CommandError("Invalid parameter.", {"total_cost": "Must be a number."}) from None
        if not amount.is_finite():
            raise CommandError("Invalid parameter.", {"total_cost": "Must be a number."})
        return Request(
            call.CostUpdated(total_cost=float(amount), transaction_id=str(transaction_id))
        )

    return {"cost_updated": cost_updated}


def builders_for(call) -> dict:
    """Every 2.x builder for a `call` module (2.0.1 and 2.1 share these messages).

    The device and security modules' get_configuration, update_firmware and
    get_diagnostics take more parameters and replace requests201's.
    """
    return {
        **requests201.builders(call),
        **requests201_device.builders(call),
        **requests201_security.builders(call),
        **cost_builders(call),
    }


class V201Commands:
    request_builders = builders_for(call)

    def command_records(self, action: str, request: dict, response: dict) -> dict:
        return records201.command_records(action, request, response)

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
