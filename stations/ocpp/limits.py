"""How much one station may send: every frame counts, by number and by size.

Calls, replies and frames that are not OCPP at all are counted alike, so a station
cannot flood the server (or its message log) with what it never asked to be answered.
The one exception is the answer to a command of ours that is still waiting for it
(stations/ocpp/base.py): commands go one at a time, so their answers cannot flood,
and dropping one would end a command the station carried out as a timeout.
A frame past a limit is refused; a station refused `OCPP_RATE_REFUSALS` times without
a pause of `REFUSAL_PAUSE` seconds between refusals has stayed over its limits and is
disconnected (stations/ocpp/base.py tells the socket).
"""

import math
import time

from django.conf import settings

#: Seconds without a refusal after which a station's run of refusals starts over.
REFUSAL_PAUSE = 1.0


class TokenBucket:
    """`burst` at once, `rate` a second after; both read from settings on each take."""

    def __init__(self, rate_setting: str, burst_setting: str) -> None:
        self._rate_setting, self._burst_setting = rate_setting, burst_setting
        self.tokens = float(getattr(settings, burst_setting))
        self.updated = time.monotonic()

    def take(self, amount: float = 1) -> bool:
        now = time.monotonic()
        rate = getattr(settings, self._rate_setting)
        burst = getattr(settings, self._burst_setting)
        self.tokens = min(burst, self.tokens + (now - self.updated) * rate)
        self.updated = now
        amount = min(amount, burst)  # a frame larger than the burst may pass when it is full
        if self.tokens < amount:
            return False
        self.tokens -= amount
        return True


def frame_bytes(text: str) -> int:
    """The frame's size in UTF-8 bytes; cheap for the usual ASCII frame."""
    return len(text) if text.isascii() else len(text.encode("utf-8", "surrogatepass"))


class FrameLimits:
    """One station's limits: OCPP_RATE_LIMIT/BURST frames, OCPP_RATE_BYTES/_BURST bytes."""

    def __init__(self) -> None:
        self.frames = TokenBucket("OCPP_RATE_LIMIT", "OCPP_RATE_BURST")
        self.bytes = TokenBucket("OCPP_RATE_BYTES", "OCPP_RATE_BYTES_BURST")
        self.refusals = 0  # in the current run of refusals
        self.dropped = 0  # frames refused without an answer, over the connection
        self._last_refusal = -math.inf

    def admit(self, text: str) -> bool:
        """Count the frame; False if it is over a limit."""
        if self.frames.take() and self.bytes.take(frame_bytes(text)):
            return True
        now = time.monotonic()
        if now - self._last_refusal > REFUSAL_PAUSE:
            self.refusals = 0
        self.refusals += 1
        self._last_refusal = now
        return False

    @property
    def exhausted(self) -> bool:
        """The station has stayed over its limits: it is to be disconnected."""
        return self.refusals >= settings.OCPP_RATE_REFUSALS
