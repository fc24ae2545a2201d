"""The credentials handshake, the platform's side (OCPI 2.2.1 credentials module).

1. An operator issues token A for a new party (`issue_token_a`) and hands it over
   with our versions URL.
2. The party POSTs its Credentials (token B, its versions URL, its roles) with token A:
   `register` reads its versions with token B, picks 2.2.1 and its endpoints, then
   answers with our Credentials holding a fresh token C; token A is spent.
3. A PUT with token C does the same again (`update`): new URL or token B, new token C.
4. A DELETE with token C unregisters (`unregister`): no token works any more.

Any trouble reaching the party changes nothing and answers 3001; a party without
2.2.1 answers 3002.
"""

from django.db import transaction
from django.utils import timezone
from rest_framework import serializers

from ocpi import client, common
from ocpi.models import Party, new_token


class BusinessDetailsSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    website = serializers.URLField(max_length=255, required=False)
    logo = serializers.DictField(required=False)


class RoleSerializer(serializers.Serializer):
    role = serializers.ChoiceField(["CPO", "EMSP", "HUB", "NAP", "NSP", "OTHER", "SCSP"])
    business_details = BusinessDetailsSerializer()
    party_id = serializers.RegexField(r"^[A-Za-z0-9]{3}$")
    country_code = serializers.RegexField(r"^[A-Za-z]{2}$")


class CredentialsSerializer(serializers.Serializer):
    token = serializers.RegexField(r"^[\x21-\x7e]{1,64}$")
    url = serializers.URLField(max_length=255)
    roles = RoleSerializer(many=True, allow_empty=False)


def issue_token_a(party: Party) -> str:
    """A new token A for a party that is not registered; the old one stops working."""
    if party.status == Party.Status.REGISTERED:
        raise ValueError("The party is registered: unregister it before issuing token A.")
    party.token_a = new_token()
    party.status = Party.Status.PENDING
    party.save(update_fields=["token_a", "status", "updated_at"])
    return party.token_a


def read_credentials(data: object) -> dict:
    serializer = CredentialsSerializer(data=data)
    if not serializer.is_valid():
        raise common.invalid(common.flatten(serializer.errors))
    return serializer.validated_data


def _discover(versions_url: str, token_b: str) -> list[dict]:
    """The party's 2.2.1 endpoints, read with its token B."""
    answer = client.call(versions_url, token_b)
    if not answer.ok or not isinstance(answer.data, list):
        raise common.OcpiError(
            f"Could not read your versions: {answer.describe()}", common.CLIENT_API_UNUSABLE
        )
    details_url = next(
        (
            v.get("url")
            for v in answer.data
            if isinstance(v, dict) and v.get("version") == common.VERSION
        ),
        None,
    )
    if not details_url:
        raise common.OcpiError(
            "No version in common: ChargeNet speaks OCPI 2.2.1.", common.UNSUPPORTED_VERSION
        )
    details = client.call(details_url, token_b)
    endpoints = details.data.get("endpoints") if isinstance(details.data, dict) else None
    if not details.ok or not isinstance(endpoints, list):
        raise common.OcpiError(
            f"Could not read your 2.2.1 endpoints: {details.describe()}",
            common.CLIENT_API_UNUSABLE,
        )
    return [
        {"identifier": e.get("identifier"), "role": e.get("role"), "url": e.get("url")}
        for e in endpoints
        if isinstance(e, dict) and e.get("identifier") and e.get("url")
    ]


def _store(party: Party, credentials: dict, endpoints: list[dict]) -> str:
    roles = [
        {**role, "business_details": dict(role["business_details"])}
        for role in credentials["roles"]
    ]
    first = next((r for r in roles if r["role"] == "EMSP"), roles[0])
    token_c = new_token()
    with transaction.atomic():
        party.token_a = None
        party.token_b = credentials["token"]
        party.token_c = token_c
        party.versions_url = credentials["url"]
        party.version = common.VERSION
        party.endpoints = endpoints
        party.roles = roles
        party.role = first["role"]
        party.country_code = first["country_code"].upper()
        party.party_id = first["party_id"].upper()
        party.status = Party.Status.REGISTERED
        party.registered_at = party.registered_at or timezone.now()
        party.save()
    return token_c


def register(party: Party, data: object) -> str:
    """POST with token A: the new token C (the party's from now on)."""
    if party.status != Party.Status.PENDING:
        raise common.OcpiError("Already registered: use PUT to update.", common.CLIENT_ERROR, 405)
    credentials = read_credentials(data)
    return _store(party, credentials, _discover(credentials["url"], credentials["token"]))


def update(party: Party, data: object) -> str:
    """PUT with token C: the party's new details and a new token C."""
    if party.status != Party.Status.REGISTERED:
        raise common.OcpiError("Not registered: use POST.", common.CLIENT_ERROR, 405)
    credentials = read_credentials(data)
    return _store(party, credentials, _discover(credentials["url"], credentials["token"]))


def unregister(party: Party) -> None:
    """DELETE with token C (or an operator): every token of the party stops working."""
    party.token_a = party.token_c = None
    party.token_b = ""
    party.status = Party.Status.UNREGISTERED
    party.save(update_fields=["token_a", "token_b", "token_c", "status", "updated_at"])
