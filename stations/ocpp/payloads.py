"""Payload keys between the wire's camelCase and Python's snake_case.

The `ocpp` library's call and call_result dataclasses name their fields in snake_case,
and the handlers take the keys of an incoming payload as keyword arguments in the same
spelling. The conversions are the library's own (so its dataclasses fit, and stations
built on it, the tests' among them, read what ChargeNet writes), but every key name is
converted once per process: the library runs regular expressions and a dozen string
replacements on every key of every frame, and a quarter of a loaded server's CPU went
there, most of it on the same few MeterValues keys.
"""

import functools
import re
from dataclasses import fields, is_dataclass

_WORD_START = re.compile("(.)([A-Z][a-z]+)")
_CAPITAL_AFTER = re.compile("([a-z0-9])([A-Z])(?=\\S)")


@functools.lru_cache(maxsize=4096)
def snake_key(key: str) -> str:
    """`chargePointVendor` -> `charge_point_vendor`, as the library spells it."""
    key = key.replace("ocppCSMSURL", "ocpp_csms_url")
    key = key.replace("V2X", "_v2x").replace("V2G", "_v2g")
    return _CAPITAL_AFTER.sub(r"\1_\2", _WORD_START.sub(r"\1_\2", key)).lower()


@functools.lru_cache(maxsize=4096)
def camel_key(key: str) -> str:
    """`charge_point_vendor` -> `chargePointVendor`, as the library spells it.

    The replacements, in the library's order, give the spec's irregular spellings
    (`SoC`, `CSMS`, `URL`, `V2X`, ...).
    """
    key = key.replace("soc", "SoC").replace("_v2x", "V2X")
    key = key.replace("ocpp_csms_url", "ocppCsmsUrl").replace("csms", "CSMS")
    key = key.replace("_url", "URL")
    key = key.replace("soc", "SoC").replace("_SoCket", "Socket")
    key = key.replace("_v2x", "V2X").replace("soc_limit_reached", "SOCLimitReached")
    key = key.replace("_v2x", "V2X").replace("_v2g", "V2G")
    first, *rest = key.split("_")
    return first + "".join(word[:1].upper() + word[1:] for word in rest)


def snake_case(data):
    """`data` with the keys of all its objects in snake_case."""
    if isinstance(data, dict):
        return {
            snake_key(key): snake_case(value) if isinstance(value, dict | list) else value
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [snake_case(value) if isinstance(value, dict | list) else value for value in data]
    return data


def wire_payload(value):
    """A call or call_result dataclass (or plain data) as the JSON object sent.

    Fields and items that are None are left out (the library's `remove_nones`: an
    optional field not set is absent, not null) and keys turn to camelCase.
    """
    if isinstance(value, str | int | float):
        return value
    if isinstance(value, dict):
        items = value.items()
    elif isinstance(value, list | tuple):
        return [wire_payload(item) for item in value if item is not None]
    elif (names := _field_names(type(value))) is not None:
        items = ((name, getattr(value, name)) for name in names)
    else:
        return value
    return {camel_key(key): wire_payload(item) for key, item in items if item is not None}


@functools.cache
def _field_names(cls: type) -> tuple[str, ...] | None:
    """The field names of a dataclass, None for any other type; found once per class."""
    return tuple(field.name for field in fields(cls)) if is_dataclass(cls) else None


def without_nones(value):
    """`value` without the None fields and items the library's dataclasses drop."""
    if isinstance(value, dict):
        return {key: without_nones(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_nones(item) for item in value if item is not None]
    return value
