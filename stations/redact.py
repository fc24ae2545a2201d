"""Secrets never reach the message log, command records or the console."""

import json

MASK = "********"
# Configuration keys / device-model variables that hold a station's password.
SECRET_KEYS = frozenset({"AuthorizationKey", "BasicAuthPassword"})


def is_secret(key: str) -> bool:
    return str(key).rpartition(".")[2] in SECRET_KEYS


def command_params(action: str, params: dict) -> dict:
    """Params as stored: a password sent by set_configuration or rotate_password is masked."""
    if action == "set_configuration" and is_secret(params.get("key", "")):
        return {**params, "value": MASK}
    if "password" in params:  # rotate_password
        return {**params, "password": MASK}
    return params


def frame(text: str) -> str:
    """An outgoing frame as logged: password values inside it masked."""
    if not any(key in text for key in SECRET_KEYS):
        return text
    message = json.loads(text)
    payload = message[3] if message[0] == 2 else {}
    if payload.get("key") in SECRET_KEYS:  # 1.6 ChangeConfiguration
        payload["value"] = MASK
    for item in payload.get("setVariableData", []):  # 2.0.1 SetVariables
        if item.get("variable", {}).get("name") in SECRET_KEYS:
            item["attributeValue"] = MASK
    return json.dumps(message, separators=(",", ":"))
