"""Counters and reply latencies of the stations one process simulates."""

import math
import time
from array import array
from dataclasses import dataclass, field


@dataclass
class Stats:
    """Shared by every station of a run; cheap enough for thousands of them.

    `reply_times`/`latencies_ms` hold one entry per CallResult or CallError: when it
    arrived (time.monotonic(), comparable across processes on one Linux machine) and
    how long after our Call went out.
    """

    keep_samples: bool = True
    answered: int = 0  # CallResults received
    call_errors: int = 0  # CallErrors received
    timeouts: int = 0  # calls with no answer in time
    connects: int = 0  # sockets opened
    refused: int = 0  # handshakes the server refused (401, 404, ...)
    busy: int = 0  # handshakes answered 503: the server asked us to come back later
    connect_failures: int = 0  # sockets that did not open (reset, timeout, bad handshake)
    disconnects: int = 0
    boots: int = 0  # BootNotifications answered Accepted
    sessions_started: int = 0
    sessions_stopped: int = 0
    connected: int = 0  # gauge: sockets open now
    accepted: int = 0  # gauge: stations open now and accepted by the CSMS
    reply_times: array = field(default_factory=lambda: array("d"))
    latencies_ms: array = field(default_factory=lambda: array("d"))

    def reply(self, latency_s: float, error: bool = False) -> None:
        if error:
            self.call_errors += 1
        else:
            self.answered += 1
        if self.keep_samples:
            self.reply_times.append(time.monotonic())
            self.latencies_ms.append(latency_s * 1000.0)

    def counters(self) -> dict:
        return {
            name: getattr(self, name)
            for name in (
                "answered",
                "call_errors",
                "timeouts",
                "connects",
                "refused",
                "busy",
                "connect_failures",
                "disconnects",
                "boots",
                "sessions_started",
                "sessions_stopped",
                "connected",
                "accepted",
            )
        }


def percentile(values, fraction: float) -> float | None:
    """The `fraction` quantile (0..1) of `values`, nearest-rank; None when empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(0, min(len(ordered) - 1, math.ceil(fraction * len(ordered)) - 1))
    return ordered[rank]
