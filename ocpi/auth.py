"""Who is calling: `Authorization: Token <credentials token>`.

OCPI 2.2.1 sends the token base64-encoded; 2.1.1-style clients send it as it is, so
both are accepted (the decoded form is tried first). Token A (issued by an operator,
before registration) opens only `versions` and `credentials`; token C (issued at
registration) opens every module while the party is registered.
"""

import base64
import binascii
from dataclasses import dataclass

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q
from rest_framework import authentication, exceptions, permissions

from ocpi.models import Party


@dataclass(frozen=True)
class Credential:
    party: Party
    kind: str  # "A" or "C"
    token: str


def token_candidates(header_value: str) -> list[str]:
    """The token a header may carry: base64-decoded (2.2.1), then as sent (2.1.1)."""
    raw = header_value.strip()
    candidates = []
    try:
        decoded = base64.b64decode(raw, validate=True).decode("ascii")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    if decoded and decoded.isprintable():
        candidates.append(decoded)
    candidates.append(raw)
    return candidates


def find(header_value: str) -> Credential | None:
    for token in token_candidates(header_value):
        party = Party.objects.filter(Q(token_a=token) | Q(token_c=token)).first()
        if party is None:
            continue
        if party.token_c == token and party.status == Party.Status.REGISTERED:
            return Credential(party, "C", token)
        if party.token_a == token and party.status == Party.Status.PENDING:
            return Credential(party, "A", token)
    return None


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = request.headers.get("Authorization", "")
        keyword, _, value = header.partition(" ")
        if not header:
            return None
        if keyword != self.keyword or not value.strip():
            raise exceptions.AuthenticationFailed("Authorization must be 'Token <token>'.")
        credential = find(value)
        if credential is None:
            raise exceptions.AuthenticationFailed("Unknown or revoked credentials token.")
        return AnonymousUser(), credential

    def authenticate_header(self, request) -> str:
        return self.keyword


class AnyToken(permissions.BasePermission):
    """Token A or C: versions and credentials."""

    def has_permission(self, request, view) -> bool:
        return isinstance(request.auth, Credential)


class Registered(permissions.BasePermission):
    """Token C of a registered party: every other module."""

    def has_permission(self, request, view) -> bool:
        if not isinstance(request.auth, Credential):
            return False
        if request.auth.kind != "C":
            raise exceptions.AuthenticationFailed(
                "Token A opens only versions and credentials: register first."
            )
        return True
