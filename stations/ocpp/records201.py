"""OCPP 2.0.1 / 2.1 answers and reports read as the rows they leave (version-neutral
records, see stations/station_data/results.py): monitors, display messages,
installed certificates, variables set."""

from stations.metering import parse_timestamp
from stations.ocpp.payloads import snake_case

# The spec's certificate types as ChargeNet names them (neutral, snake_case).
CERTIFICATE_TYPES = {
    "V2GRootCertificate": "v2g_root_certificate",
    "MORootCertificate": "mo_root_certificate",
    "CSMSRootCertificate": "csms_root_certificate",
    "ManufacturerRootCertificate": "manufacturer_root_certificate",
    "V2GCertificateChain": "v2g_certificate_chain",
}


def component_fields(component: dict, variable: dict) -> dict:
    """A 2.0.1 component and variable (snake_case keys) as device-model fields."""
    evse = component.get("evse") or {}
    return {
        "component": component["name"],
        "component_instance": component.get("instance") or "",
        "evse_id": evse.get("id", 0),
        "connector_id": evse.get("connector_id", 0),
        "variable": variable["name"],
        "variable_instance": variable.get("instance") or "",
    }


def monitor_fields(component: dict, variable: dict, monitor: dict) -> dict:
    return {
        "monitor_id": int(monitor["id"]),
        **component_fields(component, variable),
        "type": monitor["type"],
        "value": float(monitor["value"]),
        "severity": int(monitor["severity"]),
        "transaction": bool(monitor.get("transaction", False)),
    }


def reported_monitors(monitor_data: list[dict] | None) -> list[dict]:
    """NotifyMonitoringReport's `monitor` list (snake_case) as monitor rows."""
    return [
        monitor_fields(item["component"], item["variable"], monitor)
        for item in monitor_data or []
        for monitor in item.get("variable_monitoring") or []
    ]


def message_fields(info: dict) -> dict:
    """A MessageInfoType (snake_case) as a display-message row."""
    contents = [info["message"], *(info.get("message_extra") or [])]
    return {
        "message_id": int(info["id"]),
        "priority": info["priority"],
        "state": info.get("state") or "",
        "starts_at": parse_timestamp(info.get("start_date_time")),
        "ends_at": parse_timestamp(info.get("end_date_time")),
        "transaction_id": info.get("transaction_id") or "",
        "contents": [
            {
                "format": text.get("format", ""),
                "language": text.get("language") or "",
                "content": text.get("content", ""),
            }
            for text in contents
        ],
        "display": info.get("display"),
    }


def _same_place(a: dict, b: dict) -> bool:
    keys = ("component", "variable")
    return all(snake_case(a.get(k)) == snake_case(b.get(k)) for k in keys)


def _monitors_set(request: dict, response: dict) -> list[dict]:
    """Accepted SetMonitoringResult items, each with the value of the item it answers
    (the result repeats the place, type and severity; the value only the request has)."""
    asked = list(snake_case(request.get("setMonitoringData") or []))
    rows, used = [], set()
    for index, result in enumerate(snake_case(response.get("setMonitoringResult") or [])):
        if result.get("status") != "Accepted" or result.get("id") is None:
            continue

        def answers(n, result=result):
            item = asked[n]
            return (
                n not in used
                and _same_place(item, result)
                and item.get("type") == result.get("type")
                and item.get("severity") == result.get("severity")
            )

        matches = [n for n in ([index] if index < len(asked) else []) if answers(n)]
        matches = matches or [n for n in range(len(asked)) if answers(n)]
        if not matches:
            continue
        used.add(matches[0])
        item = asked[matches[0]]
        rows.append(monitor_fields(result["component"], result["variable"], {**item, **result}))
    return rows


def _certificates(response: dict) -> list[dict]:
    certificates = []
    for chain in snake_case(response.get("certificateHashDataChain") or []):
        certificates.append(
            {
                "certificate_type": CERTIFICATE_TYPES.get(chain["certificate_type"], ""),
                **chain["certificate_hash_data"],
                "children": chain.get("child_certificate_hash_data") or [],
            }
        )
    return certificates


def _variables_set(request: dict, response: dict) -> list[dict]:
    """Accepted SetVariableResult items as device-model rows with the value sent."""
    values = {}
    for item in snake_case(request.get("setVariableData") or []):
        where = component_fields(item["component"], item["variable"])
        key = (tuple(where.values()), item.get("attribute_type") or "Actual")
        values[key] = item["attribute_value"]
    rows = []
    for result in snake_case(response.get("setVariableResult") or []):
        if result.get("attribute_status") != "Accepted":
            continue
        where = component_fields(result["component"], result["variable"])
        kind = result.get("attribute_type") or "Actual"
        value = values.get((tuple(where.values()), kind))
        if value is not None:
            rows.append({**where, "attribute_type": kind, "value": str(value)})
    return rows


def command_records(action: str, request: dict, response: dict) -> dict:
    """The rows a 2.x answer to `action` (request and response as sent, camelCase)
    leaves, as version-neutral records."""
    status = response.get("status")
    if action == "SetVariables":
        return {"configuration": _variables_set(request, response)}
    if action == "SetVariableMonitoring":
        return {"monitors_set": _monitors_set(request, response)}
    if action == "ClearVariableMonitoring":
        cleared = [
            r["id"]
            for r in response.get("clearMonitoringResult") or []
            if r.get("status") in ("Accepted", "NotFound")
        ]
        return {"monitors_cleared": cleared}
    if action == "GetMonitoringReport" and status == "EmptyResultSet":
        unfiltered = not request.get("monitoringCriteria") and not request.get("componentVariable")
        return {"monitors_none": unfiltered}
    if action == "SetDisplayMessage" and status == "Accepted":
        return {"display_messages_set": [message_fields(snake_case(request["message"]))]}
    if action == "ClearDisplayMessage" and status in ("Accepted", "Unknown"):
        return {"display_messages_cleared": [request["id"]]}
    if action == "GetDisplayMessages" and status == "Unknown":
        unfiltered = not any(request.get(k) for k in ("id", "priority", "state"))
        return {"display_messages_none": unfiltered}
    if action == "GetInstalledCertificateIds" and status in ("Accepted", "NotFound"):
        types = request.get("certificateType")
        return {
            "certificates_listed": {
                "certificate_types": [CERTIFICATE_TYPES.get(t, t) for t in types]
                if types
                else None,
                "certificates": _certificates(response) if status == "Accepted" else [],
            }
        }
    if action == "InstallCertificate" and status == "Accepted":
        return {
            "certificate_installed": {
                "certificate_type": CERTIFICATE_TYPES.get(request["certificateType"], ""),
                "certificate": request["certificate"],
            }
        }
    if action == "DeleteCertificate" and status in ("Accepted", "NotFound"):
        return {"certificate_deleted": snake_case(request["certificateHashData"])}
    return {}
