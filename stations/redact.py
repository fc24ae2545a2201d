"""Secrets never reach the message log, command records or the console."""

import json

MASK = "********"
# Configuration keys / device-model variables that hold a station's password.
SECRET_KEYS = frozenset({"AuthorizationKey", "BasicAuthPassword"})
# A network profile's passwords (set_network_profile): (object, field), snake_case.
NETWORK_SECRETS = (("apn", "apn_password"), ("vpn", "password"))


def is_secret(key: str) -> bool:
    return str(key).rpartition(".")[2] in SECRET_KEYS


def command_params(action: str, params: dict) -> dict:
    """Params as stored: a password sent by set_configuration or rotate_password is masked."""
    if action == "set_configuration" and is_secret(params.get("key", "")):
        return {**params, "value": MASK}
    if "password" in params:  # rotate_password
        return {**params, "password": MASK}
    if action == "set_variables" and params.get("variables"):
        return {**params, "variables": _masked_variables(params["variables"])}
    if action == "set_network_profile":
        masked = dict(params)
        for name, secret in NETWORK_SECRETS:
            if isinstance(params.get(name), dict) and secret in params[name]:
                masked[name] = {**params[name], secret: MASK}
        return masked
    return params


def _masked_variables(variables):
    """set_variables' items ({key: value} or [{key or variable, value}]), secrets masked."""
    if isinstance(variables, dict):
        return {key: MASK if is_secret(key) else value for key, value in variables.items()}
    masked = []
    for item in variables if isinstance(variables, list) else []:
        if isinstance(item, dict) and is_secret(item.get("key") or item.get("variable") or ""):
            item = {**item, "value": MASK}
        masked.append(item)
    return masked


def frame(text: str) -> str:
    """An outgoing frame as logged: password values inside it masked."""
    if not any(key in text for key in (*SECRET_KEYS, "connectionData")):
        return text
    message = json.loads(text)
    payload = message[3] if message[0] == 2 else {}
    connection = payload.get("connectionData") if isinstance(payload, dict) else None
    for name, secret in (("apn", "apnPassword"), ("vpn", "password")):  # SetNetworkProfile
        if isinstance(connection, dict) and secret in (connection.get(name) or {}):
            connection[name][secret] = MASK
    if payload.get("key") in SECRET_KEYS:  # 1.6 ChangeConfiguration
        payload["value"] = MASK
    for item in payload.get("setVariableData", []):  # 2.0.1 SetVariables
        if item.get("variable", {}).get("name") in SECRET_KEYS:
            item["attributeValue"] = MASK
    return json.dumps(message, separators=(",", ":"))
