"""What billing does when the station core announces something (stations/events.py).

- `session.started`, after the commit: fix the session to the tariff version in force
  now (billing/services/versions.py), the price it will be billed at.
- `session.ended`, after the commit: price the session (queued, so the OCPP message
  that ended it never waits for pricing, and only an end that committed is priced).
- CONNECTOR_STATUS_RECORDED, inside the transaction that stored the status: keep the
  connector status history idle fees are priced from, all or nothing with the status
  (a first report's period as a statement sent with the report's write).

And what the station core asks: billing is its cost provider (stations/services/costs.py),
the cost 2.0.1 stations show drivers, from the engine and the price the invoice uses.

Subscribed once per process, in BillingConfig.ready(); stations never import billing.
Tariff versions are written on the tariff models' signals, connected here too.
"""

import logging

from billing.services import sessions, status, versions
from stations import events
from stations.models import ChargingSession
from stations.services import costs

logger = logging.getLogger(__name__)


def session_started(kind: str, station_pk: int | None, data: dict) -> None:
    try:
        session = ChargingSession.objects.select_related("station").get(pk=data["session"])
        versions.session_tariff_fix(session)
    except Exception:  # noqa: BLE001 - the start is stored; pricing fixes the version then
        logger.exception("Could not fix the tariff version of session %s", data["session"])


def session_ended(kind: str, station_pk: int | None, data: dict) -> None:
    sessions.session_price_later(session_pk=data["session"])


def _status_report(station_pk: int | None, data: dict) -> dict:
    """A CONNECTOR_STATUS_RECORDED event as the status history's arguments."""
    return {
        "station_pk": station_pk,
        "connector_id": data["connector"],
        "status": data["status"],
        "at": data["at"],
        "error_code": data["error_code"],
        "received_at": data.get("received_at"),
        "station_clock": data.get("station_clock", False),
        "inferred": data.get("inferred", False),
    }


def connector_status_recorded(kind: str, station_pk: int | None, data: dict) -> None:
    status.status_history_record(
        **_status_report(station_pk, data), first_report=data.get("first_report", False)
    )


def connector_status_joined(kind: str, station_pk: int | None, data: dict) -> events.Joined | None:
    """A first report written in one round trip: its first period's statement with it."""
    if not data.get("first_report"):
        return None
    return events.Joined(*status.first_period(**_status_report(station_pk, data)))


def subscribe() -> None:
    versions.versions_connect()
    events.subscribe("session.started", session_started)
    events.subscribe("session.ended", session_ended)
    events.subscribe(
        events.CONNECTOR_STATUS_RECORDED,
        connector_status_recorded,
        in_transaction=True,
        joined=connector_status_joined,
    )
    costs.cost_provider_register(sessions.session_total_cost)
