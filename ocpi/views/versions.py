"""`GET /ocpi/versions` and `GET /ocpi/2.2.1/`: what ChargeNet speaks and where."""

from rest_framework.request import Request
from rest_framework.response import Response

from ocpi import common, identity
from ocpi.auth import AnyToken
from ocpi.views.base import OcpiView


class VersionsView(OcpiView):
    permission_classes = [AnyToken]

    def get(self, request: Request) -> Response:
        return common.ok(
            [{"version": common.VERSION, "url": identity.url("ocpi:version-details", request)}]
        )


class VersionDetailsView(OcpiView):
    permission_classes = [AnyToken]

    def get(self, request: Request) -> Response:
        return common.ok(identity.version_details(request))
