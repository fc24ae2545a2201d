"""Writing reliability's histories: connectivity periods and ChargeNet's own runs."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from reliability.models import CentralSystemRun, ConnectivityPeriod
from reliability.timeline import CENTRAL_GAP_SECONDS


@transaction.atomic
def connectivity_record(*, station_pk: int, connected: bool, at: datetime | None = None) -> None:
    """Close the station's open period; open a new one if it connected.

    A repeated "connected" (a newer socket took the station over) keeps the open
    period: the station never left.
    """
    at = at or timezone.now()
    open_period = (
        ConnectivityPeriod.objects.select_for_update()
        .filter(station_id=station_pk, ended_at__isnull=True)
        .first()
    )
    if connected:
        if open_period is None:
            ConnectivityPeriod.objects.create(station_id=station_pk, started_at=at)
        return
    if open_period is not None:
        open_period.ended_at = max(at, open_period.started_at)
        open_period.save(update_fields=["ended_at"])


@transaction.atomic
def central_alive(now: datetime | None = None) -> CentralSystemRun:
    """ChargeNet is up now: extend the newest run, or start one after a gap."""
    now = now or timezone.now()
    run = CentralSystemRun.objects.select_for_update().order_by("-started_at").first()
    if run is not None and (now - run.alive_at).total_seconds() <= CENTRAL_GAP_SECONDS:
        if now > run.alive_at:
            run.alive_at = now
            run.save(update_fields=["alive_at"])
        return run
    return CentralSystemRun.objects.create(started_at=now, alive_at=now)
