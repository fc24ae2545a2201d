"""`POST /ocpi/2.2.1/commands/{command}` as RECEIVER: the CommandResponse at once, the
CommandResult later at `response_url` (ocpi/commands.py)."""

from rest_framework.request import Request
from rest_framework.response import Response

from ocpi import commands, common
from ocpi.views.base import OcpiView


class CommandView(OcpiView):
    def post(self, request: Request, command: str) -> Response:
        return common.ok(commands.accept(self.party, command, request.data))
