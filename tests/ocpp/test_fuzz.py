"""Property-based fuzzing of the OCPP socket: random and mutated frames, every version.

Thousands of frames per run go through the real consumer (Channels'
WebsocketCommunicator on the ASGI application), over one socket per example: for
every action of every version a payload drawn from the action's own JSON schema,
often mutated (a field dropped, retyped, lengthened, added, nested), and frames
broken at the RPC level (truncated, wrong MessageTypeId, bad ids, random JSON or
text). After each frame a Heartbeat probe is sent; everything that arrives before its
answer is the answer to the frame. Checked for each frame:

- the answer is one valid CallResult (its payload valid against the action's
  response schema) or one CallError with a code of the station's version, echoing
  the id (or "-1"); no answer only where the spec says to ignore the frame (1.6
  unknown MessageTypeId, 2.1 SEND and CALLRESULTERROR, replies to nothing);
- the socket stays open and the consumer never raises;
- a frame answered with a CallError changed nothing in the database;
- at the end the database is consistent: no session, sample or connector of another
  station, no session ending before it started, no negative energy, no NaN.
"""

import asyncio
import json
import string
from datetime import UTC, datetime

import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.db import database_sync_to_async
from channels.layers import channel_layers
from django.db import connections
from django.db.models import F
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from stations.models import (
    ChargingSession,
    ChargingStation,
    Connector,
    DeviceModelVariable,
    IdToken,
    MeterSample,
    OcppMessage,
    SessionEvent,
    StationEvent,
)
from stations.ocpp import adapter_class
from stations.ocpp.schemas import first_error, schema
from stations.writers.message_log import message_log
from tests.support.factories import STATION_PASSWORD, make_station
from tests.support.ocpp_client import basic_auth, communicator_for

pytestmark = [pytest.mark.protocol, pytest.mark.django_db(transaction=True)]

VERSIONS = {"ocpp1.6": "1.6", "ocpp2.0.1": "2.0.1", "ocpp2.1": "2.1"}
#: Every action of every version is fuzzed, ACTIONS_PER_CASE actions per test case
#: (25 cases). An example is one socket: a call of each of the case's actions (drawn
#: from its schema, often mutated) and EXTRA_FRAMES random ones, each followed by a
#: probe. About 25 x 3 x 28 = 2,100 frames a run.
ACTIONS_PER_CASE = 8
MAX_EXAMPLES = 3
EXTRA_FRAMES = 20
PROBE = "probe"
CALL, CALL_RESULT, CALL_ERROR = 2, 3, 4

ALL_ERROR_CODES = {
    "1.6": {
        "NotImplemented",
        "NotSupported",
        "InternalError",
        "ProtocolError",
        "SecurityError",
        "FormationViolation",
        "PropertyConstraintViolation",
        "OccurenceConstraintViolation",
        "TypeConstraintViolation",
        "GenericError",
    },
    "2.0.1": {
        "FormatViolation",
        "GenericError",
        "InternalError",
        "MessageTypeNotSupported",
        "NotImplemented",
        "NotSupported",
        "OccurrenceConstraintViolation",
        "PropertyConstraintViolation",
        "ProtocolError",
        "RpcFrameworkError",
        "SecurityError",
        "TypeConstraintViolation",
    },
}
ALL_ERROR_CODES["2.1"] = ALL_ERROR_CODES["2.0.1"]


# --- payloads from the actions' JSON schemas -------------------------------------------


def request_schema(version: str, action: str) -> dict | None:
    # ChargeNet's own schema cache: loading through the library's would fix the number
    # type of its cached validators for everyone else in this process.
    try:
        return json.loads(json.dumps(schema(version, action), default=float))
    except (OSError, ValueError):
        return None


def response_known(version: str, action: str) -> bool:
    try:
        return bool(schema(version, action, response=True))
    except (OSError, ValueError):
        return False


TEXT = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]) | st.sampled_from(string.printable),
    max_size=25,
)
JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | TEXT
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=12,
)
TIMESTAMPS = st.one_of(
    st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ).map(lambda moment: moment.isoformat().replace("+00:00", "Z")),
    st.sampled_from(
        ["1970-01-01T00:00:00Z", "2026-11-20T10:00:00", "2026-13-45T99:00:00Z", "yesterday", ""]
    ),
)


def from_schema(schema: dict, root: dict, depth: int = 0) -> st.SearchStrategy:
    """Values valid against the subset of JSON Schema the OCPP schemas use."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return from_schema(root["definitions"][name], root, depth)
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        required = set(schema.get("required", []))
        fields = {
            k: from_schema(v, root, depth + 1) for k, v in properties.items() if k in required
        }
        optional = {}
        if depth < 4:
            optional = {
                k: from_schema(v, root, depth + 1)
                for k, v in properties.items()
                if k not in required
            }
        return st.fixed_dictionaries(fields, optional=optional)
    if kind == "array":
        low = schema.get("minItems", 0)
        high = min(schema.get("maxItems", low + 2), low + 2)
        return st.lists(
            from_schema(schema.get("items", {}), root, depth + 1), min_size=low, max_size=high
        )
    if kind == "string":
        if schema.get("format") == "date-time":
            return TIMESTAMPS
        return st.text(
            st.characters(codec="utf-8", exclude_categories=["Cs"]),
            max_size=min(schema.get("maxLength", 30), 30),
        )
    if kind == "integer":
        return st.integers(schema.get("minimum", -(2**31)), schema.get("maximum", 2**31 - 1))
    if kind == "number":
        if "multipleOf" in schema:
            return st.integers(-10_000, 10_000).map(lambda n: round(n * schema["multipleOf"], 4))
        return st.floats(
            schema.get("minimum"), schema.get("maximum"), allow_nan=False, allow_infinity=False
        )
    if kind == "boolean":
        return st.booleans()
    return JSON_VALUES


_PAYLOADS: dict[tuple[str, str], st.SearchStrategy] = {}


def payloads(version: str, action: str) -> st.SearchStrategy:
    key = (version, action)
    if key not in _PAYLOADS:
        schema = request_schema(version, action)
        _PAYLOADS[key] = from_schema(schema, schema) if schema else st.just({})
    return _PAYLOADS[key]


def _paths(value, prefix=()):
    """Every (path, value) inside a JSON value, the root excluded."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield (*prefix, key), item
            yield from _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield (*prefix, index), item
            yield from _paths(item, (*prefix, index))


def _parent(value, path):
    for part in path[:-1]:
        value = value[part]
    return value


@st.composite
def mutated(draw, payload: dict):
    """`payload` with one mutation, or unchanged."""
    payload = json.loads(json.dumps(payload))
    paths = [path for path, _ in _paths(payload)]
    how = draw(
        st.sampled_from(
            ["keep", "keep", "drop", "retype", "extra", "long", "null", "nest", "huge", "root"]
        )
    )
    if how == "root":
        return draw(st.one_of(JSON_SCALARS, st.lists(JSON_SCALARS, max_size=3)))
    if how == "extra" or not paths:
        target = payload
        if paths and draw(st.booleans()):
            path = draw(st.sampled_from(paths))
            candidate = _parent(payload, path)[path[-1]]
            target = candidate if isinstance(candidate, dict) else payload
        target[draw(TEXT.filter(bool))] = draw(JSON_VALUES)
        return payload
    if how == "keep":
        return payload
    path = draw(st.sampled_from(paths))
    parent = _parent(payload, path)
    if how == "drop":
        del parent[path[-1]]
    elif how == "retype":
        parent[path[-1]] = draw(JSON_VALUES)
    elif how == "long":
        parent[path[-1]] = "x" * draw(st.integers(21, 3000))
    elif how == "null":
        parent[path[-1]] = None
    elif how == "nest":
        value = parent[path[-1]]
        for _ in range(draw(st.integers(1, 30))):
            value = [value] if draw(st.booleans()) else {"v": value}
        parent[path[-1]] = value
    elif how == "huge":
        parent[path[-1]] = draw(st.sampled_from([2**63, -(2**63) - 1, 10**30, 1e300, -1, 0]))
    return payload


MESSAGE_IDS = st.one_of(
    st.uuids().map(str),
    st.text(string.ascii_letters + string.digits + "-", min_size=1, max_size=36),
    st.text(max_size=40).filter(lambda t: not t.startswith(PROBE)),
)


def action_frame(version: str, action: str) -> st.SearchStrategy:
    """A Call of `action` with a schema-drawn payload, maybe mutated."""
    return st.tuples(
        MESSAGE_IDS.filter(lambda t: not t.startswith(PROBE)),
        payloads(version, action).flatmap(mutated),
    ).map(lambda pair: json.dumps([CALL, pair[0], action, pair[1]]))


def actions_of(subprotocol: str) -> list[str]:
    return sorted(adapter_class(subprotocol).known_actions)


def broken_frame(version: str, actions: list[str]) -> st.SearchStrategy:
    """Frames broken at the RPC level, or random text."""
    some_action = st.sampled_from(actions) | TEXT
    message_type = st.sampled_from([2, 3, 4, 5, 6, 7, 0, -1, 99]) | JSON_SCALARS
    as_text = st.one_of(
        st.tuples(message_type, MESSAGE_IDS | JSON_SCALARS, some_action, JSON_VALUES).map(list),
        st.tuples(st.just(CALL_RESULT), MESSAGE_IDS, JSON_VALUES).map(list),
        st.tuples(st.just(CALL_ERROR), MESSAGE_IDS, TEXT, TEXT, JSON_VALUES).map(list),
        st.lists(JSON_VALUES, max_size=6),
        JSON_VALUES,
    ).map(json.dumps)
    valid = st.sampled_from(actions).flatmap(lambda action: action_frame(version, action))
    cut = st.tuples(valid, st.integers(0, 200)).map(lambda pair: pair[0][: pair[1]])
    spliced = st.tuples(valid, st.integers(0, 200), st.sampled_from(list('[]{}",:\\ 0aé\x00'))).map(
        lambda t: t[0][: t[1]] + t[2] + t[0][t[1] :]
    )
    return st.one_of(as_text, cut, spliced, st.text(max_size=60))


# --- what an answer may be --------------------------------------------------------------


def _frame_facts(text: str, version: str) -> dict:
    """What the frame is, as far as a reader can tell: decides the answer allowed.

    kind: "call"; "reply" (a CallResult/CallError: ignored, or refused if malformed);
    "ignored" (1.6 unknown MessageTypeId, 2.1 SEND/CALLRESULTERROR, with a readable
    id: never answered); or "bad" (anything else: a CallError is due).
    """
    try:
        frame = json.loads(text)
    except (ValueError, RecursionError):
        return {"kind": "bad", "id": None}
    if not isinstance(frame, list) or len(frame) < 3:
        readable = isinstance(frame, list) and len(frame) >= 2 and isinstance(frame[1], str)
        return {"kind": "bad", "id": frame[1] if readable else None}
    message_id = frame[1] if isinstance(frame[1], str) else None
    id_ok = message_id is not None and 0 < len(message_id) <= 36
    message_type = frame[0]
    if message_type == CALL:
        action = frame[2] if len(frame) == 4 and isinstance(frame[2], str) else None
        return {"kind": "call", "id": message_id, "action": action}
    if message_type in (CALL_RESULT, CALL_ERROR):
        return {"kind": "reply", "id": message_id}
    unanswered = version == "2.1" and type(message_type) is int and message_type in (5, 6)
    if id_ok and (version == "1.6" or unanswered):
        return {"kind": "ignored", "id": message_id}
    return {"kind": "bad", "id": message_id}


def check_answer(text: str, answers: list[list], version: str) -> str:
    """Assert the answers to one frame are allowed; returns "result", "error" or "none"."""
    facts = _frame_facts(text, version)
    assert len(answers) <= 1, f"{len(answers)} answers to {text!r}: {answers}"
    if not answers:
        assert facts["kind"] in ("reply", "ignored"), f"no answer to {text[:300]!r}"
        return "none"
    answer = answers[0]
    assert facts["kind"] != "ignored", f"answered what OCPP-J says to ignore: {text!r}"
    if answer[0] == CALL_RESULT:
        assert facts["kind"] == "call", f"CallResult to a non-call {text!r}"
        assert len(answer) == 3 and answer[1] == facts["id"] and isinstance(answer[2], dict)
        known = response_known(version, facts["action"])
        assert known, f"CallResult for unknown action in {text!r}"
        error = first_error(version, facts["action"], answer[2], response=True)
        assert error is None, f"invalid {facts['action']} answer {answer[2]}: {error.message}"
        return "result"
    assert answer[0] == CALL_ERROR and len(answer) == 5, f"not an OCPP-J answer: {answer}"
    _, message_id, code, description, details = answer
    assert code in ALL_ERROR_CODES[version], f"{code!r} is no {version} error code"
    assert isinstance(description, str) and len(description) <= 255
    assert isinstance(details, dict)
    # A readable id is echoed, even one over 36 characters (OCPP_RULES 1.3), else "-1".
    assert message_id in {facts["id"], "-1"}, f"{message_id!r} answers {text[:200]!r}"
    if message_id == "-1" and len(text) > 12:
        assert text not in description, "the raw invalid frame was echoed"
    return "error"


# --- the database -----------------------------------------------------------------------


def snapshot() -> dict:
    station = ChargingStation.objects.get(station_id="FUZZ-1")
    return {
        "sessions": list(
            ChargingSession.objects.order_by("pk").values_list("pk", "state", "meter_last_wh")
        ),
        "samples": MeterSample.objects.count(),
        "session events": SessionEvent.objects.count(),
        "station events": StationEvent.objects.count(),
        "connectors": list(
            Connector.objects.order_by("pk").values_list("connector_id", "status", "error_code")
        ),
        "id tokens": IdToken.objects.count(),
        "device model": DeviceModelVariable.objects.count(),
        "station": (
            station.vendor,
            station.model,
            station.firmware_version,
            station.registration_status,
        ),
    }


def changes(before: dict, after: dict) -> dict:
    """What a refused or ignored frame changed (and must not have)."""
    found = {key: (before[key], after[key]) for key in before if before[key] != after[key]}
    return found


def check_consistent() -> None:
    """Nothing half-written, whatever was accepted."""
    assert (
        not ChargingSession.objects.exclude(connector__station=F("station"))
        .exclude(connector=None)
        .exists()
    ), "a session on another station's connector"
    assert not ChargingSession.objects.filter(ended_at__lt=F("started_at")).exists()
    assert not ChargingSession.objects.filter(energy_wh__lt=0).exists()
    assert not ChargingSession.objects.filter(state="ended", ended_at=None).exists()
    assert (
        not MeterSample.objects.exclude(session=None)
        .exclude(session__station=F("station"))
        .exists()
    ), "a sample of another station's session"
    for value in MeterSample.objects.values_list("value", flat=True):
        assert value.is_finite(), f"a meter sample of {value}"


# --- the test ---------------------------------------------------------------------------


def frames_for(subprotocol: str, chunk: tuple[str, ...]) -> st.SearchStrategy:
    """A call of each action of `chunk` and EXTRA_FRAMES random ones, shuffled."""
    version = VERSIONS[subprotocol]
    actions = actions_of(subprotocol)
    each = st.tuples(*(action_frame(version, action) for action in chunk))
    extra = st.lists(
        st.one_of(
            st.sampled_from(actions).flatmap(lambda action: action_frame(version, action)),
            broken_frame(version, actions),
        ),
        min_size=EXTRA_FRAMES,
        max_size=EXTRA_FRAMES,
    )
    return st.tuples(each, extra).flatmap(lambda pair: st.permutations([*pair[0], *pair[1]]))


def action_chunks():
    """(subprotocol, actions) test cases: every action of every version, a few a case."""
    for subprotocol in VERSIONS:
        actions = actions_of(subprotocol)
        for start in range(0, len(actions), ACTIONS_PER_CASE):
            chunk = tuple(actions[start : start + ACTIONS_PER_CASE])
            yield pytest.param(subprotocol, chunk, id=f"{subprotocol}-{chunk[0]}")


async def exchange(subprotocol: str, frames: list[str]) -> dict:
    """Send each frame and its probe over one socket; check every answer."""
    version = VERSIONS[subprotocol]
    communicator = communicator_for(
        "/ocpp/FUZZ-1",
        subprotocols=(subprotocol,),
        headers=[basic_auth("FUZZ-1", STATION_PASSWORD)],
    )
    connected, chosen = await communicator.connect(timeout=10)
    assert connected and chosen == subprotocol
    outcomes = {"result": 0, "error": 0, "none": 0}
    take_snapshot = database_sync_to_async(snapshot)
    before = await take_snapshot()
    try:
        for number, text in enumerate(frames):
            text = text or " "  # the test communicator cannot send an empty frame
            await communicator.send_to(text_data=text)
            probe_id = f"{PROBE}-{number}"
            await communicator.send_to(text_data=json.dumps([CALL, probe_id, "Heartbeat", {}]))
            answers = []
            while True:
                answer = json.loads(await communicator.receive_from(timeout=10))
                if answer[0] == CALL:  # a call of ChargeNet's own: not an answer
                    continue
                if answer[1] == probe_id:
                    assert answer[0] == CALL_RESULT, f"the probe after {text!r} got {answer}"
                    break
                answers.append(answer)
            outcome = check_answer(text, answers, version)
            outcomes[outcome] += 1
            after = await take_snapshot()
            if outcome != "result":
                changed = changes(before, after)
                assert not changed, f"{text!r} was refused but changed the database: {changed}"
            before = after
    finally:
        await communicator.disconnect()
        await message_log.flush()
        await sync_to_async(connections.close_all)()
    return outcomes


@pytest.fixture
def fuzz_station(transactional_db):
    make_station("FUZZ-1", connectors=2)
    IdToken.objects.create(value="TAG-0001")


@pytest.mark.parametrize(("subprotocol", "chunk"), list(action_chunks()))
def test_random_and_mutated_frames_always_get_a_valid_answer(fuzz_station, subprotocol, chunk):
    seen = {"result": 0, "error": 0, "none": 0}

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        # Each failure names its frame; shrinking a socket's worth of frames takes
        # minutes and would add little.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(frames=frames_for(subprotocol, chunk))
    def fuzz(frames):
        channel_layers.backends = {}  # a new event loop per example
        outcomes = async_to_sync(exchange)(subprotocol, frames)
        for key, count in outcomes.items():
            seen[key] += count
        check_consistent()

    fuzz()
    assert sum(seen.values()) >= MAX_EXAMPLES * (EXTRA_FRAMES + len(chunk)), seen


# --- bad input the fuzzing found, or the issue asks for ----------------------------------


@pytest.mark.parametrize("subprotocol", list(VERSIONS))
async def test_deeply_nested_frame_gets_a_call_error_and_the_socket_stays_open(
    fuzz_station, subprotocol
):
    communicator = communicator_for(
        "/ocpp/FUZZ-1",
        subprotocols=(subprotocol,),
        headers=[basic_auth("FUZZ-1", STATION_PASSWORD)],
    )
    assert (await communicator.connect(timeout=10))[0]
    try:
        await communicator.send_to(text_data="[" * 100_000 + "]" * 100_000)
        answer = json.loads(await communicator.receive_from(timeout=2))
        assert answer[0] == CALL_ERROR and answer[1] == "-1"
        await communicator.send_to(text_data='[2,"alive","Heartbeat",{}]')
        assert json.loads(await communicator.receive_from(timeout=5))[:2] == [3, "alive"]
    finally:
        await communicator.disconnect()


OUT_OF_RANGE = {
    # MeterSample.value holds 16 integer digits: 6.7e16 Wh does not fit.
    "ocpp1.6": [2, "m1", "MeterValues", {"connectorId": 1, "meterValue": [
        {"timestamp": "2026-11-20T10:00:00Z", "sampledValue": [{"value": "6.7e16"}]}]}],
    "ocpp2.0.1": [2, "m1", "MeterValues", {"evseId": 77, "meterValue": [
        {"timestamp": "2026-11-20T10:00:00Z", "sampledValue": [{"value": 6.7e16}]}]}],
}  # fmt: skip
OUT_OF_RANGE["ocpp2.1"] = OUT_OF_RANGE["ocpp2.0.1"]


@pytest.mark.parametrize("subprotocol", list(VERSIONS))
async def test_out_of_range_meter_value_is_not_stored_and_nothing_is_half_written(
    fuzz_station, subprotocol
):
    communicator = communicator_for(
        "/ocpp/FUZZ-1",
        subprotocols=(subprotocol,),
        headers=[basic_auth("FUZZ-1", STATION_PASSWORD)],
    )
    assert (await communicator.connect(timeout=10))[0]
    try:
        before = await database_sync_to_async(snapshot)()
        await communicator.send_to(text_data=json.dumps(OUT_OF_RANGE[subprotocol]))
        answer = json.loads(await communicator.receive_from(timeout=5))
        after = await database_sync_to_async(snapshot)()
    finally:
        await communicator.disconnect()
    if answer[0] == CALL_ERROR:
        assert answer[2] != "InternalError", "a station's bad value is no internal error"
        assert before == after
    else:
        assert answer[:2] == [CALL_RESULT, "m1"]
        assert not await MeterSample.objects.filter(value__gte=10**16).aexists()


async def _open(subprotocol: str):
    communicator = communicator_for(
        "/ocpp/FUZZ-1",
        subprotocols=(subprotocol,),
        headers=[basic_auth("FUZZ-1", STATION_PASSWORD)],
    )
    assert (await communicator.connect(timeout=10))[0]
    return communicator


async def _still_answers(communicator) -> None:
    await communicator.send_to(text_data='[2,"alive","Heartbeat",{}]')
    assert json.loads(await communicator.receive_from(timeout=5))[:2] == [CALL_RESULT, "alive"]


FRAME_TOO_LARGE = {
    "1.6": {"FormationViolation", "ProtocolError", "GenericError"},
    "2.0.1": {"FormatViolation", "RpcFrameworkError", "GenericError"},
}
FRAME_TOO_LARGE["2.1"] = FRAME_TOO_LARGE["2.0.1"]


@pytest.mark.parametrize("subprotocol", list(VERSIONS))
async def test_frame_over_the_maximum_size_gets_a_call_error_and_changes_nothing(
    fuzz_station, subprotocol, settings
):
    settings.OCPP_MAX_FRAME_SIZE = 64 * 1024
    # Valid by the schema, but 100 KiB: over the 64 KiB a station frame may have here.
    frame = [CALL, "big", "DataTransfer", {"vendorId": "V", "data": "x" * 100_000}]
    communicator = await _open(subprotocol)
    try:
        before = await database_sync_to_async(snapshot)()
        await communicator.send_to(text_data=json.dumps(frame))
        answer = json.loads(await communicator.receive_from(timeout=5))
        assert answer[0] == CALL_ERROR and answer[1] == "big", answer
        assert answer[2] in FRAME_TOO_LARGE[VERSIONS[subprotocol]]
        assert await database_sync_to_async(snapshot)() == before
        await _still_answers(communicator)
    finally:
        await communicator.disconnect()


RATE_LIMITED = {"GenericError", "SecurityError", "RpcFrameworkError", "ProtocolError"}


@pytest.mark.parametrize("subprotocol", list(VERSIONS))
async def test_message_flood_gets_call_errors_is_logged_and_the_station_stays_connected(
    fuzz_station, subprotocol, settings, flushed_log
):
    settings.OCPP_RATE_LIMIT = 5  # messages a second, sustained
    settings.OCPP_RATE_BURST = 10  # messages at once
    communicator = await _open(subprotocol)
    try:
        for number in range(40):
            await communicator.send_to(text_data=f'[2,"flood-{number}","Heartbeat",{{}}]')
        answers = [json.loads(await communicator.receive_from(timeout=5)) for _ in range(40)]
        refused = [a for a in answers if a[0] == CALL_ERROR]
        assert refused, "40 messages at once, a limit of 10: none refused"
        assert {a[2] for a in refused} <= RATE_LIMITED & ALL_ERROR_CODES[VERSIONS[subprotocol]]
        assert len(refused) <= 40 - 10
        await asyncio.sleep(1.5)  # the bucket refills: the station goes on
        await _still_answers(communicator)
    finally:
        await communicator.disconnect()
    await flushed_log()
    logged = OcppMessage.objects.filter(
        station__station_id="FUZZ-1", direction="out", error_code__in=RATE_LIMITED
    )
    assert await logged.acount() == len(refused)
