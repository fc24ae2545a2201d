"""Sessions and CDRs of roaming drivers, in OCPI 2.2.1 terms (modules `sessions` and
`cdrs`, SENDER).

A session is a party's when its token (the station's id tag) is one the party sent
(`ocpi/tokens.py`). While it charges, the Session is PUT to the party's sessions
endpoint (`{url}/{country_code}/{party_id}/{session_id}`) on start, each meter update
and end; once billing has priced it (`session.priced`), the CDR is POSTed to the
party's cdrs endpoint, its `total_cost` being the stored SessionCharge: `excl_vat` its
net, `incl_vat` its gross — the invoice line's amounts.
"""

from django.conf import settings
from django.db.models import Q

from billing.models import SessionCharge, SessionTariff
from billing.services.tariffs import tariff_for
from ocpi import locations, tariffs, tokens
from ocpi.common import timestamp
from ocpi.models import Reservation, SessionAuthorization, SitePublication, Token
from stations.models import ChargingSession, Command

STATUS = {"active": "ACTIVE", "ended": "COMPLETED"}


def owner_token(session: ChargingSession) -> Token | None:
    return tokens.find(session.id_tag) if session.id_tag else None


def _cdr_token(token: Token) -> dict:
    return {
        "country_code": token.country_code,
        "party_id": token.party_id,
        "uid": token.uid,
        "type": token.type,
        "contract_id": token.contract_id,
    }


def _where(session: ChargingSession) -> tuple[SitePublication | None, str, str]:
    station = session.station
    publication = (
        SitePublication.objects.filter(site_id=station.site_id).first() if station.site_id else None
    )
    connector = session.connector
    number = locations.evse_number(connector) if connector else 1
    connector_id = locations.connector_id(connector) if connector else "1"
    return publication, locations.evse_uid(station, number), connector_id


def _commanded(session: ChargingSession) -> bool:
    """Started by a remote start (2.0.1 names it; a 1.6 one is linked to the session)."""
    return (
        bool(session.remote_start_id)
        or Command.objects.filter(session=session, action="remote_start").exists()
    )


def bind_authorization(session: ChargingSession, token: Token) -> SessionAuthorization | None:
    """The authorization that led to the session: its own once bound, else the latest
    pending one of the token at the station (a START_SESSION's for a remote start)."""
    bound = SessionAuthorization.objects.filter(session=session).first()
    if bound is not None:
        return bound
    pending = SessionAuthorization.objects.filter(
        Q(station=session.station_id) | Q(station__isnull=True), token=token, session=None
    )
    command = SessionAuthorization.Method.COMMAND
    if _commanded(session):
        pending = pending.filter(method=command)
    else:
        pending = pending.exclude(method=command)
    found = pending.order_by("-at", "-pk").first()
    if found is not None:
        found.session = session
        found.save(update_fields=["session"])
    return found


def _authorization(session: ChargingSession, token: Token) -> tuple[str, str]:
    """auth_method and authorization_reference ("" when the eMSP gave none)."""
    bound = bind_authorization(session, token)
    if bound is not None:
        method, reference = bound.method, bound.reference
    else:  # started before ChargeNet recorded how (or without an authorization it saw)
        method, reference = ("COMMAND" if _commanded(session) else "AUTH_REQUEST"), ""
    return method, reference or _reservation_reference(session)


def _reservation_reference(session: ChargingSession) -> str:
    """The RESERVE_NOW's authorization_reference of the reservation the session used."""
    base = Reservation.OCPP_RESERVATION_BASE
    if not session.reservation_id or session.reservation_id <= base:
        return ""
    reservation = Reservation.objects.filter(
        pk=session.reservation_id - base, station=session.station_id
    ).first()
    return reservation.authorization_reference if reservation else ""


def _with_authorization(body: dict, session: ChargingSession, token: Token) -> dict:
    body["auth_method"], reference = _authorization(session, token)
    if reference:
        body["authorization_reference"] = reference
    return body


def _charge(session: ChargingSession) -> SessionCharge | None:
    return SessionCharge.objects.filter(session=session).first()


def _currency(session: ChargingSession, charge: SessionCharge | None) -> str:
    if charge is not None:
        return charge.currency
    connector = session.connector
    tariff = tariff_for(
        station_pk=session.station_id,
        connector_pk=connector.pk if connector else None,
        site_pk=session.station.site_id,
    )
    return tariff.currency if tariff else "EUR"


def session_object(session: ChargingSession, token: Token) -> dict:
    publication, evse_uid, connector_id = _where(session)
    charge = _charge(session)
    body = {
        "country_code": settings.OCPI_COUNTRY_CODE,
        "party_id": settings.OCPI_PARTY_ID,
        "id": str(session.pk),
        "start_date_time": timestamp(session.started_at),
        "kwh": session.energy_wh / 1000,
        "cdr_token": _cdr_token(token),
        "location_id": publication.location_id if publication else "",
        "evse_uid": evse_uid,
        "connector_id": connector_id,
        "currency": _currency(session, charge),
        "status": STATUS.get(session.state, "ACTIVE"),
        "last_updated": timestamp(session.updated_at),
    }
    _with_authorization(body, session, token)
    if session.ended_at:
        body["end_date_time"] = timestamp(session.ended_at)
    if charge is not None:
        body["total_cost"] = tariffs.price(charge.net, charge.tax_rate_percent)
        body["total_cost"]["incl_vat"] = tariffs.number(charge.gross)
    return body


def cdr_object(session: ChargingSession, token: Token, charge: SessionCharge) -> dict:
    publication, evse_uid, connector_id = _where(session)
    connector = session.connector
    plug = locations.connector_object(connector, []) if connector else {}
    number = locations.evse_number(connector) if connector else 1
    end = session.ended_at or session.updated_at
    hours = max((end - session.started_at).total_seconds(), 0) / 3600
    location = {
        "id": publication.location_id if publication else "",
        "name": session.station.site.name[:255] if session.station.site_id else "",
        "address": publication.address if publication else "",
        "city": publication.city if publication else "",
        "country": publication.country if publication else "",
        "coordinates": {
            "latitude": f"{publication.latitude:.6f}" if publication else "0.000000",
            "longitude": f"{publication.longitude:.6f}" if publication else "0.000000",
        },
        "evse_uid": evse_uid,
        "evse_id": locations.evse_id(session.station, number),
        "connector_id": connector_id,
        "connector_standard": plug.get("standard", "IEC_62196_T2"),
        "connector_format": plug.get("format", "SOCKET"),
        "connector_power_type": plug.get("power_type", "AC_3_PHASE"),
    }
    if publication and publication.postal_code:
        location["postal_code"] = publication.postal_code
    body = {
        "country_code": settings.OCPI_COUNTRY_CODE,
        "party_id": settings.OCPI_PARTY_ID,
        "id": f"CDR-{session.pk}",
        "start_date_time": timestamp(session.started_at),
        "end_date_time": timestamp(end),
        "session_id": str(session.pk),
        "cdr_token": _cdr_token(token),
        "cdr_location": location,
        "currency": charge.currency,
        "charging_periods": [
            {
                "start_date_time": timestamp(session.started_at),
                "dimensions": [
                    {"type": "ENERGY", "volume": session.energy_wh / 1000},
                    {"type": "TIME", "volume": round(hours, 4)},
                ],
            }
        ],
        "total_cost": {
            "excl_vat": tariffs.number(charge.net),
            "incl_vat": tariffs.number(charge.gross),
        },
        "total_energy": session.energy_wh / 1000,
        "total_time": round(hours, 4),
        # A CDR is made when billing prices the session: the time `date_from`/`date_to`
        # filter on too.
        "last_updated": timestamp(charge.priced_at),
    }
    _with_authorization(body, session, token)
    tariff = _priced_with(session, charge)
    if tariff is not None:
        body["tariffs"] = [tariff]
        body["charging_periods"][0]["tariff_id"] = tariff["id"]
    elif charge.tariff_name:
        body["remark"] = f"Tariff: {charge.tariff_name}"[:255]
    return body


def _priced_with(session: ChargingSession, charge: SessionCharge) -> dict | None:
    """The tariff version the session was priced with, not the tariff as it is now (it
    may have changed since); the tariff itself only for a charge that names no version."""
    version = charge.tariff_version
    if version is None:
        pin = SessionTariff.objects.filter(session=session).select_related("version").first()
        version = pin.version if pin else None
    if version is not None:
        return tariffs.version_object(version)
    return tariffs.tariff_object(charge.tariff) if charge.tariff is not None else None


def sessions_of(party, start=None, end=None):
    """The party's sessions (changed in [start, end)), oldest change first."""
    uids = list(Token.objects.filter(owner=party).values_list("uid", flat=True))
    rows = ChargingSession.objects.select_related("station__site", "connector").filter(
        id_tag__in=uids
    )
    if start is not None:
        rows = rows.filter(updated_at__gte=start)
    if end is not None:
        rows = rows.filter(updated_at__lt=end)
    return rows.order_by("updated_at", "pk")
