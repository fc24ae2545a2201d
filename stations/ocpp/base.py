"""What every version's adapter shares: framing, checks, logging, call bookkeeping.

An adapter is a version's `ocpp` ChargePoint plus `StationAdapter`. The consumer
hands it every text frame through `handle_frame`; replies to ChargeNet's own calls
are fed to the library's `call()` waiting in another task (never awaited inline: a
Channels consumer handles one event at a time, see docs/architecture.md).
"""

import asyncio
import functools
import inspect
import json
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field

from channels.db import database_sync_to_async
from django.conf import settings
from ocpp import messages as ocpp_messages
from ocpp.charge_point import LOGGER as OCPP_LOGGER
from ocpp.charge_point import (
    camel_to_snake_case,
    remove_nones,
    serialize_as_dict,
    snake_to_camel_case,
)
from ocpp.exceptions import OCPPError
from ocpp.routing import create_route_map

from stations import redact
from stations.metering import (
    MAX_READING,
    Sample,
    normalise,
    parse_timestamp,
    plausible_time,
)
from stations.ocpp.framing import (
    CALL,
    CALL_ERROR,
    CALL_RESULT,
    ERROR_CODES,
    Call,
    FrameError,
    Reply,
    call_error_json,
    check_payload,
    check_size,
    parse_frame,
)
from stations.ocpp.requests import CommandError, Request, build_request
from stations.ocpp.schemas import first_error
from stations.services import core as services
from stations.writers.message_log import message_log

logger = logging.getLogger(__name__)

LAST_SEEN_EVERY = 30.0  # seconds between last_seen writes for a chatty station
LOGGED_FRAME_LIMIT = 4096  # characters of a refused oversized frame kept in the log


class TokenBucket:
    """Per-station message rate limit: OCPP_RATE_BURST at once, OCPP_RATE_LIMIT/s after."""

    def __init__(self) -> None:
        self.tokens = float(settings.OCPP_RATE_BURST)
        self.updated = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        rate, burst = settings.OCPP_RATE_LIMIT, settings.OCPP_RATE_BURST
        self.tokens = min(burst, self.tokens + (now - self.updated) * rate)
        self.updated = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


INT32_MAX = 2**31 - 1
# Answers that mean the station will do what it was asked.
ACCEPTED_ANSWERS = frozenset({"Accepted", "Scheduled", "RebootRequired", "Unlocked"})


@dataclass
class Outcome:
    """How a command ended: accepted, rejected, failed, timeout or offline."""

    status: str
    response: dict | None = None
    error: dict | None = None
    ocpp_action: str = ""
    configuration: list[dict] = field(default_factory=list)


@dataclass
class StationInfo:
    """What the socket knows about its station, cached for the connection."""

    pk: int
    station_id: str
    registration: str


@functools.lru_cache(maxsize=4096)
def _snake_key(key: str) -> str:
    return next(iter(camel_to_snake_case({key: None})))


def snake_case(data):
    """The library's `camel_to_snake_case`, its regular expressions run once per key name.

    The library runs two of them on every key of every frame: a quarter of a loaded
    server's CPU went there, most of it on the same few MeterValues keys.
    """
    if isinstance(data, dict):
        return {_snake_key(key): snake_case(value) for key, value in data.items()}
    if isinstance(data, list):
        return [snake_case(value) for value in data]
    return data


class BoundRoutes(Mapping):
    """The library's route map (action -> handlers) of one adapter, bound on lookup.

    The handlers are found once per class (`create_route_map` on the class gives
    plain functions) and bound to the adapter when the library looks an action up.
    """

    _by_class: dict[type, dict] = {}

    def __init__(self, adapter) -> None:
        self._adapter = adapter
        cls = type(adapter)
        routes = self._by_class.get(cls)
        if routes is None:
            routes = self._by_class[cls] = create_route_map(cls)
        self._routes = routes

    def __getitem__(self, action: str) -> dict:
        return {
            option: value.__get__(self._adapter) if callable(value) else value
            for option, value in self._routes[action].items()
        }

    def __iter__(self):
        return iter(self._routes)

    def __len__(self) -> int:
        return len(self._routes)


class StationAdapter:
    version: str = ""
    #: Every action of this version, and those a station may send; a station naming
    #: one of ours (e.g. Reset) gets NotSupported, an unknown one NotImplemented.
    known_actions: frozenset[str] = frozenset()
    incoming_actions: frozenset[str] = frozenset()
    #: Version-neutral command name -> request builder (stations/ocpp/requests*.py).
    request_builders: dict = {}
    #: Integer fields ChargeNet stores -> (lowest, highest) it accepts; a key may be
    #: "parent.key" to name a field inside one object (e.g. "evse.id").
    stored_integers: dict[str, tuple[int, int]] = {}
    #: Actions that may come before the station is accepted.
    allowed_before_acceptance: frozenset[str] = frozenset({"BootNotification"})

    def __init__(self, station: StationInfo, connection, response_timeout: float = 30):
        # What the library's ChargePoint.__init__ sets, but for the route map: that
        # one it builds per connection with dir() over the whole class (time at every
        # handshake of a reconnect storm, kilobytes per socket); ours is built once
        # per class. tests/test_ocpp_adapter.py keeps the two in step.
        self.id = station.station_id
        self._response_timeout = response_timeout
        self._connection = connection
        self.route_map = BoundRoutes(self)
        self._call_lock = asyncio.Lock()
        self._response_queue = asyncio.Queue()
        self._unique_id_generator = uuid.uuid4
        self.logger = OCPP_LOGGER
        self.station = station
        self._outstanding: dict[str, str] = {}  # unique id -> action of our calls
        self._expected: set[str] = set()  # messages ChargeNet asked for (TriggerMessage)
        self._answering: str = ""
        self._last_touch = time.monotonic()
        self._rate = TokenBucket()

    # --- incoming -----------------------------------------------------------------

    async def handle_frame(self, text: str) -> None:
        """Handle one frame; never raises, whatever the station sent."""
        try:
            check_size(text, self.version, settings.OCPP_MAX_FRAME_SIZE)
            message = parse_frame(text, self.version)
            if isinstance(message, Call) and not self._rate.take():
                raise FrameError(message.unique_id, "GenericError", "Too many messages")
        except FrameError as error:
            self._log_in(text[:LOGGED_FRAME_LIMIT], None, error.unique_id, "")
            if error.code:
                await self._send(error.to_json())
            return
        await self._touch()
        if isinstance(message, Reply):
            await self._handle_reply(message, text)
            return
        self._log_in(text, CALL, message.unique_id, message.action)
        try:
            await self._handle_incoming_call(message)
        except FrameError as error:
            await self._send(error.to_json())
        except Exception:  # noqa: BLE001 - the socket and the process live on
            logger.exception("Failed to handle %s from %s", message.action, self.station.station_id)
            await self._send(call_error_json(message.unique_id, "InternalError", "Internal error"))
        finally:
            self._answering = ""

    async def _handle_incoming_call(self, call: Call) -> None:
        codes = ERROR_CODES[self.version]
        if call.action not in self.incoming_actions:
            known = call.action in self.known_actions
            code = codes.unsupported_action if known else codes.unknown_action
            raise FrameError(call.unique_id, code, f"Action {call.action} not supported")
        if not self._may_send_now(call.action) and not await self._accepted():
            raise FrameError(
                call.unique_id, "SecurityError", "Station is not accepted (BootNotification)"
            )
        check_payload(call, self.version)
        field = integer_out_of_range(call.payload, self.stored_integers)
        if field:
            raise FrameError(
                call.unique_id,
                ERROR_CODES[self.version].bad_value,
                f"{field} is out of range",
                {"field": field},
            )
        self._answering = call.action
        library_call = ocpp_messages.Call(call.unique_id, call.action, call.payload)
        try:
            await self._handle_call(library_call)
        except OCPPError as error:
            await self._send(library_call.create_call_error(error).to_json())

    async def _handle_call(self, msg: ocpp_messages.Call) -> None:
        """The library's `_handle_call`, with its keys converted by `snake_case`.

        As in the library: a handler's exception is answered with its CallError
        (InternalError when it is not an OCPPError). Our handlers take no
        `call_unique_id` and have no `@after` hooks (tests/test_ocpp_adapter.py).
        """
        handlers = self.route_map[msg.action]  # every incoming action has one
        validate = not handlers.get("_skip_schema_validation", False)
        if validate:
            await ocpp_messages.validate_payload(msg, self._ocpp_version)
        try:
            response = handlers["_on_action"](**snake_case(msg.payload))
            if inspect.isawaitable(response):
                response = await response
        except Exception as error:  # noqa: BLE001 - answered, as the library does
            self.logger.exception("Error while handling request '%s'", msg)
            await self._send(msg.create_call_error(error).to_json())
            return
        payload = snake_to_camel_case(remove_nones(serialize_as_dict(response)))
        result = msg.create_call_result(payload)
        if validate:
            await ocpp_messages.validate_payload(result, self._ocpp_version)
        await self._send(result.to_json())

    def expect_from_station(self, action: str) -> None:
        """Allow one `action` before acceptance: ChargeNet asked for it (e.g. triggered)."""
        self._expected.add(action)

    def _may_send_now(self, action: str) -> bool:
        if action in self._expected:
            self._expected.discard(action)
            return True
        return action in self.allowed_before_acceptance

    async def _accepted(self) -> bool:
        if self.station.registration != "accepted":
            # An operator may have accepted the station since it connected.
            self.station.registration = await self.run(services.station_registration)
        return self.station.registration == "accepted"

    async def _handle_reply(self, reply: Reply, text: str) -> None:
        action = self._outstanding.pop(reply.unique_id, None)
        self._log_in(text, reply.message_type, reply.unique_id, action or "", reply.error_code)
        if action is None:
            logger.info("Ignoring reply %s with no call of ours", reply.unique_id)
            return
        if reply.message_type == CALL_RESULT:
            message = ocpp_messages.CallResult(reply.unique_id, reply.payload)
        else:
            message = ocpp_messages.CallError(
                reply.unique_id, reply.error_code, reply.error_description, reply.payload
            )
        self._response_queue.put_nowait(message)

    async def _touch(self) -> None:
        now = time.monotonic()
        if now - self._last_touch >= LAST_SEEN_EVERY:
            self._last_touch = now
            try:
                await self.run(services.station_touch)
            except Exception:  # noqa: BLE001 - a missed last_seen write must not drop the socket
                logger.warning("Could not record that %s was seen", self.station.station_id)

    # --- outgoing -----------------------------------------------------------------

    async def _send(self, message: str) -> None:
        if message.startswith("[2"):
            frame = json.loads(message)
            self._outstanding[frame[1]] = frame[2]
            self._log_out(redact.frame(message), CALL, frame[1], frame[2])
        else:
            frame = json.loads(message) if message.startswith("[4") else None
            unique_id, error_code = (frame[1], frame[2]) if frame else ("", "")
            self._log_out(
                message,
                CALL_ERROR if frame else CALL_RESULT,
                unique_id,
                self._answering,
                error_code,
            )
        await self._connection.send(message)

    @classmethod
    def build(cls, action: str, params: dict) -> Request:
        """The request for a version-neutral command; raises CommandError if invalid."""
        return build_request(cls.request_builders, cls.version, action, params)

    async def perform(self, action: str, params: dict, timeout: float) -> Outcome:
        """Send one command and wait for the answer; run it as its own task."""
        try:
            request = self.build(action, params)
        except CommandError as error:
            return Outcome("failed", error={"code": "InvalidParameters", "details": error.errors})
        ocpp_action = type(request.payload).__name__
        for message in request.expects:
            self.expect_from_station(message)
        try:
            # Checked already (build); the answer is checked below with our validators.
            result = await asyncio.wait_for(
                self.call(request.payload, suppress=False, skip_schema_validation=True), timeout
            )
        except TimeoutError:
            description = f"No answer in {timeout:g} s"
            return Outcome("timeout", error={"description": description}, ocpp_action=ocpp_action)
        except OCPPError as error:
            failure = {
                "code": error.code,
                "description": error.description,
                "details": error.details,
            }
            return Outcome("failed", error=failure, ocpp_action=ocpp_action)
        except TypeError as error:  # an answer with fields the message does not have
            failure = {"code": "FormatViolation", "description": str(error)[:255]}
            return Outcome("failed", error=failure, ocpp_action=ocpp_action)
        response = snake_to_camel_case(remove_nones(serialize_as_dict(result)))
        invalid = first_error(self.version, ocpp_action, response, response=True)
        if invalid is not None:
            failure = {"code": "FormatViolation", "description": invalid.message[:255]}
            return Outcome("failed", response=response, error=failure, ocpp_action=ocpp_action)
        status = "accepted" if self.answer_accepted(response) else "rejected"
        return Outcome(status, response, None, ocpp_action, self.configuration_rows(response))

    def answer_accepted(self, response: dict) -> bool:
        status = response.get("status")
        return status is None or status in ACCEPTED_ANSWERS

    def configuration_rows(self, response: dict) -> list[dict]:
        """Device-model rows a command's answer reports (configuration reads)."""
        return []

    # --- log ----------------------------------------------------------------------

    def _log_in(self, text, message_type, unique_id, action, error_code="") -> None:
        self._log("in", text, message_type, unique_id, action, error_code)

    def _log_out(self, text, message_type, unique_id, action, error_code="") -> None:
        self._log("out", text, message_type, unique_id, action, error_code)

    def _log(self, direction, text, message_type, unique_id, action, error_code) -> None:
        message_log.add(
            station_id=self.station.pk,
            direction=direction,
            message_type=message_type,
            unique_id=(unique_id or "")[:100],
            action=(action or "")[:60],
            error_code=(error_code or "")[:40],
            payload=text,
        )

    # --- helpers for the version modules -------------------------------------------

    async def run(self, service, **kwargs):
        """Call a service in the database thread."""
        # Not thread-sensitive: stations' messages run in parallel on a pool of threads,
        # each with its own connection; one station's messages stay in order since its
        # consumer handles them one at a time.
        call = database_sync_to_async(service, thread_sensitive=False)
        return await call(station_pk=self.station.pk, **kwargs)


# Vendor content inside these keys is not ChargeNet's to check.
_NOT_OURS = frozenset({"customData", "data"})


def integer_out_of_range(value, ranges: dict, path: str = "") -> str | None:
    """The path of the first stored integer outside its range, or None."""
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = integer_out_of_range(item, ranges, f"{path}.{index}" if path else str(index))
            if found:
                return found
        return None
    if not isinstance(value, dict):
        return None
    parent = path.rsplit(".", 1)[-1]
    for key, item in value.items():
        where = f"{path}.{key}" if path else key
        bounds = ranges.get(f"{parent}.{key}") or ranges.get(key)
        if bounds and isinstance(item, int) and not bounds[0] <= item <= bounds[1]:
            return where
        if key not in _NOT_OURS:
            found = integer_out_of_range(item, ranges, where)
            if found:
                return found
    return None


def samples_from(meter_values: list[dict] | None, now) -> list[Sample]:
    """Turn OCPP meterValue objects (snake_case keys) into normalised samples."""
    samples = []
    for meter_value in meter_values or []:
        moment = parse_timestamp(meter_value.get("timestamp"))
        if not plausible_time(moment, now):
            moment = now
        for sampled in meter_value.get("sampled_value") or []:
            measurand = sampled.get("measurand") or "Energy.Active.Import.Register"
            unit, multiplier = sampled.get("unit"), 0
            if isinstance(sampled.get("unit_of_measure"), dict):  # 2.0.1: unit × 10^multiplier
                unit = sampled["unit_of_measure"].get("unit")
                multiplier = sampled["unit_of_measure"].get("multiplier", 0)
            normalised = normalise(sampled.get("value"), unit, measurand)
            if normalised is None:
                continue  # signed data: the meter's blob, not a number
            value, unit = normalised
            if multiplier:
                value = value.scaleb(multiplier)
            if abs(value) >= MAX_READING:
                logger.warning("Dropped an impossible %s reading: %s", measurand, value)
                continue
            samples.append(
                Sample(
                    timestamp=moment,
                    measurand=measurand,
                    value=value,
                    unit=unit,
                    phase=sampled.get("phase") or "",
                    location=sampled.get("location") or "",
                    context=sampled.get("context") or "",
                )
            )
    return samples
