"""What ChargeNet's events push to connected parties (subscribed in OcpiConfig.ready).

A connector's new status PATCHes its EVSE on every registered party's locations
endpoint (`{url}/{country_code}/{party_id}/{location_id}/{evse_uid}`), when its site is
published. A roaming driver's session is PUT to its party while it charges, and its
CDR POSTed once priced (ocpi/sessions.py). Best effort towards the caller: a failure
here never fails the OCPP message that changed the status; the delivery itself is
retried (ocpi/pushes.py).
"""

import logging
import time

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save

from ocpi import locations, pushes, sessions
from ocpi.models import Party, SitePublication
from stations import events
from stations.models import ChargingSession, ChargingStation, Connector, Site

logger = logging.getLogger(__name__)

#: Registered parties are read again after this many seconds (at once when this process
#: saves or deletes one): every connect and status change asks, and most have none.
CACHE_SECONDS = 5.0
_parties: dict = {"at": -1e9, "rows": []}


def subscribe() -> None:
    post_save.connect(publication_saved, sender=SitePublication, dispatch_uid="ocpi-location-put")
    for model in (Site, ChargingStation, Connector):
        name = model.__name__.lower()
        post_save.connect(location_changed, sender=model, dispatch_uid=f"ocpi-{name}-saved")
        post_delete.connect(location_changed, sender=model, dispatch_uid=f"ocpi-{name}-deleted")
    post_save.connect(_forget_parties, sender=Party, dispatch_uid="ocpi-parties-save")
    post_delete.connect(_forget_parties, sender=Party, dispatch_uid="ocpi-parties-delete")
    events.subscribe("connector.status", connector_status)
    events.subscribe("station.connected", station_connected)
    for kind in ("session.started", "session.updated", "session.ended"):
        events.subscribe(kind, session_changed)
    events.subscribe("session.priced", session_priced)


def publication_saved(sender, instance: SitePublication, **kwargs) -> None:
    """A site published, changed or withdrawn: PUT the whole Location to every party
    (`publish: false` once withdrawn), after the change commits."""
    transaction.on_commit(lambda: _put_location(instance.pk))


def location_changed(sender, instance, created: bool = False, update_fields=None, **kwargs):
    """A site, a station or a connector added, edited or removed: PUT the published
    Location again. A partial save (a status, a password, a boot) changes nothing a
    Location says; a connector's status goes as a PATCH (`connector_status`)."""
    if (update_fields is not None and not created) or not _receivers("locations"):
        return  # (most networks roam with nobody: a station's first connectors ask nothing)
    if isinstance(instance, Site):
        site_id = instance.pk
    elif isinstance(instance, ChargingStation):
        site_id = instance.site_id
    else:
        stations = ChargingStation.objects.filter(pk=instance.station_id)
        site_id = stations.values_list("site_id", flat=True).first()
    if site_id is not None:
        transaction.on_commit(lambda: _put_site(site_id))


def _put_site(site_id: int) -> None:
    published = SitePublication.objects.filter(site_id=site_id, published=True)
    publication_pk = published.values_list("pk", flat=True).first()
    if publication_pk is not None:
        _put_location(publication_pk)


def _put_location(publication_pk: int) -> None:
    try:
        publication = SitePublication.objects.select_related("site").get(pk=publication_pk)
        body = locations.location_object(publication)
        path = f"{body['country_code']}/{body['party_id']}/{body['id']}"
        for party, url in _receivers("locations"):
            pushes.queue(party, "locations", "PUT", f"{url}/{path}", body)
    except Exception:  # noqa: BLE001 - see the module's docstring
        logger.exception("OCPI location push for publication %s failed", publication_pk)


def session_changed(kind: str, station_pk: int | None, data: dict) -> None:
    """A roaming driver's session started, charged on or ended: PUT it to its party."""
    if not _parties_known():
        return  # no roaming driver without a party (every meter value asks)
    try:
        session = (
            ChargingSession.objects.select_related("station", "connector")
            .filter(pk=data.get("session"))
            .first()
        )
        token = sessions.owner_token(session) if session else None
        url = token.owner.endpoint("sessions") if token else None
        if url:  # the Session object binds the authorization that led to it
            body = sessions.session_object(session, token)
            path = f"{body['country_code']}/{body['party_id']}/{body['id']}"
            pushes.queue(token.owner, "sessions", "PUT", f"{url.rstrip('/')}/{path}", body)
        elif token is not None:  # no Session pushed: bound now for its CDR
            sessions.bind_authorization(session, token)
    except Exception:  # noqa: BLE001 - see the module's docstring
        logger.exception("OCPI session push for %s failed to queue", data.get("session"))


def session_priced(kind: str, station_pk: int | None, data: dict) -> None:
    """Billing priced a roaming driver's session: POST its CDR to the party."""
    if not _parties_known():
        return
    try:
        session = (
            ChargingSession.objects.select_related(
                "station__site", "connector", "charge__tariff", "charge__tariff_version__tariff"
            )
            .filter(pk=data.get("session"))
            .first()
        )
        token = sessions.owner_token(session) if session else None
        url = token.owner.endpoint("cdrs") if token else None
        if url and hasattr(session, "charge"):
            # A CDR is final (OCPI): one per session, even if billing prices it again.
            body = sessions.cdr_object(session, token, session.charge)
            once = f"cdr:{token.owner.pk}:{session.pk}"
            pushes.queue(token.owner, "cdrs", "POST", url, body, once=once)
    except Exception:  # noqa: BLE001
        logger.exception("OCPI CDR push for %s failed to queue", data.get("session"))


def _forget_parties(**kwargs) -> None:
    _parties["at"] = -1e9


def _parties_known() -> list[Party]:
    """Every roaming party ChargeNet knows, whatever its status (cached)."""
    now = time.monotonic()
    if now - _parties["at"] > CACHE_SECONDS:
        _parties["rows"] = list(Party.objects.all())
        _parties["at"] = now
    return _parties["rows"]


def _registered_parties() -> list[Party]:
    return [p for p in _parties_known() if p.status == Party.Status.REGISTERED]


def _receivers(module: str) -> list[tuple[Party, str]]:
    parties = _registered_parties()
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
