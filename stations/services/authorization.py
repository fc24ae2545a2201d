"""Id tokens and who may charge where: the answers a station gets about a token, the
claims reservations lay on connectors, and changes to tokens themselves.

A token's answer (Accepted, Blocked, Expired, Invalid, ConcurrentTx, Unknown) is said
in OCPP words; adapters map Unknown where a version lacks it. ConcurrentTx answers only
a transaction's start (`start_authorize`), never an Authorize. A reservation refuses a
start on its connector with another token (Invalid) and is consumed by the session
that uses it (stations/services/reservations.py sends and cancels reservations).
Tokens are created and blocked here, whoever asks (the API, the driver portal); the
callers mark the stations' local lists stale (stations/services/local_lists.py).
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from stations.metering import format_timestamp
from stations.models import ChargingSession, ChargingStation, IdToken, Reservation
from stations.ocpp.requests import CommandError

# Authorization answers, in OCPP words; adapters map UNKNOWN where a version lacks it.
ACCEPTED, BLOCKED, EXPIRED, INVALID, CONCURRENT_TX, UNKNOWN = (
    "Accepted",
    "Blocked",
    "Expired",
    "Invalid",
    "ConcurrentTx",
    "Unknown",
)
_TOKEN_STATUS = {
    IdToken.Status.ACCEPTED: ACCEPTED,
    IdToken.Status.BLOCKED: BLOCKED,
    IdToken.Status.EXPIRED: EXPIRED,
    IdToken.Status.INVALID: INVALID,
}


logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Authorization:
    status: str
    expires_at: datetime | None = None
    parent: str | None = None
    parent_type: str | None = None


# Tokens ChargeNet does not hold itself (a roaming partner's drivers) are answered by
# the *external authorizers* other apps register in their AppConfig.ready() (the core
# never imports them): `authorizer(value, station_pk) -> Authorization | None`, None
# when the token is not theirs. One that fails is logged and counts as not theirs.
ExternalAuthorizer = Callable[[str, "int | None"], "Authorization | None"]
_external_authorizers: list[ExternalAuthorizer] = []


def external_authorizer_register(authorizer: ExternalAuthorizer) -> None:
    """Let `authorizer` answer for tokens ChargeNet does not hold (once per process)."""
    if authorizer not in _external_authorizers:
        _external_authorizers.append(authorizer)


def _external_authorization(value: str, station_pk: int | None) -> Authorization:
    for authorizer in _external_authorizers:
        try:
            authorization = authorizer(value, station_pk)
        except Exception:  # noqa: BLE001 - see above
            logger.exception("The external authorizer %r failed", authorizer)
            continue
        if authorization is not None:
            return authorization
    return Authorization(UNKNOWN)


def token_find(value: str, *, parent: bool = False) -> IdToken | None:
    """The token with that value; OCPP compares id tokens without regard to case."""
    if not value:
        return None
    tokens = IdToken.objects.select_related("parent") if parent else IdToken.objects
    return tokens.filter(value__iexact=value).first()


def id_token_authorize(*, value: str, station_pk: int | None = None) -> Authorization:
    """What a station (any: `station_pk` changes nothing) is told of a token in an
    Authorize or beside a stop: the token's status.

    Never ConcurrentTx, whatever the token is doing: OCPP 1.6 keeps that answer for
    StartTransaction ("only relevant for a StartTransaction.req") and 2.0.1 for the
    answer to TransactionEvent Started; `start_authorize` gives it there.
    """
    token = token_find(value, parent=True)
    if token is None and value:
        return _external_authorization(value, station_pk)
    return _token_authorization(token)


def start_authorize(*, value: str, session: ChargingSession | None = None) -> Authorization:
    """The answer to a transaction's start (1.6 StartTransaction, 2.0.1 TransactionEvent
    Started) with token `value`: ConcurrentTx when the token, accepted otherwise, is
    already charging in a session other than `session` (one transaction per token)."""
    token = token_find(value, parent=True)
    if token is None and value:
        return _external_authorization(value, session.station_id if session else None)
    authorization = _token_authorization(token)
    if authorization.status != ACCEPTED:
        return authorization
    others = ChargingSession.objects.filter(id_token=token, state=ChargingSession.State.ACTIVE)
    if session is not None and session.pk is not None:
        others = others.exclude(pk=session.pk)
    if any(not _refused(flags) for flags in others.values_list("flags", flat=True)):
        return replace(authorization, status=CONCURRENT_TX)
    return authorization


def _refused(flags: list[str]) -> bool:
    """A session whose start ChargeNet refused (its token, a reservation): the station
    ends it, so it holds no token."""
    return any(flag == "connector_reserved" or flag.startswith("token_") for flag in flags)


def _token_authorization(token: IdToken | None) -> Authorization:
    if token is None:
        return Authorization(UNKNOWN)
    status = _TOKEN_STATUS[token.effective_status()]
    parent = token.parent.value if token.parent else None
    parent_type = token.parent.type if token.parent else None
    return Authorization(status, token.expires_at, parent, parent_type)


def token_answer(authorization: Authorization | None, token_type: str = "") -> Authorization:
    """What a station is told of a token: a NoAuthorization token (2.0.1: the station
    needs no authorization) is accepted; no answer, or a token nobody knows, is Unknown."""
    if token_type == "NoAuthorization":
        return Authorization(ACCEPTED)
    return authorization or Authorization(UNKNOWN)


# --- what a reservation means for starts --------------------------------------------


def _holder_matches(reservation: Reservation, id_tag: str) -> bool:
    """The reserved token, or a token of the same group (parentIdTag, 1.6 §5.13)."""
    if not id_tag:
        return False
    if reservation.id_tag == id_tag:
        return True
    token = IdToken.objects.filter(value=id_tag).select_related("parent").first()
    reserved = reservation.id_token
    return bool(token and reserved and token.parent_id and token.parent_id == reserved.parent_id)


def remote_start_check(*, station: ChargingStation, connector_id: int | None, id_tag: str) -> None:
    """Refuse a remote start on a connector reserved for another token."""
    if not connector_id:
        return
    reservation = (
        Reservation.objects.active()
        .filter(station=station, connector__connector_id=connector_id)
        .select_related("id_token")
        .first()
    )
    if reservation and not _holder_matches(reservation, id_tag):
        until = format_timestamp(reservation.expires_at)
        raise CommandError(
            "The connector is reserved for another token.",
            {"connector_id": f"Reserved for another token until {until}."},
        )


def reservation_session_start(
    session: ChargingSession, authorization: Authorization | None
) -> Authorization | None:
    """Consume the reservation a new session uses, or refuse a reserved connector.

    Returns the authorization to answer: Invalid when the session took a connector
    reserved for another token. Call inside the session's transaction.
    """
    # One query, usually empty: the station's reservations active when it started.
    active = list(
        Reservation.objects.active(session.started_at)
        .filter(station_id=session.station_id)
        .select_related("id_token")
    )
    named = None
    if session.reservation_id is not None:
        named = Reservation.objects.filter(
            pk=session.reservation_id, station_id=session.station_id
        ).first()
    on_connector = [
        r for r in active if session.connector_id and r.connector_id == session.connector_id
    ]
    if named is None and on_connector and session.id_tag:
        if not _holder_matches(on_connector[0], session.id_tag):
            session.add_flag("connector_reserved")
            if authorization is not None and authorization.status == ACCEPTED:
                return Authorization(INVALID)
            return authorization
        named = on_connector[0]
    if named is None:
        anywhere = [r for r in active if r.connector_id is None and r.id_tag == session.id_tag]
        named = anywhere[0] if anywhere else None
    if named is not None and named.status != Reservation.Status.USED:
        named.status, named.session = Reservation.Status.USED, session
        named.save(update_fields=["status", "session", "updated_at"])
    return authorization


# --- changes to tokens --------------------------------------------------------------


def id_token_create(**fields) -> IdToken:
    """A new token with these IdToken fields (value, type, status, owner, ...)."""
    return IdToken.objects.create(**fields)


def id_token_update(token: IdToken, **fields) -> IdToken:
    """Change these IdToken fields of `token` and save it whole."""
    for name, value in fields.items():
        setattr(token, name, value)
    token.save()
    return token


def id_token_status_set(*, token_pk: int, status: str) -> None:
    """Accept, block, expire or invalidate a token (an IdToken.Status)."""
    id_tokens_status_set(token_pks=[token_pk], status=status)


def id_token_delete(token: IdToken) -> None:
    """Remove a token; its sessions keep their history (the link is set null)."""
    token.delete()


def id_tokens_status_set(*, token_pks: list[int], status: str) -> int:
    """Set the status of these tokens; returns how many changed."""
    return IdToken.objects.filter(pk__in=token_pks).update(status=status)
