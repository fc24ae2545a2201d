"""`/ocpi/2.2.1/credentials`: read, register (POST, token A), update (PUT, token C),
unregister (DELETE, token C). The rules are in `ocpi/registration.py`."""

from rest_framework.request import Request
from rest_framework.response import Response

from ocpi import common, identity, registration
from ocpi.auth import AnyToken
from ocpi.views.base import OcpiView


class CredentialsView(OcpiView):
    permission_classes = [AnyToken]

    def _registered_only(self) -> None:
        if self.request.auth.kind != "C":
            raise common.OcpiError("Not registered.", common.CLIENT_ERROR, 405)

    def get(self, request: Request) -> Response:
        return common.ok(identity.credentials(request.auth.token, request))

    def post(self, request: Request) -> Response:
        if request.auth.kind != "A":
            raise common.OcpiError("Already registered: use PUT.", common.CLIENT_ERROR, 405)
        token_c = registration.register(self.party, request.data)
        return common.ok(identity.credentials(token_c, request))

    def put(self, request: Request) -> Response:
        self._registered_only()
        token_c = registration.update(self.party, request.data)
        return common.ok(identity.credentials(token_c, request))

    def delete(self, request: Request) -> Response:
        self._registered_only()
        registration.unregister(self.party)
        return common.ok()
