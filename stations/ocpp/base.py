"""What every version's adapter shares: checks, dispatch, commands, the frame log.

An adapter translates one station's OCPP. The consumer hands it every text frame
through `handle_frame`. An incoming Call is checked once, here and in framing.py
(size, frame, rate, acceptance, JSON schema, stored integers), then answered by the
handler of its action (stations/ocpp/dispatch.py): payload to plain values, a service
call, the service's answer back into the version's call_result. ChargeNet's own calls
to the station go out through `perform` (stations/ocpp/calls.py); their answers are
frames like any other, fed to the waiting command by `handle_frame`.

The `ocpp` library is used for what it describes: JSON schemas, enums and the
call/call_result dataclasses. Routing, validation and call bookkeeping are ChargeNet's
own, so every frame is validated once and each socket costs little.
"""

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass

from django.conf import settings

from runtime import outages
from runtime.pool import on_database
from stations import redact
from stations.metering import ENERGY_REGISTER, Sample, parse_timestamp, reading, reading_time
from stations.ocpp.calls import (
    DISCONNECTED,
    Disconnected,
    Outcome,
    OutgoingCalls,
    answer_accepted,
    read_answer,
)
from stations.ocpp.dispatch import Handler, handler_table
from stations.ocpp.framing import (
    CALL,
    CALL_ERROR,
    CALL_RESULT,
    ERROR_CODES,
    Call,
    FrameError,
    Reply,
    check_integers,
    check_payload,
    check_size,
    frame_text,
    parse_frame,
)
from stations.ocpp.limits import FrameLimits
from stations.ocpp.metrics import OcppMetrics
from stations.ocpp.payloads import snake_case, wire_payload
from stations.ocpp.requests import CommandError, Request, build_request
from stations.services.registration import station_registration
from stations.writers import last_seen
from stations.writers.message_log import message_log

logger = logging.getLogger(__name__)

LAST_SEEN_EVERY = 30.0  # seconds between last_seen writes for a chatty station
LOGGED_FRAME_LIMIT = 4096  # characters of a refused (oversized, over-limit) frame logged
INT32_MAX = 2**31 - 1


@dataclass
class StationInfo:
    """What the socket knows about its station, cached for the connection."""

    pk: int
    station_id: str
    registration: str


class StationAdapter:
    version: str = ""
    #: Every action of this version, and those a station may send; a station naming
    #: one of ours (e.g. Reset) gets NotSupported, an unknown one NotImplemented.
    known_actions: frozenset[str] = frozenset()
    incoming_actions: frozenset[str] = frozenset()
    #: Incoming action -> its handler; built with each class (stations/ocpp/dispatch.py).
    handlers: dict[str, Handler] = {}
    #: The version's `call_result` module: the dataclasses the station's answers fill.
    results = None
    #: Version-neutral command name -> request builder (stations/ocpp/requests*.py).
    request_builders: dict = {}
    #: Integer fields ChargeNet stores -> (lowest, highest) it accepts; a key may be
    #: "parent.key" to name a field inside one object (e.g. "evse.id").
    stored_integers: dict[str, tuple[int, int]] = {}
    #: Actions that may come before the station is accepted.
    allowed_before_acceptance: frozenset[str] = frozenset({"BootNotification"})
    #: The version's Prometheus metrics (stations/ocpp/metrics.py).
    metrics: OcppMetrics

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        cls.handlers = handler_table(cls)
        cls.metrics = OcppMetrics(cls.version, cls.known_actions)
        # Checked here, not when a station first sends the action.
        missing = cls.incoming_actions - cls.handlers.keys()
        if missing:
            raise TypeError(f"{cls.__name__} has no handler for {', '.join(sorted(missing))}")
        unused = cls.handlers.keys() - cls.incoming_actions
        if unused:
            raise TypeError(f"{cls.__name__} never receives {', '.join(sorted(unused))}")

    def __init__(self, station: StationInfo, connection, response_timeout: float = 30):
        """`connection` is anything with `async send(text)`: the socket's sending end."""
        self.station = station
        #: The longest a command waits for its answer, whatever timeout it was given.
        self.response_timeout = response_timeout
        self._connection = connection
        self._calls = OutgoingCalls()
        # Messages ChargeNet asked for (TriggerMessage); a set once there is one.
        self._expected: set[str] | frozenset[str] = frozenset()
        self._last_touch = time.monotonic()
        self._limits = FrameLimits()
        #: Set once the station has stayed over its limits: the socket closes it (1008).
        self.closing_reason = ""

    # --- incoming -----------------------------------------------------------------

    async def handle_frame(self, text: str) -> None:
        """Handle one frame; never raises, whatever the station sent."""
        if self.closing_reason:
            return  # disconnecting: what is still queued is not read
        arrived = time.perf_counter()
        # The answer to a command of ours is never a flood: one call waits at a time.
        if not self._calls.awaited(text) and not self._limits.admit(text):
            await self._over_limits(text)
            return
        try:
            check_size(text, self.version, settings.OCPP_MAX_FRAME_SIZE)
            message = parse_frame(text, self.version)
        except FrameError as error:
            self._log_in(text[:LOGGED_FRAME_LIMIT], None, error.unique_id, "")
            if error.code:
                await self._send_error(error)
            return
        await self._touch()
        if isinstance(message, Reply):
            self._handle_reply(message, text)
            return
        self._log_in(text, CALL, message.unique_id, message.action)
        try:
            await self._handle_incoming_call(message)
        except FrameError as error:
            await self._send_error(error)
        except Exception:  # noqa: BLE001 - the socket and the process live on
            logger.exception("Failed to handle %s from %s", message.action, self.station.station_id)
            await self._send_error(FrameError(message.unique_id, "InternalError", "Internal error"))
        self.metrics.replied(message.action, time.perf_counter() - arrived)

    async def _over_limits(self, text: str) -> None:
        """A frame past the station's limits (stations/ocpp/limits.py): a Call gets the
        CallError, a reply or malformed frame is dropped unlogged; a station that stays
        over its limits is to be disconnected (`closing_reason`, read by the socket)."""
        limits = self._limits
        if limits.exhausted:
            self.closing_reason = "message limits exceeded"
            logger.warning(
                "Disconnecting station %s: %s (%d frames refused in a row, %d dropped)",
                self.station.station_id,
                self.closing_reason,
                limits.refusals,
                limits.dropped,
            )
            return
        try:
            check_size(text, self.version, settings.OCPP_MAX_FRAME_SIZE)
            message = parse_frame(text, self.version)
        except FrameError:
            message = None
        if not isinstance(message, Call):
            limits.dropped += 1
            self.metrics.dropped()
            return
        self._log_in(text[:LOGGED_FRAME_LIMIT], CALL, message.unique_id, message.action)
        await self._send_error(FrameError(message.unique_id, "GenericError", "Too many messages"))

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
        # The one schema validation of the frame (framing.py); handlers trust it.
        check_payload(call, self.version)
        check_integers(call, self.version, self.stored_integers)
        await self._dispatch(call)

    async def _dispatch(self, call: Call) -> None:
        """Answer a checked Call with its handler's result, or InternalError if it fails."""
        handler = self.handlers[call.action]
        try:
            if handler.raw:
                payload = await handler.function(self, call.payload)
            else:
                result = await handler.function(self, **snake_case(call.payload))
                payload = wire_payload(result)
            # Not validated against the response schema: the tests' stations (the
            # `ocpp` library) validate every result they get.
            text = frame_text([CALL_RESULT, call.unique_id, payload])
        except Exception as failure:  # noqa: BLE001 - answered, and the socket lives on
            if outages.is_outage(failure):
                # PostgreSQL or Redis away: the station sends it again; one line, no trace.
                outages.note_outage(f"OCPP {call.action} answered InternalError", failure)
            else:
                logger.exception(
                    "Error while handling %s from %s", call.action, self.station.station_id
                )
            error = FrameError(call.unique_id, "InternalError", "An unexpected error occurred.")
            await self._send_error(error, call.action)
            return
        self._log_out(text, CALL_RESULT, call.unique_id, call.action)
        await self._connection.send(text)

    def expect_from_station(self, action: str) -> None:
        """Allow one `action` before acceptance: ChargeNet asked for it (e.g. triggered)."""
        if not self._expected:
            self._expected = set()
        self._expected.add(action)

    def _may_send_now(self, action: str) -> bool:
        if action in self._expected:
            self._expected.discard(action)
            return True
        return action in self.allowed_before_acceptance

    async def _accepted(self) -> bool:
        if self.station.registration != "accepted":
            # An operator may have accepted the station since it connected.
            self.station.registration = await self.run(station_registration)
        return self.station.registration == "accepted"

    def _handle_reply(self, reply: Reply, text: str) -> None:
        action = self._calls.answered(reply)
        self._log_in(text, reply.message_type, reply.unique_id, action or "", reply.error_code)
        if action is None:
            logger.info("Ignoring reply %s with no call of ours", reply.unique_id)

    async def _touch(self) -> None:
        now = time.monotonic()
        if now - self._last_touch >= LAST_SEEN_EVERY:
            self._last_touch = now
            try:
                await last_seen.station_touch(self.station.pk)
            except Exception:  # noqa: BLE001 - a missed last_seen write must not drop the socket
                logger.warning("Could not record that %s was seen", self.station.station_id)

    async def _send_error(self, error: FrameError, action: str = "") -> None:
        text = error.to_json()
        self._log_out(text, CALL_ERROR, error.unique_id, action, error.code)
        await self._connection.send(text)

    # --- outgoing -----------------------------------------------------------------

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
        ocpp_action = request.action
        for message in request.expects:
            self.expect_from_station(message)
        try:
            # `timeout` counts from now, the wait for an earlier command included.
            async with asyncio.timeout(timeout):
                reply = await self._call(ocpp_action, request.body)
        except TimeoutError:
            description = f"No answer in {timeout:g} s"
            return Outcome("timeout", error={"description": description}, ocpp_action=ocpp_action)
        except Disconnected:
            return Outcome("offline", error=DISCONNECTED, ocpp_action=ocpp_action)
        result_class = getattr(self.results, ocpp_action)
        response, failure = read_answer(reply, ocpp_action, self.version, result_class)
        if failure is not None:
            return failure
        status = "accepted" if self.answer_accepted(response, ocpp_action) else "rejected"
        records = self.command_records(ocpp_action, request.body, response)
        configuration = self.configuration_rows(response) + records.pop("configuration", [])
        return Outcome(status, response, None, ocpp_action, configuration, records)

    async def _call(self, action: str, payload: dict) -> Reply:
        """Send a Call and wait for its reply, after any call still waiting for its own."""
        async with self._calls.lock:
            if self._calls.closed:
                raise Disconnected
            unique_id = str(uuid.uuid4())
            answer = self._calls.expect(unique_id, action)
            try:
                text = frame_text([CALL, unique_id, action, payload])
                self._log_out(redact.frame(text), CALL, unique_id, action)
                await self._connection.send(text)
                return await asyncio.wait_for(answer, self.response_timeout)
            finally:
                self._calls.forget(unique_id)

    def connection_lost(self) -> None:
        """The socket closed: commands waiting for an answer end as offline."""
        self._calls.close()

    def answer_accepted(self, response: dict, action: str = "") -> bool:
        return answer_accepted(action, response)

    def configuration_rows(self, response: dict) -> list[dict]:
        """Device-model rows a command's answer reports (configuration reads)."""
        return []

    def command_records(self, action: str, request: dict, response: dict) -> dict:
        """What the answer to `action` says the station now holds, as version-neutral
        records (stations/station_data/results.py); `configuration` rows too."""
        return {}

    # --- log ----------------------------------------------------------------------

    def _log_in(self, text, message_type, unique_id, action, error_code="") -> None:
        self._log("in", text, message_type, unique_id, action, error_code)

    def _log_out(self, text, message_type, unique_id, action, error_code="") -> None:
        self._log("out", text, message_type, unique_id, action, error_code)

    def _log(self, direction, text, message_type, unique_id, action, error_code) -> None:
        self.metrics.frame(direction, message_type, action, error_code)
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
        """Call a service on a database thread (runtime/pool.py)."""
        # Stations' messages run in parallel on a pool of threads, each with its own
        # connection; one station's messages stay in order since its consumer handles
        # them one at a time.
        return await on_database(service, station_pk=self.station.pk, **kwargs)


def samples_from(meter_values: list[dict] | None, now) -> list[Sample]:
    """OCPP meterValue objects (1.6 or 2.0.1, snake_case keys) as samples.

    Which readings are kept and when they were taken is metering's to say
    (`reading`, `reading_time`); this only reads the versions' shapes.
    """
    samples = []
    for meter_value in meter_values or []:
        moment = reading_time(parse_timestamp(meter_value.get("timestamp")), now)
        for sampled in meter_value.get("sampled_value") or []:
            measurand = sampled.get("measurand") or ENERGY_REGISTER  # the spec's default
            unit, multiplier = sampled.get("unit"), 0
            if isinstance(sampled.get("unit_of_measure"), dict):  # 2.0.1: unit × 10^multiplier
                unit = sampled["unit_of_measure"].get("unit")
                multiplier = sampled["unit_of_measure"].get("multiplier", 0)
            kept = reading(sampled.get("value"), unit, measurand, multiplier)
            if kept is None:
                continue
            value, unit = kept
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
