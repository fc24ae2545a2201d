"""Commands from ChargeNet to a station, whichever process holds its socket.

Every caller (admin, dashboard, REST API, Celery) uses `command_send` (async) or
`send_command` (sync). The command is stored, checked for the station's OCPP version,
sent to the channel group `station.<pk>` and answered by the consumer holding the
socket; its outcome (accepted, rejected, failed, timeout, offline) is stored and
returned. A station with no socket is known offline at once: the socket's consumer
acknowledges within ACK_TIMEOUT or nobody holds it.
"""

import asyncio
import logging

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings

from stations import redact, services
from stations.models import ChargingSession, ChargingStation, Command, Connector
from stations.ocpp import build_command
from stations.ocpp.requests import ACTIONS, CommandError

logger = logging.getLogger(__name__)

ACK_TIMEOUT = 5.0  # seconds for the socket's process to confirm it holds the station
RESULT_MARGIN = 5.0  # beyond the command's own timeout, for the answer to travel back

__all__ = ["ACTIONS", "CommandError", "command_send", "send_command"]


async def command_send(
    station: ChargingStation,
    action: str,
    params: dict | None = None,
    *,
    timeout: float | None = None,
    user=None,
) -> Command:
    """Send a command and wait for its outcome; raises CommandError for bad input."""
    timeout = float(timeout or settings.OCPP_COMMAND_TIMEOUT)
    station = await ChargingStation.objects.aget(pk=station.pk)
    params = await database_sync_to_async(_complete_params)(station, action, dict(params or {}))
    build_command(station.ocpp_version, action, {**params, "remote_start_id": 1})
    command = await Command.objects.acreate(
        station=station,
        action=action,
        params=redact.command_params(action, params),
        requested_by=user,
    )
    if action == "remote_start" and station.ocpp_version != "1.6":
        params["remote_start_id"] = command.pk
    if not station.connected:
        await _finish(command, Command.Status.OFFLINE, "The station is not connected.")
    else:
        await _dispatch(station, command, params, timeout)
    await command.arefresh_from_db()
    return command


def send_command(station, action, params=None, *, timeout=None, user=None) -> Command:
    """Synchronous `command_send`, for views, admin actions and Celery tasks."""
    return async_to_sync(command_send)(station, action, params, timeout=timeout, user=user)


async def _dispatch(station, command: Command, params: dict, timeout: float) -> None:
    layer = get_channel_layer()
    reply_to = await layer.new_channel()
    await layer.group_send(
        station.group_name,
        {
            "type": "station.command",
            "command": command.pk,
            "action": command.action,
            "params": params,
            "timeout": timeout,
            "reply_to": reply_to,
        },
    )
    try:
        await asyncio.wait_for(layer.receive(reply_to), ACK_TIMEOUT)
    except TimeoutError:
        await _finish(command, Command.Status.OFFLINE, "No process holds the station's socket.")
        return
    try:
        await asyncio.wait_for(layer.receive(reply_to), timeout + RESULT_MARGIN)
    except TimeoutError:
        await _finish(command, Command.Status.TIMEOUT, f"No answer in {timeout:g} s.")


async def _finish(command: Command, status: str, description: str) -> None:
    await database_sync_to_async(services.command_finish)(
        command_id=command.pk, status=status, error={"description": description}
    )


def _complete_params(station: ChargingStation, action: str, params: dict) -> dict:
    """Add what a station's version needs and callers need not know (EVSE ids)."""
    if action not in ACTIONS:
        raise CommandError(f"Unknown action {action!r}.", {"action": "Unknown action."})
    if action == "remote_stop" and "transaction_id" not in params and params.get("session_id"):
        session = ChargingSession.objects.filter(pk=params["session_id"], station=station).first()
        if session is None or not session.transaction_id:
            raise CommandError(
                "Unknown session.", {"session_id": "No such session on this station."}
            )
        params["transaction_id"] = session.transaction_id
    connector_id = params.get("connector_id")
    if connector_id and "evse_id" not in params:
        connector = Connector.objects.filter(station=station, connector_id=connector_id).first()
        if connector is None:
            raise CommandError("Unknown connector.", {"connector_id": "No such connector."})
        params["evse_id"] = connector.evse_id or connector.connector_id
        params["evse_connector_id"] = connector.evse_connector_id or 1
    return params
