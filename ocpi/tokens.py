"""Tokens as RECEIVER: the eMSP PUTs and PATCHes its drivers' tokens into ChargeNet;
a station that shows one is answered from here (`authorize`, registered with the
station core as an external authorizer in OcpiConfig.ready()).

The token's whitelist decides how: ALWAYS and ALLOWED answer from the stored token;
ALLOWED_OFFLINE asks the eMSP in real time (`POST {tokens}/{uid}/authorize`) and uses
the stored token only when the eMSP cannot be reached; NEVER asks in real time and
refuses when the eMSP cannot be reached.
"""

from datetime import datetime

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from rest_framework import serializers

from ocpi import client, common, locations
from ocpi.models import Party, SessionAuthorization, SitePublication, Token
from stations.models import ChargingStation
from stations.services.authorization import ACCEPTED, BLOCKED, EXPIRED, INVALID, Authorization

TOKEN_TYPES = ["AD_HOC_USER", "APP_USER", "OTHER", "RFID"]
ALLOWED = {
    "ALLOWED": ACCEPTED,
    "BLOCKED": BLOCKED,
    "EXPIRED": EXPIRED,
    "NO_CREDIT": INVALID,
    "NOT_ALLOWED": INVALID,
}


class EnergyContractSerializer(serializers.Serializer):
    supplier_name = serializers.CharField(max_length=64)
    contract_id = serializers.CharField(max_length=64, required=False)


class TokenSerializer(serializers.Serializer):
    country_code = serializers.RegexField(r"^[A-Za-z]{2}$")
    party_id = serializers.RegexField(r"^[A-Za-z0-9]{3}$")
    uid = serializers.CharField(max_length=36)
    type = serializers.ChoiceField(TOKEN_TYPES)
    contract_id = serializers.CharField(max_length=36)
    visual_number = serializers.CharField(max_length=64, required=False)
    issuer = serializers.CharField(max_length=64)
    group_id = serializers.CharField(max_length=36, required=False)
    valid = serializers.BooleanField()
    whitelist = serializers.ChoiceField(Token.Whitelist.values)
    language = serializers.CharField(max_length=2, required=False)
    default_profile_type = serializers.ChoiceField(
        ["CHEAP", "FAST", "GREEN", "REGULAR"], required=False
    )
    energy_contract = EnergyContractSerializer(required=False)
    last_updated = serializers.DateTimeField()


def _checked(data: object, *, partial: bool = False) -> dict:
    serializer = TokenSerializer(data=data, partial=partial)
    if not serializer.is_valid():
        raise common.invalid(common.flatten(serializer.errors))
    return dict(serializer.initial_data)


def store(
    party: Party, country_code: str, party_id: str, uid: str, kind: str, data
) -> tuple[Token, bool]:
    """PUT: the whole Token object, created or replaced; True when created."""
    checked = _checked(data)
    if (checked["country_code"], checked["party_id"], checked["uid"]) != (
        country_code,
        party_id,
        uid,
    ) or checked["type"] != kind:
        raise common.invalid("The token's ids differ from the URL's.")
    return _save(party, checked)


def patch(party: Party, token: Token, data) -> Token:
    """PATCH: some fields, last_updated required; ids cannot change."""
    if not isinstance(data, dict) or "last_updated" not in data:
        raise common.invalid("A PATCH must hold last_updated.")
    merged = {**token.data, **data}
    for key in ("country_code", "party_id", "uid", "type"):
        if merged[key] != token.data[key]:
            raise common.invalid(f"{key} cannot be changed.")
    _checked(merged)
    return _save(party, merged)[0]


def _save(party: Party, data: dict) -> tuple[Token, bool]:
    return Token.objects.update_or_create(
        country_code=data["country_code"],
        party_id=data["party_id"],
        uid=data["uid"],
        type=data["type"],
        defaults={
            "owner": party,
            "contract_id": data["contract_id"],
            "issuer": data["issuer"],
            "valid": bool(data["valid"]),
            "whitelist": data["whitelist"],
            "data": data,
            "last_updated": _moment(data["last_updated"]),
        },
    )


def _moment(value) -> datetime:
    return value if isinstance(value, datetime) else parse_datetime(str(value))


def find(value: str) -> Token | None:
    """The registered parties' token a station shows (compared without case, as OCPP)."""
    return (
        Token.objects.select_related("owner")
        .filter(uid__iexact=value, owner__status=Party.Status.REGISTERED)
        .order_by("-last_updated")
        .first()
    )


def _stored(token: Token) -> Authorization:
    return Authorization(ACCEPTED if token.valid else BLOCKED)


def authorize(value: str, station_pk: int | None) -> Authorization | None:
    """The station core's external authorizer: None for a token no party sent. How it
    answered is remembered for the session that follows (its auth_method)."""
    token = find(value)
    if token is None:
        return None
    if token.whitelist in (Token.Whitelist.ALWAYS, Token.Whitelist.ALLOWED):
        remember(token, station_pk, SessionAuthorization.Method.WHITELIST)
        return _stored(token)
    answer = real_time(token, station_pk)
    if answer is None:  # the eMSP could not be reached
        if token.whitelist == Token.Whitelist.ALLOWED_OFFLINE:
            remember(token, station_pk, SessionAuthorization.Method.WHITELIST)
            return _stored(token)
        return Authorization(INVALID)
    reference = str(answer.get("authorization_reference") or "")[:36]
    remember(token, station_pk, SessionAuthorization.Method.AUTH_REQUEST, reference)
    return Authorization(ALLOWED.get(answer.get("allowed"), INVALID))


def remember(token: Token, station_pk: int | None, method: str, reference: str = "") -> None:
    """A pending authorization of the token at the station (the latest of its kind)."""
    SessionAuthorization.objects.update_or_create(
        token=token,
        station_id=station_pk,
        method=method,
        session=None,
        defaults={"at": timezone.now(), "reference": reference},
    )


def real_time(token: Token, station_pk: int | None) -> dict | None:
    """The eMSP's AuthorizationInfo for the token at the station, or None."""
    url = token.owner.endpoint("tokens", "SENDER")
    if not url:
        return None
    body = _location_references(station_pk)
    answer = client.call(
        f"{url.rstrip('/')}/{token.uid}/authorize?type={token.type}",
        token.owner.token_b,
        "POST",
        body,
    )
    return answer.data if answer.ok and isinstance(answer.data, dict) else None


def _location_references(station_pk: int | None) -> dict | None:
    station = ChargingStation.objects.filter(pk=station_pk).first() if station_pk else None
    if station is None or station.site_id is None:
        return None
    publication = SitePublication.objects.filter(site_id=station.site_id).first()
    if publication is None:
        return None
    numbers = sorted(
        {
            locations.evse_number(c)
            for c in station.connectors.filter(Q(connector_id__gt=0) | Q(evse_id__gt=0))
        }
    )
    return {
        "location_id": publication.location_id,
        "evse_uids": [locations.evse_uid(station, n) for n in numbers],
    }
