"""A new station's first status reports, expected after its boot.

A station that boots having never reported a status (a new station's first boot) most
likely reports each connector for the first time next. The status service then
stores those reports without the read that looks for a repeat: in a burst of new
stations it was a round trip each. The writes check the guess (a connector that
exists after all, or a station whose status was set meanwhile, goes the usual way).
One process's memory: a station's boot and its reports arrive on the same socket.
"""

import time

WITHIN = 60.0  # seconds after the boot
_unreported: dict[int, tuple[float, set]] = {}  # station -> (until when, reported since)


def expected(station_pk: int, never_reported: bool) -> None:
    """The station booted; `never_reported`: it has never reported a status."""
    if not never_reported:
        _unreported.pop(station_pk, None)
        return
    now = time.monotonic()
    if len(_unreported) >= 10_000:  # the rest of a burst long past
        for pk, (until, _) in list(_unreported.items()):
            if until < now:
                _unreported.pop(pk, None)
    _unreported[station_pk] = (now + WITHIN, set())


def likely(station_pk: int, reported) -> bool:
    """Whether this is most likely the first report of `reported` (a connector number or
    an EVSE's (id, connector)); a guess made once per connector."""
    entry = _unreported.get(station_pk)
    if entry is None or entry[0] < time.monotonic() or reported in entry[1]:
        return False
    entry[1].add(reported)
    return True
