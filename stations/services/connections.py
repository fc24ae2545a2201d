"""Whether a station is there: the socket that holds it, when it was last heard of, and
the transaction that makes several writes of one OCPP message all or nothing.

A newer socket always wins a station; an older one that closes late leaves the
station as the newer one left it. A server that starts alone holds no sockets yet
and marks every station offline.

Presence that cannot lie: each server process holds a renewable lease
(`ServerLease`, renewed by runtime/presence.py) and a station records which
process's lease holds it (`connection_process`). A process killed without closing
its sockets stops renewing; once its lease has expired, the next sweep of any other
process marks its stations offline (`stations_sweep`). A process whose own lease
lapsed while it was alive (its database was away) marks the stations it still holds
connected again as soon as it renews.
"""

import os
import secrets
import socket
from collections.abc import Callable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from runtime import sql
from stations import events
from stations.models import ChargingStation, ServerLease

#: This process's lease: what the `connection_process` of the stations it holds says.
PROCESS_NAME = f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(4)}"
#: Station pk -> channel of the socket this process holds for it (the lease's stations).
_held: dict[int, str] = {}
#: Renewals that still mark the held stations connected again after a lapse: a sweep
#: that began before the renewal may mark a station offline just after the first one.
RESTORE_ROUNDS = 2
#: Held stations checked by one statement when restoring (under any driver's limit).
RESTORE_CHUNK = 5000
_restore_rounds = 0


def all_in_one_transaction(*, station_pk: int, calls: list[tuple[Callable, dict]]) -> None:
    """Several service calls of one message, all or nothing (a refused frame leaves
    none of them behind)."""
    with transaction.atomic():
        for service, kwargs in calls:
            service(station_pk=station_pk, **kwargs)


def station_connect(*, station_pk: int, channel_name: str, ocpp_version: str) -> None:
    """Mark the station as held by this socket (a newer socket always wins), with what
    subscribers write of it (reliability's connectivity) in the same round trip."""
    held = (
        f"UPDATE {sql.table(ChargingStation)} SET connected = %s, connection_channel = %s,"
        " connection_process = %s, ocpp_version = %s, last_seen = %s WHERE id = %s",
        [True, channel_name, PROCESS_NAME, ocpp_version, sql.moment(timezone.now()), station_pk],
    )
    data = {"connected": True, "ocpp_version": ocpp_version}
    parts = events.joined("station.connected", station_pk, data)
    if parts is None:
        sql.execute(*held)
    else:
        _, parts = events.send_joined([held], parts)
    _held[station_pk] = channel_name
    events.publish("station.connected", station_pk, data, joined=parts)


def station_disconnect(*, station_pk: int, channel_name: str) -> None:
    """Mark the station offline, unless a newer socket holds it already."""
    if _held.get(station_pk) == channel_name:
        _held.pop(station_pk, None)
    updated = sql.execute(  # plain SQL: a storm's thousands of dropped sockets each ask it
        f"UPDATE {sql.table(ChargingStation)} SET connected = %s, connection_channel = '',"
        " last_seen = %s WHERE id = %s AND connection_channel = %s",
        [False, sql.moment(timezone.now()), station_pk, channel_name],
    )
    if updated:
        events.publish("station.connected", station_pk, {"connected": False})


def stations_mark_offline() -> int:
    """Mark every station offline (a sole server starting holds no sockets yet)."""
    return ChargingStation.objects.filter(connected=True).update(
        connected=False, connection_channel="", connection_process=""
    )


def stations_held() -> int:
    """How many stations this process holds a socket for."""
    return len(_held)


def lease_renew(*, ttl: float) -> bool:
    """Renew this process's lease for `ttl` seconds (taken out on the first call).

    Returns True when the lease had lapsed (expired, or removed by a sweep): the
    stations this process still holds are then marked connected again, on this
    renewal and the next one (RESTORE_ROUNDS).
    """
    global _restore_rounds
    now = timezone.now()
    expires = now + timedelta(seconds=ttl)
    renewed = ServerLease.objects.filter(name=PROCESS_NAME, expires_at__gte=now).update(
        renewed_at=now, expires_at=expires
    )
    lapsed = not renewed
    if lapsed:
        ServerLease.objects.update_or_create(
            name=PROCESS_NAME,
            defaults={"renewed_at": now, "expires_at": expires},
            create_defaults={"started_at": now, "renewed_at": now, "expires_at": expires},
        )
        _restore_rounds = RESTORE_ROUNDS
    if _restore_rounds:
        _restore_rounds -= 1
        _held_restore()
    return lapsed


def _held_restore() -> None:
    """Mark connected again the held stations a sweep marked offline (no newer socket
    has taken them since: their channel is still empty)."""
    held = dict(_held)
    pks = list(held)
    # Read in chunks, each a statement: the renewal after a process's first lease runs
    # this with every station of a burst held, and nearly none of them was swept.
    swept = (
        station_pk
        for start in range(0, len(pks), RESTORE_CHUNK)
        for station_pk in ChargingStation.objects.filter(
            pk__in=pks[start : start + RESTORE_CHUNK], connected=False, connection_channel=""
        ).values_list("pk", flat=True)
    )
    for station_pk in swept:
        channel_name = held[station_pk]
        restored = ChargingStation.objects.filter(
            pk=station_pk, connected=False, connection_channel=""
        ).update(connected=True, connection_channel=channel_name, connection_process=PROCESS_NAME)
        if restored and _held.get(station_pk) == channel_name:
            events.publish("station.connected", station_pk, {"connected": True})


def stations_sweep(*, unleased: bool = False) -> list[int]:
    """Mark offline the stations whose process's lease has expired or is gone, and
    forget the expired leases; returns the stations marked offline.

    `unleased` also takes connected stations that name no process (marked connected
    before leases existed): for a process that starts, when no socket can hold them.
    """
    now = timezone.now()
    live = ServerLease.objects.filter(expires_at__gte=now).values("name")
    orphans = ChargingStation.objects.filter(connected=True).exclude(connection_process__in=live)
    if not unleased:
        orphans = orphans.exclude(connection_process="")
    swept = []
    for station_pk, process in orphans.values_list("pk", "connection_process"):
        # One statement that checks the lease again: a station a live process took
        # over meanwhile, or a lease renewed meanwhile, is left alone.
        with transaction.atomic():
            gone = (
                ChargingStation.objects.filter(
                    pk=station_pk, connected=True, connection_process=process
                )
                .exclude(connection_process__in=live)
                .update(connected=False, connection_channel="", connection_process="")
            )
            if gone:
                events.publish("station.connected", station_pk, {"connected": False})
                swept.append(station_pk)
    ServerLease.objects.filter(expires_at__lt=now).exclude(name=PROCESS_NAME).delete()
    return swept


def station_touch(*, station_pk: int) -> None:
    ChargingStation.objects.filter(pk=station_pk).update(last_seen=timezone.now())


def stations_touch(*, station_pks: list[int]) -> None:
    """`station_touch` for many stations heard from at once: one query."""
    ChargingStation.objects.filter(pk__in=station_pks).update(last_seen=timezone.now())
