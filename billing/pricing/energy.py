"""Energy per time-of-use piece, from the energy register readings; integer Wh."""

from bisect import bisect_right
from datetime import datetime, timedelta

from billing.pricing.facts import SessionFacts

US = timedelta(microseconds=1)


def energy_at_cuts(facts: SessionFacts, cuts: list[datetime]) -> list[int]:
    """Energy delivered since the start at each cut, in whole Wh, never decreasing.

    The register is interpolated linearly between readings, clamped between 0 and the
    session's energy, and pinned to 0 at the start and `energy_wh` at the end, so the
    pieces' energies (differences of consecutive cuts) add up to the session's energy
    exactly. Without readings the energy is spread evenly over time.
    """
    start, end, total = facts.started_at, facts.end, max(0, facts.energy_wh)
    times, values = [start], [0]
    for reading in sorted(facts.readings, key=lambda r: r.at):
        if reading.energy_wh is None or not start < reading.at < end:
            continue
        delivered = int(reading.energy_wh) - facts.meter_start_wh
        times.append(reading.at)
        values.append(min(total, max(values[-1], delivered)))  # a meter never goes back
    times.append(end)
    values.append(total)
    return [_interpolate(times, values, cut) for cut in cuts]


def _interpolate(times: list[datetime], values: list[int], moment: datetime) -> int:
    index = bisect_right(times, moment)
    if index >= len(times):
        return values[-1]
    if index == 0:
        return values[0]
    t0, t1, v0, v1 = times[index - 1], times[index], values[index - 1], values[index]
    span = (t1 - t0) // US
    if span == 0:
        return v1
    numerator = (v1 - v0) * ((moment - t0) // US)
    return v0 + (2 * numerator + span) // (2 * span)  # half up, in integers
