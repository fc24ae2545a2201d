"""Facts derived from meter readings where the status history has nothing to say."""

from datetime import datetime
from decimal import Decimal

from billing.pricing.facts import Reading, StatusPeriod

# Below this a car is taken to draw no power (a meter may show a few W of standby).
IDLE_POWER_W = Decimal(10)


def idle_periods_from_readings(
    readings: tuple[Reading, ...], start: datetime, end: datetime
) -> tuple[StatusPeriod, ...]:
    """SuspendedEV periods wherever active power stayed at or below IDLE_POWER_W.

    For sessions on connectors without recorded status history: a run of idle
    readings lasts from its first reading until the next reading that draws power,
    or the session's end.
    """
    periods: list[StatusPeriod] = []
    idle_since: datetime | None = None
    for reading in sorted(readings, key=lambda r: r.at):
        if reading.power_w is None or not start <= reading.at <= end:
            continue
        idle = Decimal(reading.power_w) <= IDLE_POWER_W
        if idle and idle_since is None:
            idle_since = reading.at
        elif not idle and idle_since is not None:
            periods.append(StatusPeriod("SuspendedEV", idle_since, reading.at))
            idle_since = None
    if idle_since is not None and idle_since < end:
        periods.append(StatusPeriod("SuspendedEV", idle_since, end))
    return tuple(periods)
