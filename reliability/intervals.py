"""Half-open time intervals [start, end): the arithmetic the outage log is made of."""

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import NamedTuple


class Interval(NamedTuple):
    start: datetime
    end: datetime

    @property
    def seconds(self) -> int:
        return max(0, int((self.end - self.start).total_seconds()))


def merged(intervals: Iterable[Interval]) -> list[Interval]:
    """The union, as sorted intervals that neither overlap nor touch."""
    out: list[Interval] = []
    for start, end in sorted(i for i in intervals if i.end > i.start):
        if out and start <= out[-1].end:
            if end > out[-1].end:
                out[-1] = Interval(out[-1].start, end)
        else:
            out.append(Interval(start, end))
    return out


def clipped(intervals: Iterable[Interval], window: Interval) -> list[Interval]:
    """The parts of `intervals` inside `window`."""
    return [
        Interval(max(i.start, window.start), min(i.end, window.end))
        for i in intervals
        if i.end > window.start and i.start < window.end
    ]


def gaps(intervals: Iterable[Interval], window: Interval) -> list[Interval]:
    """The parts of `window` that no interval covers."""
    out, at = [], window.start
    for i in merged(clipped(intervals, window)):
        if i.start > at:
            out.append(Interval(at, i.start))
        at = max(at, i.end)
    if at < window.end:
        out.append(Interval(at, window.end))
    return out


def overlap_seconds(a: Iterable[Interval], b: Iterable[Interval]) -> int:
    """Seconds covered by both (each side merged first, so nothing counts twice)."""
    total, b = 0, merged(b)
    for i in merged(a):
        total += sum(
            Interval(max(i.start, j.start), min(i.end, j.end)).seconds
            for j in b
            if j.end > i.start and j.start < i.end
        )
    return total


def total_seconds(intervals: Iterable[Interval]) -> int:
    return sum(i.seconds for i in merged(intervals))


def steps(window: Interval, every: timedelta) -> list[Interval]:
    """`window` cut into consecutive intervals of `every` (the last one may be shorter)."""
    out, at = [], window.start
    while at < window.end:
        out.append(Interval(at, min(at + every, window.end)))
        at += every
    return out
