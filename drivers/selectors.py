"""Read queries about one driver's charging for the drivers' live socket (/ws/me/).

Nothing here writes; a driver is named by the user's pk, as the socket keeps it.
"""

from datetime import timedelta

from django.utils import timezone

from stations.models import ChargingSession, Command

# A remote start this recent still has the driver listen to its station's events.
RECENT_START = timedelta(minutes=5)


def driver_live_station_pks(user_pk: int) -> set[int]:
    """Stations where the driver charges now or has just asked for a remote start."""
    active = ChargingSession.objects.filter(
        id_token__owner_id=user_pk, state=ChargingSession.State.ACTIVE
    ).values_list("station_id", flat=True)
    started = Command.objects.filter(
        requested_by_id=user_pk,
        action="remote_start",
        created_at__gte=timezone.now() - RECENT_START,
    ).values_list("station_id", flat=True)
    return set(active) | set(started)


def driver_owns_session(user_pk: int, session_pk: int) -> bool:
    """Whether the session was started with one of the driver's own cards."""
    return ChargingSession.objects.filter(pk=session_pk, id_token__owner_id=user_pk).exists()
