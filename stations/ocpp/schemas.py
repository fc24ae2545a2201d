"""The OCPP JSON schemas the `ocpp` library ships, with validators of our own.

The schemas are the library's; validation is ChargeNet's, once per frame. Schemas
with decimal steps (1.6's `multipleOf: 0.1`) load with Decimal, and so do the payloads
checked against them (the library's own validation caches one validator per schema
whatever number type it was loaded with, so floats and Decimals break each other).

Every frame is checked, so a compiled validator (jsonschema-rs, one per message and
version, built on first use) answers first; only a payload it finds invalid is
checked again by jsonschema, whose errors name the field and kind that the CallError
reports. jsonschema-rs is the stricter of the two (it also checks formats), so it
never lets through what jsonschema would refuse.
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


def _text(version: str, action: str, response: bool) -> str:
    name = action if version == "1.6" else f"{action}Request"
    if response:
        name = f"{action}Response"
    return (_ROOT / _DIRS[version] / "schemas" / f"{name}.json").read_text("utf-8-sig")


@functools.cache
def _validator(version: str, action: str, response: bool) -> tuple[Draft4Validator, bool]:
    text = _text(version, action, response)
    decimal = '"multipleOf"' in text
    schema = json.loads(text, parse_float=Decimal if decimal else float)
    return Draft4Validator(schema), decimal


@functools.cache
def _fast_validator(version: str, action: str, response: bool) -> jsonschema_rs.Draft4Validator:
    """The compiled validator of a message, built on its first use in the process."""
    return jsonschema_rs.Draft4Validator(json.loads(_text(version, action, response)))


def schema(version: str, action: str, response: bool = False) -> dict:
    """A message's JSON schema (raises OSError for an action the version lacks)."""
    return _validator(version, action, response)[0].schema


def first_error(
    version: str, action: str, payload: dict, response: bool = False
) -> ValidationError | None:
    """The most relevant schema error of a request (or response) payload, or None."""
    try:
        if _fast_validator(version, action, response).is_valid(payload):
            return None
    except UnicodeEncodeError:
        pass  # a lone surrogate: the compiled validator reads UTF-8 only; ours decides
    validator, decimal = _validator(version, action, response)
    if decimal:
        payload = json.loads(json.dumps(payload), parse_float=Decimal)
    return best_match(validator.iter_errors(payload))
