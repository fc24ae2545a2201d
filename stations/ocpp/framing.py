"""OCPP-J framing and payload checks, with each version's own CallError spellings.

Every incoming frame is checked here, and only here: its JSON is parsed once, a Call's
payload is validated once against its JSON schema (`check_payload`, with the compiled
validators of stations/ocpp/schemas.py), and integers ChargeNet stores are checked
against their columns (`check_integers`). A station always gets the CallError its
version's OCPP-J spec names (OCPP-J 1.6 §4.2.3, OCPP-J 2.0.1 §4.2.3 and §4.4), which
the `ocpp` library's own routing did not give: it answers 1.6 stations with 2.0.1
error codes, sends nothing for a frame it cannot parse and blames enum errors on the
format.
"""

import json
import re
from dataclasses import dataclass, replace
from typing import Any

import orjson

from stations.ocpp.schemas import first_error

CALL, CALL_RESULT, CALL_ERROR = 2, 3, 4
# OCPP-J 2.1 only: CALLRESULTERROR answers a CallResult its receiver could not
# process, SEND is a Call that gets no answer. Neither is ever answered (2.1 §4.2.4,
# §4.2.5); 2.0.1 does not have them.
CALL_RESULT_ERROR, SEND = 5, 6
MAX_MESSAGE_ID_LENGTH = 36
#: Arrays and objects nested deeper than this are refused (`too_deep`): Python's JSON
#: parser and the schema validator recurse, and no OCPP message nests a tenth as deep.
MAX_NESTING_DEPTH = 64

# What PostgreSQL cannot store in text or jsonb: NUL, and lone UTF-16 surrogates (a
# `\ud800` escape the JSON parser turns into a character UTF-8 cannot encode).
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
# A frame can only hold them as escapes: `\u0000`, or `\ud8`..`\udf` in either case.
_UNSTORABLE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F])")


@dataclass(frozen=True)
class ErrorCodes:
    """How one OCPP-J version spells each kind of bad input."""

    bad_json: str
    bad_frame: str
    unknown_message_type: str | None  # None: ignore the frame, as 1.6 §4.1.3 says
    missing_field: str
    wrong_type: str
    bad_enum: str
    too_long: str
    too_deep: str
    extra_property: str
    bad_value: str
    unknown_action: str
    unsupported_action: str
    message_id_too_long: str
    frame_too_large: str
    #: Message types of the version that are received but never answered.
    unanswered_message_types: frozenset[int] = frozenset()


ERROR_CODES = {
    "1.6": ErrorCodes(
        bad_json="FormationViolation",
        bad_frame="ProtocolError",
        unknown_message_type=None,
        missing_field="OccurenceConstraintViolation",
        wrong_type="TypeConstraintViolation",
        bad_enum="PropertyConstraintViolation",
        too_long="TypeConstraintViolation",
        too_deep="FormationViolation",
        extra_property="FormationViolation",
        bad_value="PropertyConstraintViolation",
        unknown_action="NotImplemented",
        unsupported_action="NotSupported",
        message_id_too_long="ProtocolError",
        frame_too_large="FormationViolation",
    ),
    "2.0.1": ErrorCodes(
        bad_json="RpcFrameworkError",
        bad_frame="RpcFrameworkError",
        unknown_message_type="MessageTypeNotSupported",
        missing_field="OccurrenceConstraintViolation",
        wrong_type="TypeConstraintViolation",
        bad_enum="PropertyConstraintViolation",
        too_long="FormatViolation",
        too_deep="FormatViolation",
        extra_property="FormatViolation",
        bad_value="PropertyConstraintViolation",
        unknown_action="NotImplemented",
        unsupported_action="NotSupported",
        message_id_too_long="RpcFrameworkError",
        frame_too_large="FormatViolation",
    ),
}
ERROR_CODES["2.1"] = replace(
    ERROR_CODES["2.0.1"], unanswered_message_types=frozenset({CALL_RESULT_ERROR, SEND})
)

_SCHEMA_ERROR_KIND = {
    "required": "missing_field",
    "type": "wrong_type",
    "enum": "bad_enum",
    "maxLength": "too_long",
    # Too few or too many elements of a list break its cardinality: an occurrence
    # constraint, like a missing required field.
    "minItems": "missing_field",
    "maxItems": "missing_field",
    "additionalProperties": "extra_property",
}


@dataclass(frozen=True)
class Call:
    unique_id: str
    action: str
    payload: dict


@dataclass(frozen=True)
class Reply:
    """A CallResult or CallError answering one of ChargeNet's own calls."""

    message_type: int
    unique_id: str
    payload: dict
    error_code: str = ""
    error_description: str = ""


class FrameError(Exception):
    """A frame that must be answered with a CallError (or ignored, if code is None)."""

    def __init__(self, unique_id: str, code: str | None, description: str, details=None):
        super().__init__(description)
        self.unique_id = unique_id
        self.code = code
        self.description = description
        self.details = details or {}

    def to_json(self) -> str:
        return call_error_json(self.unique_id, self.code, self.description, self.details)


def call_error_json(unique_id: str, code: str, description: str, details=None) -> str:
    return frame_text([CALL_ERROR, unique_id, code, description[:255], details or {}])


def frame_text(frame: list) -> str:
    """A frame as compact JSON text (no spaces, UTF-8 characters as they are).

    orjson writes it in a tenth of the time; what it refuses (a lone surrogate, an
    integer past 64 bits) is written by the standard library, escaped as before.
    """
    try:
        return orjson.dumps(frame).decode()
    except TypeError:  # orjson.JSONEncodeError
        return json.dumps(frame, separators=(",", ":"))


def _loads(text: str) -> Any:
    """The frame's JSON: orjson's parse, a quarter of the standard library's time.

    What orjson refuses, the standard library reads as it always has (lone surrogate
    escapes, NaN, integers past 64 bits) or refuses with the error told apart below.
    """
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        return json.loads(text)


def parse_frame(text: str, version: str) -> Call | Reply:
    """Parse one text frame, or raise FrameError with the version's error code."""
    codes = ERROR_CODES[version]
    try:
        frame = _loads(text)
    except RecursionError:
        raise _too_deep(_leading_id(text), codes) from None
    except (ValueError, TypeError):
        raise FrameError("-1", codes.bad_json, "Message is not valid JSON") from None
    if not isinstance(frame, list) or len(frame) < 3:
        unique_id = _readable_id(frame)
        raise FrameError(unique_id, codes.bad_frame, "Message is not an OCPP-J array")
    message_type, unique_id = frame[0], frame[1]
    if not isinstance(unique_id, str) or not unique_id:
        raise FrameError("-1", codes.bad_frame, "MessageId is not a string")
    if len(unique_id) > MAX_MESSAGE_ID_LENGTH:
        raise FrameError(unique_id, codes.message_id_too_long, "MessageId is too long")
    # Only a frame with that many brackets can nest that deep: most are never walked.
    if text.count("[") + text.count("{") > MAX_NESTING_DEPTH and _too_nested(frame):
        raise _too_deep(unique_id, codes)
    # Only a frame escaping a NUL or a surrogate can hold one: most are never walked.
    unstorable = "\\u" in text and _UNSTORABLE_ESCAPE.search(text) is not None
    if message_type == CALL:
        call = _parse_call(frame, unique_id, codes)
        # Replaced, not refused: the station's data is kept (and validated) as U+FFFD.
        return replace(call, payload=storable(call.payload)) if unstorable else call
    if message_type == CALL_RESULT:
        payload = frame[2]
        if len(frame) != 3 or not isinstance(payload, dict):
            raise FrameError(unique_id, codes.bad_frame, "Malformed CallResult")
        reply = Reply(CALL_RESULT, unique_id, payload)
    elif message_type == CALL_ERROR:
        if len(frame) < 4 or not isinstance(frame[2], str):
            raise FrameError(unique_id, codes.bad_frame, "Malformed CallError")
        details = frame[4] if len(frame) > 4 and isinstance(frame[4], dict) else {}
        description = frame[3] if isinstance(frame[3], str) else ""
        reply = Reply(CALL_ERROR, unique_id, details, frame[2], description)
    else:
        if isinstance(message_type, int) and message_type in codes.unanswered_message_types:
            raise FrameError(unique_id, None, f"MessageTypeId {message_type} is not answered")
        raise FrameError(
            unique_id, codes.unknown_message_type, f"MessageTypeId {message_type!r} unknown"
        )
    if unstorable:  # PostgreSQL could store neither in a stored field
        reply = replace(
            reply,
            payload=storable(reply.payload),
            error_code=storable(reply.error_code),
            error_description=storable(reply.error_description),
        )
    return reply


def _too_nested(frame: list) -> bool:
    """Whether arrays and objects in `frame` nest deeper than MAX_NESTING_DEPTH."""
    level, depth = [frame], 1
    while level:
        if depth > MAX_NESTING_DEPTH:
            return True
        level = [
            child
            for container in level
            for child in (container.values() if isinstance(container, dict) else container)
            if isinstance(child, dict | list)
        ]
        depth += 1
    return False


def _too_deep(unique_id: str, codes: ErrorCodes) -> FrameError:
    return FrameError(
        unique_id,
        codes.too_deep,
        f"Arrays and objects nested deeper than {MAX_NESTING_DEPTH} levels",
    )


_LEADING_ID = re.compile(r'^\s*\[\s*\d+\s*,\s*"([^"\\]{1,36})"')


def check_size(text: str, version: str, limit: int) -> None:
    """Refuse a frame over `limit` characters without parsing it."""
    if len(text) > limit:
        raise FrameError(
            _leading_id(text),
            ERROR_CODES[version].frame_too_large,
            f"Message larger than {limit} characters",
        )


def _leading_id(text: str) -> str:
    """The MessageId of a frame that cannot be parsed, read from its start, or "-1"."""
    match = _LEADING_ID.match(text)
    return match.group(1) if match else "-1"


def _readable_id(frame: Any) -> str:
    readable = isinstance(frame, list) and len(frame) >= 2 and isinstance(frame[1], str)
    if readable and 0 < len(frame[1]) <= MAX_MESSAGE_ID_LENGTH:
        return frame[1]
    return "-1"


def _parse_call(frame: list, unique_id: str, codes: ErrorCodes) -> Call:
    if len(frame) != 4 or not isinstance(frame[2], str):
        raise FrameError(unique_id, codes.bad_frame, "A Call has four elements")
    payload = frame[3]
    if payload is None:
        payload = {}  # OCPP-J §4.1.5 wants {}; a null payload is read leniently.
    if not isinstance(payload, dict):
        raise FrameError(unique_id, codes.bad_frame, "Call payload is not an object")
    return Call(unique_id, frame[2], payload)


def check_payload(call: Call, version: str) -> None:
    """Validate a Call's payload against the version's JSON schema."""
    codes = ERROR_CODES[version]
    error = first_error(version, call.action, call.payload)
    if error is None:
        return
    kind = _SCHEMA_ERROR_KIND.get(error.validator, "bad_value")
    field = ".".join(str(part) for part in error.absolute_path) or None
    details = {"field": field} if field else {}
    raise FrameError(call.unique_id, getattr(codes, kind), error.message[:255], details)


def storable(value: Any) -> Any:
    """`value` with every NUL and lone surrogate in its strings and keys made U+FFFD.

    For the payloads of a station's Calls and answers, and for the log: PostgreSQL
    stores neither in text or jsonb, and the rest of the message is worth keeping.
    """
    if isinstance(value, str):
        return UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, list):
        return [storable(item) for item in value]
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    return value


# Vendor content inside these keys is not ChargeNet's to check.
_NOT_OURS = frozenset({"customData", "data"})


def check_integers(call: Call, version: str, ranges: dict[str, tuple[int, int]]) -> None:
    """Refuse a Call whose integers ChargeNet stores do not fit their columns.

    The schemas say only "integer"; `ranges` maps a key (or "parent.key") to the
    (lowest, highest) value its column holds.
    """
    field = integer_out_of_range(call.payload, ranges)
    if field:
        raise FrameError(
            call.unique_id,
            ERROR_CODES[version].bad_value,
            f"{field} is out of range",
            {"field": field},
        )


def integer_out_of_range(value, ranges: dict) -> str | None:
    """The path of the first stored integer outside its range, or None."""
    if not isinstance(value, dict | list):
        return None
    found = _out_of_range(value, ranges, "")
    return ".".join(reversed(found)) if found else None


def _out_of_range(value: dict | list, ranges: dict, parent: str) -> list[str] | None:
    # Runs on every Call: only containers are walked, and a path is built only for
    # the value found (innermost key first).
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict | list):
                found = _out_of_range(item, ranges, str(index))
                if found:
                    found.append(str(index))
                    return found
        return None
    for key, item in value.items():
        if isinstance(item, int):
            bounds = ranges.get(f"{parent}.{key}") or ranges.get(key)
            if bounds and not bounds[0] <= item <= bounds[1]:
                return [key]
        elif isinstance(item, dict | list) and key not in _NOT_OURS:
            found = _out_of_range(item, ranges, key)
            if found:
                found.append(key)
                return found
    return None
