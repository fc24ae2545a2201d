"""Whether a station is there: the socket that holds it, when it was last heard of, and
the transaction that makes several writes of one OCPP message all or nothing.

A newer socket always wins a station; an older one that closes late leaves the
station as the newer one left it. A server that starts alone holds no sockets yet
and marks every station offline.
"""

from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from stations import events
from stations.models import ChargingStation


def all_in_one_transaction(*, station_pk: int, calls: list[tuple[Callable, dict]]) -> None:
    """Several service calls of one message, all or nothing (a refused frame leaves
    none of them behind)."""
    with transaction.atomic():
        for service, kwargs in calls:
            service(station_pk=station_pk, **kwargs)


def station_connect(*, station_pk: int, channel_name: str, ocpp_version: str) -> None:
    """Mark the station as held by this socket (a newer socket always wins)."""
    now = timezone.now()
    ChargingStation.objects.filter(pk=station_pk).update(
        connected=True,
        connection_channel=channel_name,
        ocpp_version=ocpp_version,
        last_seen=now,
    )
    events.publish(
        "station.connected", station_pk, {"connected": True, "ocpp_version": ocpp_version}
    )


def station_disconnect(*, station_pk: int, channel_name: str) -> None:
    """Mark the station offline, unless a newer socket holds it already."""
    updated = ChargingStation.objects.filter(pk=station_pk, connection_channel=channel_name).update(
        connected=False, connection_channel="", last_seen=timezone.now()
    )
    if updated:
        events.publish("station.connected", station_pk, {"connected": False})


def stations_mark_offline() -> int:
    """Mark every station offline (a sole server starting holds no sockets yet)."""
    return ChargingStation.objects.filter(connected=True).update(
        connected=False, connection_channel=""
    )


def station_touch(*, station_pk: int) -> None:
    ChargingStation.objects.filter(pk=station_pk).update(last_seen=timezone.now())


def stations_touch(*, station_pks: list[int]) -> None:
    """`station_touch` for many stations heard from at once: one query."""
    ChargingStation.objects.filter(pk__in=station_pks).update(last_seen=timezone.now())
