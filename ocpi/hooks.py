"""What ChargeNet's events push to connected parties (subscribed in OcpiConfig.ready).

A connector's new status PATCHes its EVSE on every registered party's locations
endpoint (`{url}/{country_code}/{party_id}/{location_id}/{evse_uid}`), when its site is
published. Best effort towards the caller: a failure here never fails the OCPP
message that changed the status; the delivery itself is retried (ocpi/pushes.py).
"""

import logging

from django.conf import settings

from ocpi import locations, pushes
from ocpi.models import Party, SitePublication
from stations import events
from stations.models import ChargingStation

logger = logging.getLogger(__name__)


def subscribe() -> None:
    events.subscribe("connector.status", connector_status)
    events.subscribe("station.connected", station_connected)


def _receivers(module: str) -> list[tuple[Party, str]]:
    parties = Party.objects.filter(status=Party.Status.REGISTERED)
    return [(p, url.rstrip("/")) for p in parties if (url := p.endpoint(module))]


def connector_status(kind: str, station_pk: int | None, data: dict) -> None:
    try:
        _push_evses(station_pk, data.get("connector"))
    except Exception:  # noqa: BLE001 - see the module's docstring
        logger.exception("OCPI status push for station %s failed to queue", station_pk)


def station_connected(kind: str, station_pk: int | None, data: dict) -> None:
    """Connected or not changes every EVSE's status (UNKNOWN while offline)."""
    try:
        _push_evses(station_pk, None)
    except Exception:  # noqa: BLE001
        logger.exception("OCPI status push for station %s failed to queue", station_pk)


def _push_evses(station_pk: int | None, connector_number: int | None) -> None:
    receivers = _receivers("locations")
    if not receivers or station_pk is None:
        return
    station = ChargingStation.objects.filter(pk=station_pk).first()
    if station is None or station.site_id is None:
        return
    publication = SitePublication.objects.filter(site_id=station.site_id, published=True).first()
    if publication is None:
        return
    for (pk, number), (evse_station, _, connectors) in locations.evses_of(publication).items():
        if pk != station_pk:
            continue
        if connector_number and connector_number not in {c.connector_id for c in connectors}:
            continue
        evse = locations.evse_object(evse_station, number, connectors)
        body = {"status": evse["status"], "last_updated": evse["last_updated"]}
        path = (
            f"{settings.OCPI_COUNTRY_CODE}/{settings.OCPI_PARTY_ID}/"
            f"{publication.location_id}/{evse['uid']}"
        )
        for party, url in receivers:
            pushes.queue(party, "locations", "PATCH", f"{url}/{path}", body)
