"""`/ocpi/2.2.1/tokens/{country_code}/{party_id}/{uid}[?type=]` as RECEIVER: the eMSP's
tokens, GET, PUT (whole object: 201 when new, 200 when replaced) and PATCH (some
fields). The rules are in `ocpi/tokens.py`."""

from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from ocpi import common, tokens
from ocpi.models import Token
from ocpi.views.base import OcpiView


class TokenView(OcpiView):
    def _kind(self) -> str:
        return self.request.query_params.get("type") or "RFID"

    def _own(self, country_code: str, party_id: str) -> None:
        party = self.party
        if (country_code.upper(), party_id.upper()) not in {
            (r["country_code"].upper(), r["party_id"].upper()) for r in party.roles
        }:
            raise common.OcpiError("Not your country code and party id.", common.CLIENT_ERROR)

    def _token(self, country_code: str, party_id: str, uid: str) -> Token:
        token = Token.objects.filter(
            owner=self.party,
            country_code=country_code,
            party_id=party_id,
            uid=uid,
            type=self._kind(),
        ).first()
        if token is None:
            raise common.unknown("token", common.UNKNOWN_TOKEN)
        return token

    def get(self, request: Request, country_code: str, party_id: str, uid: str) -> Response:
        return common.ok(self._token(country_code, party_id, uid).data)

    def put(self, request: Request, country_code: str, party_id: str, uid: str) -> Response:
        self._own(country_code, party_id)
        _, created = tokens.store(
            self.party, country_code, party_id, uid, self._kind(), request.data
        )
        return common.ok(status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    def patch(self, request: Request, country_code: str, party_id: str, uid: str) -> Response:
        self._own(country_code, party_id)
        tokens.patch(self.party, self._token(country_code, party_id, uid), request.data)
        return common.ok()
