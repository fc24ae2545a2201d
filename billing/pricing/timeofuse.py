"""Time-of-use: cut a session into pieces at the local boundaries where prices change.

Boundaries are wall-clock times in the site's time zone, so a DST change moves them
in UTC. A piece never straddles a boundary, so one rule (or none) holds for a whole
piece; adjacent pieces under the same rule are merged.
"""

import math
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from billing.pricing.facts import TimeOfUseRule

ONE_DAY = timedelta(days=1)

Piece = tuple[datetime, datetime, TimeOfUseRule | None]


@lru_cache(maxsize=256)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name or "UTC")


def rule_at(rules: tuple[TimeOfUseRule, ...], moment: datetime, tz: ZoneInfo):
    """The first rule in force at `moment` (local weekday and time), or None."""
    local = moment.astimezone(tz)
    weekday, clock = local.weekday(), local.time().replace(tzinfo=None)
    for rule in rules:
        if _covers(rule, weekday, clock):
            return rule
    return None


def _covers(rule: TimeOfUseRule, weekday: int, clock: time) -> bool:
    if rule.start < rule.end:
        return weekday in rule.weekdays and rule.start <= clock < rule.end
    # Past midnight (or 24 hours when start == end): the evening belongs to the
    # rule's weekday, the early morning to the day after it.
    return (weekday in rule.weekdays and clock >= rule.start) or (
        (weekday - 1) % 7 in rule.weekdays and clock < rule.end
    )


def pieces(
    rules: tuple[TimeOfUseRule, ...], start: datetime, end: datetime, tz_name: str
) -> list[Piece]:
    """[start, end) cut where the rule in force changes; one piece if there are no rules."""
    if not rules or end <= start:
        return [(start, end, rule_at(rules, start, zone(tz_name)) if rules else None)]
    tz = zone(tz_name)
    cuts = [start, *_boundaries(rules, start, end, tz), end]
    result: list[Piece] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        rule = rule_at(rules, a, tz)
        if result and result[-1][2] is rule:
            result[-1] = (result[-1][0], b, rule)
        else:
            result.append((a, b, rule))
    return result


def _boundaries(rules, start: datetime, end: datetime, tz: ZoneInfo) -> list[datetime]:
    """Instants strictly inside (start, end) where a rule may begin or end."""
    first = start.astimezone(tz).date() - ONE_DAY
    last = end.astimezone(tz).date() + ONE_DAY
    clocks = {time(0), *(r.start for r in rules), *(r.end for r in rules)}
    found = set()
    day = first
    while day <= last:
        for clock in clocks:
            found.update(_instants(day, clock, tz))
        day += ONE_DAY
    inside = sorted(moment for moment in found if start < moment < end)
    changes = _offset_changes([start, *inside, end], tz)
    return sorted({*inside, *(moment for moment in changes if moment < end)})


@lru_cache(maxsize=8192)
def _instants(day: date, clock: time, tz: ZoneInfo) -> frozenset[datetime]:
    # Both folds: a wall time repeated when clocks go back happens twice.
    local = datetime.combine(day, clock, tzinfo=tz)
    return frozenset((local.astimezone(UTC), local.replace(fold=1).astimezone(UTC)))


def _offset_changes(moments: list[datetime], tz: ZoneInfo) -> list[datetime]:
    """DST transitions between consecutive moments, to the second.

    A wall time skipped when clocks go forward (02:30) takes effect at the jump
    itself, which no wall time names: find it by bisection.
    """
    changes = []
    for a, b in zip(moments, moments[1:], strict=False):
        before = a.astimezone(tz).utcoffset()
        if before == b.astimezone(tz).utcoffset():
            continue
        # Transitions fall on whole seconds: offset(low) == before != offset(high).
        low, high = math.floor(a.timestamp()), math.ceil(b.timestamp())
        while high - low > 1:
            middle = (low + high) // 2
            if datetime.fromtimestamp(middle, tz).utcoffset() == before:
                low = middle
            else:
                high = middle
        changes.append(datetime.fromtimestamp(high, UTC))
    return changes
