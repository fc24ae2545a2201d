"""OCPP 2.0.1 / 2.1 requests on the device model, monitoring, transactions, profiles,
customer data and display messages (issue 19): one builder per version-neutral action.

Components and variables are given as a key, `Component[/instance].Variable[/instance]`
(`Component.instance.Variable` and `Variable[instance]` too, e.g.
`DeviceDataCtrlr.ItemsPerMessage[GetReport]`), or as an object with the device model's
field names: `component`, `component_instance`, `evse_id`, `connector_id`, `variable`,
`variable_instance`. Enum values are the spec's,
in its spelling or in snake_case (`full_inventory`). Request ids default to a fresh id
(`send_command` gives the command's id); monitor ids are the station's and only sent
when given.
"""

import re

from stations.ocpp.configuration_keys import key_201
from stations.ocpp.requests import (
    CommandError,
    Request,
    boolean,
    choice,
    integer,
    integers,
    listed,
    require,
    required_int,
    spec_choice,
    spec_choices,
)
from stations.ocpp.requests201 import PURPOSE, request_id

REPORT_BASES = ("ConfigurationInventory", "FullInventory", "SummaryInventory")
COMPONENT_CRITERIA = ("Active", "Available", "Enabled", "Problem")
ATTRIBUTES = ("Actual", "Target", "MinSet", "MaxSet")
MONITOR_TYPES = ("UpperThreshold", "LowerThreshold", "Delta", "Periodic", "PeriodicClockAligned")
MONITORING_BASES = ("All", "FactoryDefault", "HardWiredOnly")
MONITORING_CRITERIA = ("ThresholdMonitoring", "DeltaMonitoring", "PeriodicMonitoring")
LIMIT_SOURCES = ("EMS", "Other", "SO", "CSO")
PROFILE_PURPOSE = {**PURPOSE, "external_constraints": "ChargingStationExternalConstraints"}
OCPP_VERSIONS = ("OCPP12", "OCPP15", "OCPP16", "OCPP20")
TRANSPORTS = ("JSON", "SOAP")
INTERFACES = tuple(f"{kind}{n}" for kind in ("Wired", "Wireless") for n in range(4))
MESSAGE_FORMATS = ("ASCII", "HTML", "URI", "UTF8")
PRIORITIES = ("AlwaysFront", "InFront", "NormalCycle")
MESSAGE_STATES = ("Charging", "Faulted", "Idle", "Unavailable")
ID_TOKEN_TYPES = (
    "Central",
    "eMAID",
    "ISO14443",
    "ISO15693",
    "KeyCode",
    "Local",
    "MacAddress",
    "NoAuthorization",
)
_BRACKETED = re.compile(r"^(?P<name>[^\[\]]+)\[(?P<instance>[^\[\]]+)\]$")


def _named(text: str) -> tuple[str, str | None]:
    """`Name`, `Name/instance` or `Name[instance]` to (name, instance)."""
    match = _BRACKETED.match(text)
    if match:
        return match["name"], match["instance"]
    name, _, instance = text.partition("/")
    return name, instance or None


def _split_variable(text: str) -> tuple[str, str, str]:
    """Split at the last dot outside brackets (a variable instance may hold dots)."""
    depth = 0
    for index in range(len(text) - 1, -1, -1):
        char = text[index]
        depth += {"]": 1, "[": -1}.get(char, 0)
        if char == "." and depth == 0:
            return text[:index], ".", text[index + 1 :]
    return text, "", ""


def component_variable(item, field: str, variable_required: bool = True) -> dict:
    """A key or an object (see the module's doc) as 2.0.1 component and variable."""
    if isinstance(item, dict):
        if not item.get("component"):
            raise CommandError("Missing parameters.", {field: "Give the component's name."})
        component = {"name": str(item["component"]), "instance": item.get("component_instance")}
        if item.get("evse_id") is not None:
            component["evse"] = {
                "id": integer(item, "evse_id"),
                "connector_id": integer(item, "connector_id"),
            }
        variable = None
        if item.get("variable"):
            variable = {"name": str(item["variable"]), "instance": item.get("variable_instance")}
    else:
        text = str(item or "")
        head, dot, tail = _split_variable(text)
        if not dot and variable_required:
            raise CommandError(
                "Invalid parameter.",
                {field: "Use Component.Variable, e.g. OCPPCommCtrlr.HeartbeatInterval."},
            )
        name, instance = _named(head)
        if instance is None and "." in name:  # Component.instance.Variable
            name, instance = name.split(".", 1)
        component = {"name": name, "instance": instance}
        variable = None
        if dot:
            variable_name, variable_instance = _named(tail)
            variable = {"name": variable_name, "instance": variable_instance}
    if variable is None and variable_required:
        raise CommandError("Missing parameters.", {field: "Give the variable's name."})
    return {"component": component, "variable": variable}


def scoped(item: dict, params: dict) -> dict:
    """A key's component on the EVSE of `evse_id` (and connector `evse_connector_id`,
    set with `connector_id`), unless the key names its own EVSE."""
    if params.get("evse_id") in (None, "", 0) or item["component"].get("evse"):
        return item
    evse = {"id": integer(params, "evse_id")}
    if params.get("evse_connector_id") not in (None, ""):
        evse["connector_id"] = integer(params, "evse_connector_id")
    item["component"]["evse"] = evse
    return item


def component_variables(params: dict, name: str) -> list[dict] | None:
    items = listed(params, name)
    if items is None:
        return None
    return [component_variable(item, f"{name}.{n}", False) for n, item in enumerate(items)]


def variable_settings(params: dict) -> list[dict]:
    """`variables`: [{key or component/variable..., value, attribute_type}] or {key: value}."""
    items = params.get("variables")
    if isinstance(items, dict):
        items = [{"key": key, "value": value} for key, value in items.items()]
    if not items or not isinstance(items, list):
        raise CommandError(
            "Missing parameters.", {"variables": "Give at least one variable and its value."}
        )
    data = []
    for number, item in enumerate(items):
        field = f"variables.{number}"
        if not isinstance(item, dict) or item.get("value") in (None,):
            raise CommandError("Missing parameters.", {f"{field}.value": "Give the value."})
        where = item.get("key") if item.get("key") else item
        data.append(
            {
                "attribute_type": spec_choice(item, "attribute_type", ATTRIBUTES),
                "attribute_value": str(item["value"]),
                **component_variable(where, f"{field}.key"),
            }
        )
    return data


def monitors(params: dict) -> list[dict]:
    """`monitors`: [{key or component/variable..., type, value, severity, id, transaction}]."""
    items = params.get("monitors")
    if not items or not isinstance(items, list):
        raise CommandError("Missing parameters.", {"monitors": "Give at least one monitor."})
    data = []
    for number, item in enumerate(items):
        field = f"monitors.{number}"
        if not isinstance(item, dict):
            raise CommandError("Invalid parameter.", {field: "Must be an object."})
        missing = [name for name in ("type", "value", "severity") if item.get(name) is None]
        if missing:
            raise CommandError(
                "Missing parameters.", {f"{field}.{name}": "Required." for name in missing}
            )
        try:
            value = float(item["value"])
        except (TypeError, ValueError):
            raise CommandError(
                "Invalid parameter.", {f"{field}.value": "Must be a number."}
            ) from None
        severity = integer(item, "severity")
        if not 0 <= severity <= 9:
            raise CommandError("Invalid parameter.", {f"{field}.severity": "Must be 0 to 9."})
        data.append(
            {
                "id": integer(item, "id"),
                "transaction": boolean(item, "transaction"),
                "value": value,
                "type": spec_choice(item, "type", MONITOR_TYPES),
                "severity": severity,
                **component_variable(item.get("key") or item, f"{field}.key"),
            }
        )
    return data


def network_profile(p: dict) -> dict:
    (url,) = require(p, "csms_url")
    return {
        "ocpp_version": spec_choice(p, "ocpp_version", OCPP_VERSIONS, "OCPP20"),
        "ocpp_transport": spec_choice(p, "ocpp_transport", TRANSPORTS, "JSON"),
        "ocpp_csms_url": str(url),
        "message_timeout": integer(p, "message_timeout", 30),
        "security_profile": required_int(p, "security_profile"),
        "ocpp_interface": spec_choice(p, "ocpp_interface", INTERFACES, "Wired0"),
        "apn": p.get("apn"),
        "vpn": p.get("vpn"),
    }


def message_contents(p: dict) -> list[dict]:
    """`message` (the text) with `format` and `language`, or `messages`: [{content, ...}]."""
    items = p.get("messages")
    if items is None and p.get("message") is not None:
        items = [{"content": p["message"], **{k: p.get(k) for k in ("format", "language")}}]
    if not items or not isinstance(items, list):
        raise CommandError("Missing parameters.", {"message": "Give the message's text."})
    contents = []
    for number, item in enumerate(items):
        field = f"messages.{number}"
        if not isinstance(item, dict) or item.get("content") in (None, ""):
            raise CommandError("Missing parameters.", {f"{field}.content": "Give the text."})
        contents.append(
            {
                "format": spec_choice(
                    {**item, "format": item.get("format") or "UTF8"}, "format", MESSAGE_FORMATS
                ),
                "language": item.get("language"),
                "content": str(item["content"]),
            }
        )
    return contents


def builders(call) -> dict:
    """The builders for a 2.x `call` module; 2.1 adds extra languages to display messages."""
    version = "2.1" if call.__name__.startswith("ocpp.v21") else "2.0.1"

    def get_configuration(p):
        """Variables by key (GetVariables) or a base report (GetBaseReport)."""
        keys = listed(p, "keys")
        if not keys:  # the whole device model, reported by NotifyReport
            return get_base_report({"report_base": "FullInventory", **p})
        data = []
        for number, key in enumerate(keys):
            item = scoped(component_variable(key_201(key), f"keys.{number}"), p)
            item["attribute_type"] = spec_choice(p, "attribute_type", ATTRIBUTES)
            data.append(item)
        return Request(call.GetVariables(get_variable_data=data))

    def set_configuration(p):
        """One variable: a 1.6 key (configuration_keys.py) or a 2.x key or object."""
        key, value = require(p, "key", "value")
        item = scoped(component_variable(key_201(key), "key"), p)
        setting = {
            "attribute_type": spec_choice(p, "attribute_type", ATTRIBUTES),
            "attribute_value": str(value),
        }
        return Request(call.SetVariables(set_variable_data=[{**setting, **item}]))

    def get_base_report(p):
        return Request(
            call.GetBaseReport(
                request_id=request_id(p),
                report_base=spec_choice(p, "report_base", REPORT_BASES, "FullInventory"),
            ),
            expects=("NotifyReport",),
        )

    def get_report(p):
        return Request(
            call.GetReport(
                request_id=request_id(p),
                component_variable=component_variables(p, "component_variables"),
                component_criteria=spec_choices(p, "criteria", COMPONENT_CRITERIA),
            ),
            expects=("NotifyReport",),
        )

    def get_monitoring_report(p):
        criteria = [
            c if str(c).endswith(("Monitoring", "_monitoring")) else f"{c}_monitoring"
            for c in listed(p, "criteria") or []
        ]
        return Request(
            call.GetMonitoringReport(
                request_id=request_id(p),
                component_variable=component_variables(p, "component_variables"),
                monitoring_criteria=spec_choices(
                    {"criteria": criteria}, "criteria", MONITORING_CRITERIA
                ),
            ),
            expects=("NotifyMonitoringReport",),
        )

    def get_charging_profiles(p):
        criterion = {
            "charging_profile_purpose": choice(p, "purpose", {None: None, **PROFILE_PURPOSE}),
            "stack_level": integer(p, "stack_level"),
            "charging_profile_id": integers(p, "profile_ids"),
            "charging_limit_source": spec_choices(p, "sources", LIMIT_SOURCES),
        }
        return Request(
            call.GetChargingProfiles(
                request_id=request_id(p),
                evse_id=integer(p, "evse_id"),
                charging_profile=criterion,
            ),
            expects=("ReportChargingProfiles",),
        )

    def customer_information(p):
        report, clear = boolean(p, "report", True), boolean(p, "clear", False)
        if not (report or clear):
            raise CommandError(
                "Invalid parameters.", {"report": "Ask for a report, a clear or both."}
            )
        token = None
        if p.get("id_token"):
            token = {
                "id_token": str(p["id_token"]),
                "type": spec_choice(p, "id_token_type", ID_TOKEN_TYPES, "ISO14443"),
            }
        certificate = p.get("customer_certificate")
        if not (token or certificate or p.get("customer_identifier")):
            raise CommandError(
                "Missing parameters.",
                {
                    "customer_identifier": "Give customer_identifier, id_token or "
                    "customer_certificate."
                },
            )
        return Request(
            call.CustomerInformation(
                request_id=request_id(p),
                report=report,
                clear=clear,
                customer_identifier=p.get("customer_identifier") or None,
                id_token=token,
                customer_certificate=certificate,
            ),
            expects=("NotifyCustomerInformation",),
        )

    def set_display_message(p):
        first, *extra = message_contents(p)
        if extra and version != "2.1":
            raise CommandError(
                f"OCPP {version} carries one message text per display message.",
                {
                    "messages": f"One text for OCPP {version} stations; send one display "
                    "message (its own id) per language."
                },
            )
        info = {
            "id": required_int(p, "id"),
            "priority": spec_choice(p, "priority", PRIORITIES, "NormalCycle"),
            "state": spec_choice(p, "state", MESSAGE_STATES),
            "start_date_time": p.get("start_date_time"),
            "end_date_time": p.get("end_date_time"),
            "transaction_id": str(p["transaction_id"]) if p.get("transaction_id") else None,
            "message": first,
        }
        if extra:
            info["message_extra"] = extra
        if p.get("display"):
            info["display"] = component_variable(p["display"], "display", False)["component"]
        return Request(call.SetDisplayMessage(message=info))

    return {
        "get_configuration": get_configuration,
        "set_configuration": set_configuration,
        "get_base_report": get_base_report,
        "get_report": get_report,
        "set_variables": lambda p: Request(
            call.SetVariables(set_variable_data=variable_settings(p))
        ),
        "set_network_profile": lambda p: Request(
            call.SetNetworkProfile(
                configuration_slot=required_int(p, "configuration_slot"),
                connection_data=network_profile(p),
            )
        ),
        "get_transaction_status": lambda p: Request(
            call.GetTransactionStatus(
                transaction_id=str(p["transaction_id"]) if p.get("transaction_id") else None
            )
        ),
        "get_charging_profiles": get_charging_profiles,
        "set_variable_monitoring": lambda p: Request(
            call.SetVariableMonitoring(set_monitoring_data=monitors(p))
        ),
        "set_monitoring_base": lambda p: Request(
            call.SetMonitoringBase(
                monitoring_base=spec_choice({"base": "All", **p}, "base", MONITORING_BASES)
            )
        ),
        "set_monitoring_level": lambda p: Request(call.SetMonitoringLevel(severity=severity(p))),
        "clear_variable_monitoring": lambda p: Request(
            call.ClearVariableMonitoring(id=monitor_ids(p))
        ),
        "get_monitoring_report": get_monitoring_report,
        "customer_information": customer_information,
        "set_display_message": set_display_message,
        "get_display_messages": lambda p: Request(
            call.GetDisplayMessages(
                request_id=request_id(p),
                id=integers(p, "ids"),
                priority=spec_choice(p, "priority", PRIORITIES),
                state=spec_choice(p, "state", MESSAGE_STATES),
            ),
            expects=("NotifyDisplayMessages",),
        ),
        "clear_display_message": lambda p: Request(
            call.ClearDisplayMessage(id=required_int(p, "id"))
        ),
    }


def severity(p: dict) -> int:
    value = required_int(p, "severity")
    if not 0 <= value <= 9:
        raise CommandError("Invalid parameter.", {"severity": "Must be 0 to 9."})
    return value


def monitor_ids(p: dict) -> list[int]:
    ids = integers(p, "ids")
    if not ids:
        raise CommandError("Missing parameters.", {"ids": "Give the monitors' ids."})
    return ids
