"""Connector status history: one period per status, for idle fees and fault counts."""

from datetime import datetime

from django.db import transaction

from billing.models import ConnectorStatusPeriod
from billing.pricing import IDLE_STATUSES
from billing.services.sessions import session_price_later
from stations.models import ChargingSession


@transaction.atomic(savepoint=False)  # all or nothing with its caller's transaction
def status_history_record(
    *, station_pk: int, connector_id: int, status: str, at: datetime, error_code: str = ""
) -> ConnectorStatusPeriod:
    """Close the open period and open one for `status` at `at`; a repeated status is a no-op.

    A late report (before the open period began) starts its period where the open one
    began, so periods never overlap. Closing an idle period after a session has ended
    re-prices that session: its idle fee grew while the car blocked the connector.
    """
    current = (
        ConnectorStatusPeriod.objects.select_for_update()
        .filter(station_id=station_pk, connector_id=connector_id, ended_at__isnull=True)
        .first()
    )
    if current is not None:
        if current.status == status:
            if current.error_code != error_code:
                current.error_code = error_code
                current.save(update_fields=["error_code"])
            return current
        at = max(at, current.started_at)
        current.ended_at = at
        current.save(update_fields=["ended_at"])
        if current.status in IDLE_STATUSES:
            _reprice_after_idle(station_pk, connector_id, current)
    return ConnectorStatusPeriod.objects.create(
        station_id=station_pk,
        connector_id=connector_id,
        status=status,
        error_code=error_code,
        started_at=at,
    )


def _reprice_after_idle(station_pk: int, connector_id: int, period: ConnectorStatusPeriod) -> None:
    if connector_id == 0:
        return
    session = (
        ChargingSession.objects.filter(
            station_id=station_pk,
            connector__connector_id=connector_id,
            started_at__lt=period.ended_at,
        )
        .order_by("-started_at")
        .first()
    )
    if session and session.state == ChargingSession.State.ENDED:
        session_price_later(session_pk=session.pk)
