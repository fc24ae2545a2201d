"""The protocol layer's Prometheus metrics: frames, CallErrors, reply latency.

Counted per process (prometheus_client's default registry, served by
runtime/metrics.py). Every frame in and out passes `OcppMetrics.frame`, so its cost is
kept to a few set and dict lookups and one or two increments: the label children are
made once and cached. Labels a station chooses (an action name, an error code) are
bounded first, to the version's actions and the OCPP-J error codes, so a hostile
station cannot grow the metrics (or the cache) without end.
"""

from prometheus_client import Counter, Histogram

from stations.ocpp.framing import CALL, CALL_ERROR, CALL_RESULT, CALL_RESULT_ERROR, SEND

FRAMES = Counter(
    "chargenet_ocpp_frames",
    "OCPP frames received from (in) and sent to (out) stations.",
    ["direction", "version", "type", "action"],
)
CALL_ERRORS = Counter(
    "chargenet_ocpp_call_errors",
    "OCPP CallErrors sent to stations (out) and received from them (in), by error code.",
    ["direction", "version", "code"],
)
REPLY_SECONDS = Histogram(
    "chargenet_ocpp_reply_seconds",
    "Seconds from a station's Call arriving to ChargeNet's CallResult or CallError sent.",
    ["version", "action"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
FRAMES_DROPPED = Counter(
    "chargenet_ocpp_frames_dropped",
    "Frames (replies, malformed) a station sent past its limits, dropped unlogged.",
    ["version"],
)

TYPES = {
    CALL: "call",
    CALL_RESULT: "callresult",
    CALL_ERROR: "callerror",
    CALL_RESULT_ERROR: "callresulterror",
    SEND: "send",
    None: "malformed",
}
#: Every OCPP-J error code of 1.6, 2.0.1 and 2.1; any other code counts as "other".
ERROR_CODES = frozenset(
    {
        "NotImplemented",
        "NotSupported",
        "InternalError",
        "ProtocolError",
        "SecurityError",
        "FormationViolation",
        "FormatViolation",
        "PropertyConstraintViolation",
        "OccurenceConstraintViolation",
        "OccurrenceConstraintViolation",
        "TypeConstraintViolation",
        "GenericError",
        "MessageTypeNotSupported",
        "RpcFrameworkError",
    }
)
OTHER = "other"


class OcppMetrics:
    """One OCPP version's metrics, with their label children cached."""

    def __init__(self, version: str, actions: frozenset[str]):
        self.version = version
        self.actions = actions
        self._frames: dict[tuple, tuple] = {}
        self._replies: dict[str, object] = {}
        self._dropped = FRAMES_DROPPED.labels(version)

    def frame(self, direction: str, message_type: int | None, action: str, code: str) -> None:
        """Count one frame ("in" or "out"), and its error code if it is a CallError."""
        if action and action not in self.actions:
            action = OTHER
        if code and code not in ERROR_CODES:
            code = OTHER
        key = (direction, message_type, action, code)
        children = self._frames.get(key)
        if children is None:
            children = self._frames[key] = self._children(key)
        for child in children:
            child.inc()

    def _children(self, key: tuple) -> tuple:
        direction, message_type, action, code = key
        kind = TYPES.get(message_type, OTHER)
        children = [FRAMES.labels(direction, self.version, kind, action)]
        if message_type in (CALL_ERROR, CALL_RESULT_ERROR):
            children.append(CALL_ERRORS.labels(direction, self.version, code or OTHER))
        return tuple(children)

    def replied(self, action: str, seconds: float) -> None:
        """A station's Call was answered `seconds` after it arrived."""
        if action not in self.actions:
            action = OTHER
        child = self._replies.get(action)
        if child is None:
            child = self._replies[action] = REPLY_SECONDS.labels(self.version, action)
        child.observe(seconds)

    def dropped(self) -> None:
        self._dropped.inc()
