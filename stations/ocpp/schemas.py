"""The OCPP JSON schemas the `ocpp` library ships, with validators of our own.

The library caches one validator per schema whatever number type it was loaded with,
so a caller loading a 1.6 `multipleOf: 0.1` schema with floats breaks the next caller
using Decimals (ocpp/messages.py). ChargeNet keeps its own cache: schemas with decimal
steps load with Decimal, and so do the payloads checked against them.

Every frame is checked, so a compiled validator (jsonschema-rs) answers first; only
a payload it finds invalid is checked again by jsonschema, whose errors name the
field and kind that the CallError reports. jsonschema-rs is the stricter of the two
(it also checks formats), so it never lets through what jsonschema would refuse.
"""

import functools
import json
from decimal import Decimal
from pathlib import Path

import jsonschema_rs
import ocpp
from jsonschema import Draft4Validator
from jsonschema.exceptions import ValidationError, best_match

_DIRS = {"1.6": "v16", "2.0.1": "v201", "2.1": "v21"}
_ROOT = Path(ocpp.__file__).parent


@functools.cache
def _validator(version: str, name: str) -> tuple[Draft4Validator, bool]:
    text = (_ROOT / _DIRS[version] / "schemas" / f"{name}.json").read_text("utf-8-sig")
    decimal = '"multipleOf"' in text
    schema = json.loads(text, parse_float=Decimal if decimal else float)
    return Draft4Validator(schema), decimal


@functools.cache
def _fast_validator(version: str, name: str) -> jsonschema_rs.Draft4Validator:
    text = (_ROOT / _DIRS[version] / "schemas" / f"{name}.json").read_text("utf-8-sig")
    return jsonschema_rs.Draft4Validator(json.loads(text))


def _name(version: str, action: str, response: bool) -> str:
    if response:
        return f"{action}Response"
    return action if version == "1.6" else f"{action}Request"


def schema(version: str, action: str, response: bool = False) -> dict:
    """A message's JSON schema (raises OSError for an action the version lacks)."""
    return _validator(version, _name(version, action, response))[0].schema


def first_error(
    version: str, action: str, payload: dict, response: bool = False
) -> ValidationError | None:
    """The most relevant schema error of a request (or response) payload, or None."""
    name = _name(version, action, response)
    if _fast_validator(version, name).is_valid(payload):
        return None
    validator, decimal = _validator(version, name)
    if decimal:
        payload = json.loads(json.dumps(payload), parse_float=Decimal)
    return best_match(validator.iter_errors(payload))
