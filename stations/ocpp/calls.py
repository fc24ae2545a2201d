"""ChargeNet's own calls to a station: one outstanding at a time, each answered by id.

OCPP-J lets each side have a single Call waiting for its answer ("Synchronicity"), so
an adapter sends its commands one after the other (`OutgoingCalls.lock`). The answer
comes in as a frame like any other: a Channels consumer handles one event at a time,
so it must never await a station's answer inline (the frame carrying it could not be
read meanwhile). A command runs as a task of its own (stations/sockets/station.py)
and waits on a future, which the reply `handle_frame` reads resolves.
"""

import asyncio
import logging
import re
from dataclasses import dataclass, field

from stations.ocpp.framing import CALL_ERROR, Reply
from stations.ocpp.payloads import snake_case, without_nones
from stations.ocpp.schemas import first_error

logger = logging.getLogger(__name__)

# Answers that mean the station will do what it was asked.
ACCEPTED_ANSWERS = frozenset({"Accepted", "Scheduled", "RebootRequired", "Unlocked"})
# Answers of one message that mean so too: a cancelled earlier upload or update is
# no refusal of this one, and a question with an empty answer was still answered.
ACCEPTED_BY_MESSAGE = {
    "UpdateFirmware": frozenset({"AcceptedCanceled"}),
    "SignedUpdateFirmware": frozenset({"AcceptedCanceled"}),
    "GetLog": frozenset({"AcceptedCanceled"}),
    "GetDisplayMessages": frozenset({"Unknown"}),
    "GetInstalledCertificateIds": frozenset({"NotFound"}),
    "GetChargingProfiles": frozenset({"NoProfiles"}),
    "GetReport": frozenset({"EmptyResultSet"}),
    "GetMonitoringReport": frozenset({"EmptyResultSet"}),
    "UnpublishFirmware": frozenset({"Unpublished"}),
}
# Answers given per item: the list and its items' status field; all must say yes.
PER_ITEM_ANSWERS = {
    "setVariableResult": "attributeStatus",
    "setMonitoringResult": "status",
    "clearMonitoringResult": "status",
}


def answer_accepted(action: str, response: dict) -> bool:
    """Whether a station's answer to `action` means it does what it was asked."""
    accepted = ACCEPTED_ANSWERS | ACCEPTED_BY_MESSAGE.get(action, frozenset())
    for key, field_name in PER_ITEM_ANSWERS.items():
        results = response.get(key)
        if results is not None:
            return bool(results) and all(r.get(field_name) in accepted for r in results)
    status = response.get("status")
    return status is None or status in accepted


# The CallError codes ChargeNet stores as the station sent them: those the `ocpp`
# library had an exception for when ChargeNet used its `call()`. Any other code (e.g.
# 2.0.1's RpcFrameworkError) failed the command as an internal error, and still does.
KNOWN_ERROR_CODES = frozenset(
    {
        "FormatViolation",
        "FormationViolation",
        "GenericError",
        "InternalError",
        "NotImplemented",
        "NotSupported",
        "OccurenceConstraintViolation",
        "OccurrenceConstraintViolation",
        "PropertyConstraintViolation",
        "ProtocolError",
        "SecurityError",
        "TypeConstraintViolation",
    }
)
# How many sent calls' actions are kept after their timeout, so a late answer is still
# logged under the action it answers.
REMEMBERED_CALLS = 32


@dataclass
class Outcome:
    """How a command ended: accepted, rejected, failed, timeout or offline."""

    status: str
    response: dict | None = None
    error: dict | None = None
    ocpp_action: str = ""
    configuration: list[dict] = field(default_factory=list)
    #: What the answer says the station now holds (stations/station_data/results.py).
    records: dict = field(default_factory=dict)


DISCONNECTED = {"description": "The station disconnected."}


class Disconnected(Exception):
    """The station's socket closed before it answered."""


#: A CallResult's or CallError's head: `[3, "unique id"` or `[4, "unique id"`.
_REPLY_HEAD = re.compile(r'\s*\[\s*[34]\s*,\s*"([^"\\]+)"')


class OutgoingCalls:
    """The calls one adapter has sent, and the futures waiting for their answers."""

    __slots__ = ("lock", "closed", "_waiting", "_actions")

    def __init__(self) -> None:
        self.lock = asyncio.Lock()
        self.closed = False
        self._waiting: dict[str, asyncio.Future] = {}
        self._actions: dict[str, str] = {}  # unique id -> action, until answered

    def close(self) -> None:
        """The socket is gone: calls still waiting end at once, answered ones keep
        their answer (a station may answer a Reset and reboot in the same breath)."""
        self.closed = True
        for future in self._waiting.values():
            if not future.done():
                future.set_exception(Disconnected())

    def expect(self, unique_id: str, action: str) -> asyncio.Future:
        """The future the answer to `unique_id` will resolve; register before sending."""
        future = asyncio.get_running_loop().create_future()
        self._waiting[unique_id] = future
        self._actions[unique_id] = action
        while len(self._actions) > REMEMBERED_CALLS:
            del self._actions[next(iter(self._actions))]  # the oldest, never answered
        return future

    def forget(self, unique_id: str) -> None:
        """Stop waiting for `unique_id` (answered, timed out or cancelled)."""
        self._waiting.pop(unique_id, None)

    def awaited(self, text: str) -> bool:
        """Whether the frame `text` is a reply to a call still waiting for its answer,
        read from its head without parsing it (only while a call waits)."""
        if not self._waiting:
            return False
        head = _REPLY_HEAD.match(text)
        return head is not None and head[1] in self._waiting

    def answered(self, reply: Reply) -> str | None:
        """Hand `reply` to the call waiting for it; the action it answers, or None."""
        future = self._waiting.pop(reply.unique_id, None)
        if future is not None and not future.done():
            future.set_result(reply)
        return self._actions.pop(reply.unique_id, None)


def read_answer(
    reply: Reply, action: str, version: str, result_class
) -> tuple[dict, Outcome | None]:
    """The response a reply carries, and a failed Outcome, or None, if it is a valid one.

    A CallResult must have the fields of its `call_result` dataclass (a TypeError
    names the odd one, as when the library built it) and match its JSON schema.
    """
    if reply.message_type == CALL_ERROR:
        if reply.error_code not in KNOWN_ERROR_CODES:
            logger.warning("%s answered with an unknown error code %r", action, reply.error_code)
            return {}, Outcome("failed", error={"description": "Internal error."})
        error = {
            "code": reply.error_code,
            "description": reply.error_description,
            "details": reply.payload,
        }
        return {}, Outcome("failed", error=error, ocpp_action=action)
    try:
        result_class(**snake_case(reply.payload))
    except TypeError as error:  # a field the message does not have, or a missing one
        failure = {"code": "FormatViolation", "description": str(error)[:255]}
        return {}, Outcome("failed", error=failure, ocpp_action=action)
    response = without_nones(reply.payload)
    invalid = first_error(version, action, response, response=True)
    if invalid is not None:
        failure = {"code": "FormatViolation", "description": invalid.message[:255]}
        return response, Outcome("failed", response=response, error=failure, ocpp_action=action)
    return response, None
