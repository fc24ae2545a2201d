"""Commands from ChargeNet to a station, whichever process holds its socket.

Every caller (admin, dashboard, REST API, Celery) uses `command_send` (async) or
`send_command` (sync). The command is stored, checked for the station's OCPP version,
sent to the channel group `station.<pk>` and answered by the consumer holding the
socket; its outcome (accepted, rejected, failed, timeout, offline) is stored and
returned. A station with no socket is known offline at once: the socket's consumer
acknowledges within ACK_TIMEOUT or nobody holds it.

What happens after a command was accepted is kept and read back here too: its
outcome, stored once (`command_finish`); the session a remote start led to
(`remote_start_link`, `remote_start_state`); how a firmware update or a diagnostics
upload went (`command_progress`), from what the station reported since.

The Command rows (and a get_diagnostics command's DiagnosticsUpload) are the command
domain's own state and written only here; what a command changes on a station is
written by the services in stations/services/.
"""

import asyncio
import logging
from datetime import datetime, timedelta

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from prometheus_client import Counter

from runtime.channel_layer import UNREACHABLE
from stations import events, redact
from stations.commands.answered import (
    SUPERSEDED_ACTIONS,
    commands_superseded_prune,
    stop_requester_record,
)
from stations.commands.params import params_check
from stations.models import (
    ChargingProfile,
    ChargingSession,
    ChargingStation,
    Command,
    Connector,
    DiagnosticsUpload,
    StationEvent,
)
from stations.ocpp import VERSIONS, action_versions, build_command
from stations.ocpp.neutral import params_neutral
from stations.ocpp.requests import ACTIONS, CommandError
from stations.services import diagnostics, passwords
from stations.services.authorization import remote_start_check, token_find
from stations.services.device_model import device_model_report
from stations.station_data.results import command_records_store

logger = logging.getLogger(__name__)

ACK_TIMEOUT = 5.0  # seconds for the socket's process to confirm it holds the station
RESULT_MARGIN = 5.0  # beyond the command's own timeout, for the answer to travel back
# Actions whose request carries a requestId that later notifications repeat: the
# command's pk unless given, so a FirmwareStatusNotification, LogStatusNotification,
# NotifyReport, ... names it.
REQUEST_ID_ACTIONS = frozenset(
    {
        "update_firmware",
        "get_diagnostics",
        "get_log",
        "get_configuration",
        "get_base_report",
        "get_report",
        "get_monitoring_report",
        "get_charging_profiles",
        "customer_information",
        "get_display_messages",
        "publish_firmware",
    }
)
# Actions that may upload a file to ChargeNet when sent without a `location`.
UPLOAD_ACTIONS = frozenset({"get_diagnostics", "get_log"})

COMMAND_OUTCOMES = Counter(
    "chargenet_commands",
    "Commands to stations finished by this process, by action and stored outcome.",
    ["action", "outcome"],
)

__all__ = ["ACTIONS", "CommandError", "command_send", "send_command", "send_commands"]


async def command_send(
    station: ChargingStation,
    action: str,
    params: dict | None = None,
    *,
    timeout: float | None = None,
    user=None,
    base_url: str | None = None,
    wait: bool = True,
) -> Command:
    """Send a command and wait for its outcome; raises CommandError for bad input.

    `base_url` (e.g. "https://csms.example") is where stations reach ChargeNet over
    HTTP; it makes the upload URL of a get_diagnostics without `location`.
    `wait=False` returns once the station's process has taken the command (still
    pending): that process stores the outcome and announces `command.finished`. A
    password rotation always waits, since its outcome decides which password counts.
    """
    wait = wait or action == "rotate_password"
    timeout = float(timeout or settings.OCPP_COMMAND_TIMEOUT)
    station = await ChargingStation.objects.aget(pk=station.pk)
    command_check(station, action, params)
    params = dict(params or {})
    new_password = None
    if action == "rotate_password":
        new_password = await database_sync_to_async(_rotation_password)(station, params)
        params = {**params, "password": new_password}
    upload_token = None
    if action in UPLOAD_ACTIONS and not params.get("location"):
        upload_token = diagnostics.new_token()
        params["location"] = diagnostics.upload_url(upload_token, base_url)
    params = await database_sync_to_async(_complete_params)(station, action, params)
    build_command(station.ocpp_version, action, {**params, "remote_start_id": 1})
    command = await Command.objects.acreate(
        station=station,
        action=action,
        params=redact.command_params(action, params),
        requested_by=user,
    )
    if upload_token:
        await DiagnosticsUpload.objects.acreate(command=command, token=upload_token)
    if station.ocpp_version not in ("", "1.6") and action == "remote_start":
        params["remote_start_id"] = command.pk
    if action in REQUEST_ID_ACTIONS:  # 1.6's GetLog and SignedUpdateFirmware carry one too
        params.setdefault("request_id", command.pk)
    if not station.connected:
        await _finish(command, Command.Status.OFFLINE, "The station is not connected.")
    else:
        if new_password:
            await database_sync_to_async(passwords.station_password_offer)(
                station_pk=station.pk, raw=new_password
            )
        await _dispatch(station, command, params, timeout, wait)
    await command.arefresh_from_db()
    if action in SUPERSEDED_ACTIONS:
        await database_sync_to_async(commands_superseded_prune)(command)
    if user is not None and command.status == Command.Status.ACCEPTED:
        await database_sync_to_async(stop_requester_record)(station, action, params, user)
    if new_password and station.connected:
        await database_sync_to_async(passwords.station_password_settle)(
            station_pk=station.pk, raw=new_password, status=command.status
        )
    return command


def command_check(station: ChargingStation, action: str, params) -> None:
    """Refuse, before anything is stored or sent, an unknown action, one the station's
    OCPP version has no message for, and parameters the action does not take or of
    the wrong type (stations/commands/params.py). The builders check the rest."""
    if action not in ACTIONS:
        raise CommandError(f"Unknown action {action!r}.", {"action": "Unknown action."})
    version = station.ocpp_version if station.ocpp_version in VERSIONS else "1.6"
    if version not in action_versions(action):
        raise CommandError(
            f"{action!r} is not available for OCPP {version} stations.",
            {"action": f"Not available for OCPP {version} stations."},
        )
    if action == "rotate_password" and isinstance(params, dict) and params.get("password"):
        raise CommandError(
            "ChargeNet makes the new password.", {"password": "Send no password; one is made."}
        )
    params_check(action, params or {})


def send_command(
    station, action, params=None, *, timeout=None, user=None, base_url=None, wait=True
) -> Command:
    """Synchronous `command_send`, for views, admin actions and Celery tasks."""
    return async_to_sync(command_send)(
        station, action, params, timeout=timeout, user=user, base_url=base_url, wait=wait
    )


def send_commands(
    requests: list[tuple[ChargingStation, str, dict]], *, timeout=None, user=None
) -> list[Command | CommandError]:
    """Send several commands at once (e.g. to every selected station) and wait for all.

    Each item of the result is the stored Command, or the CommandError that refused it.
    """

    async def send_all():
        return await asyncio.gather(
            *(command_send(s, a, p, timeout=timeout, user=user) for s, a, p in requests),
            return_exceptions=True,
        )

    results = async_to_sync(send_all)()
    for result in results:
        if isinstance(result, BaseException) and not isinstance(result, CommandError):
            raise result
    return results


async def _dispatch(station, command: Command, params: dict, timeout: float, wait: bool) -> None:
    layer = get_channel_layer()
    message = {
        "type": "station.command",
        "command": command.pk,
        "action": command.action,
        "params": params,
        "timeout": timeout,
    }
    try:
        message["reply_to"] = reply_to = await layer.new_channel()
        # One read of the reply channel waits for the acknowledgement across both tries:
        # a read cancelled and another begun on the same channel could hang on the
        # Redis connection's timeouts instead of ending after ACK_TIMEOUT.
        ack = asyncio.ensure_future(layer.receive(reply_to))
        try:
            await layer.group_send(station.group_name, message)
            acknowledged = await _acknowledged(ack)
            if not acknowledged:
                acknowledged = await _send_to_socket(layer, station, message, ack)
        finally:
            ack.cancel()
    except UNREACHABLE:
        # Redis is away (e.g. restarting): the command never left; say so, don't crash.
        logger.warning("Command %s not sent: channel layer unreachable", command.pk, exc_info=True)
        await _finish(command, Command.Status.FAILED, "The channel layer (Redis) is unreachable.")
        return
    if not acknowledged:
        await _finish(command, Command.Status.OFFLINE, "No process holds the station's socket.")
        return
    if not wait:
        return
    try:
        await asyncio.wait_for(layer.receive(reply_to), timeout + RESULT_MARGIN)
    except TimeoutError:
        await _finish(command, Command.Status.TIMEOUT, f"No answer in {timeout:g} s.")


async def _acknowledged(ack: asyncio.Future) -> bool:
    """Whether the read `ack` got a message within ACK_TIMEOUT (the read goes on)."""
    done, _ = await asyncio.wait({ack}, timeout=ACK_TIMEOUT)
    if done:
        ack.result()  # a read that failed raises here (e.g. Redis unreachable)
    return bool(done)


async def _send_to_socket(
    layer, station: ChargingStation, message: dict, ack: asyncio.Future
) -> bool:
    """Send straight to the socket the database says holds the station; acknowledged?

    The group may be empty although the socket lives: a restarted Redis has lost its
    group sets until the holding process adds them again. The socket's own channel
    still reaches it then (its process reads that channel whatever the groups hold);
    the consumer runs a command it is sent twice only once.
    """
    channel = (
        await ChargingStation.objects.filter(pk=station.pk, connected=True)
        .values_list("connection_channel", flat=True)
        .afirst()
    )
    if not channel:
        return False
    logger.info("Command %s: no answer from the group; sending to %s", message["command"], channel)
    await layer.send(channel, message)
    return await _acknowledged(ack)


async def _finish(command: Command, status: str, description: str) -> None:
    await database_sync_to_async(command_finish)(
        command_id=command.pk,
        status=status,
        action=command.action,
        error={"description": description},
    )


def _rotation_password(station: ChargingStation, params: dict) -> str:
    """A new password for rotate_password; ChargeNet makes it, callers never choose it."""
    if not station.password:
        raise CommandError(
            "The station has no password to rotate.",
            {"action": "Set the station's first password in the admin or the API."},
        )
    return passwords.station_password_generate()


def command_params(station: ChargingStation, action: str, params: dict) -> dict:
    """The parameters as the version's builder reads them (see `_complete_params`)."""
    return _complete_params(station, action, dict(params))


# Actions that name a transaction: `session_id` (ChargeNet's) stands for its id.
TRANSACTION_ACTIONS = frozenset(
    {"remote_stop", "get_transaction_status", "cost_updated", "set_display_message"}
)


def _complete_params(station: ChargingStation, action: str, params: dict) -> dict:
    """Add what a station's version needs and callers need not know: the neutral
    names (stations/ocpp/neutral.py), EVSE ids from connector ids and back,
    transaction ids from session ids, token types, charging profile ids."""
    if action not in ACTIONS:
        raise CommandError(f"Unknown action {action!r}.", {"action": "Unknown action."})
    params = params_neutral(action, params)
    if (
        action in TRANSACTION_ACTIONS
        and "transaction_id" not in params
        and params.get("session_id")
    ):
        session = ChargingSession.objects.filter(pk=params["session_id"], station=station).first()
        if session is None or not session.transaction_id:
            raise CommandError(
                "Unknown session.", {"session_id": "No such session on this station."}
            )
        params["transaction_id"] = session.transaction_id
    if params.get("connector_id") in (None, "") and params.get("evse_id") not in (None, ""):
        params["connector_id"] = _evse_connector(station, params)
    connector_id = params.get("connector_id")
    if connector_id and "evse_id" not in params:
        connector = Connector.objects.filter(station=station, connector_id=connector_id).first()
        if connector is None:
            raise CommandError("Unknown connector.", {"connector_id": "No such connector."})
        params["evse_id"] = connector.evse_id or connector.connector_id
        params["evse_connector_id"] = connector.evse_connector_id or 1
    if action == "set_display_message" and params.get("id") in (None, ""):
        params["id"] = _next_display_message_id(station)
    profile = params.get("charging_profile")
    if isinstance(profile, dict) and profile.get("id") in (None, ""):
        params["charging_profile"] = {**profile, "id": charging_profile_next_id(station)}
    if action == "remote_start":
        remote_start_check(
            station=station, connector_id=connector_id, id_tag=params.get("id_tag", "")
        )
    if action in ("remote_start", "reserve_now"):
        _token_types(params)
    elif action == "customer_information" and params.get("id_token"):
        _token_types(params, tag="id_token")
    return params


def _evse_connector(station: ChargingStation, params: dict) -> int:
    """The connector id of `evse_id` (+ `evse_connector_id`, default 1); 1.6
    stations, whose connectors have no EVSE, number their connectors as EVSEs."""
    try:
        evse_id = int(params["evse_id"])
        number = int(params.get("evse_connector_id") or 1)
    except (TypeError, ValueError):
        raise CommandError("Invalid parameter.", {"evse_id": "Must be an integer."}) from None
    connector = Connector.objects.filter(
        station=station, evse_id=evse_id, evse_connector_id=number
    ).first()
    return connector.connector_id if connector is not None else evse_id


def charging_profile_next_id(station: ChargingStation) -> int:
    """A profile id the station holds none of: one above any ChargeNet stored or sent."""
    stored = ChargingProfile.objects.filter(station=station).aggregate(Max("profile_id"))
    sent = Command.objects.filter(
        station=station, action__in=("set_charging_profile", "remote_start")
    ).values_list("params__charging_profile__id", flat=True)
    numbers = [int(i) for i in sent if str(i).isdigit()]
    return max([stored["profile_id__max"] or 0, *numbers]) + 1


def _next_display_message_id(station: ChargingStation) -> int:
    """The display message ids are ChargeNet's: one above any it gave this station."""
    given = Command.objects.filter(station=station, action="set_display_message")
    ids = given.values_list("params__id", flat=True)
    return max((int(i) for i in ids if str(i).isdigit()), default=0) + 1


def _token_types(params: dict, tag: str = "id_tag") -> None:
    """Name the types ChargeNet holds for the token and its group (2.x IdTokenType)
    unless the caller chose them (`id_token_type`, `parent_id_token_type`); `tag` is
    the parameter that names the token."""
    token = token_find(str(params.get(tag) or ""), parent=True)
    if token is not None:
        params["id_token_type"] = params.get("id_token_type") or token.type
    parent_tag = params.get("parent_id_tag")
    if not parent_tag or params.get("parent_id_token_type"):
        return
    parent = token.parent if token is not None else None
    if parent is None or parent.value.lower() != str(parent_tag).lower():
        parent = token_find(parent_tag)
    if parent is not None:
        params["parent_id_token_type"] = parent.type


# --- what followed a command --------------------------------------------------------


@transaction.atomic
def command_finish(
    *,
    command_id: int,
    status: str,
    action: str = "",
    response: dict | None = None,
    error: dict | None = None,
    ocpp_action: str = "",
    station_pk: int | None = None,
    configuration: list[dict] | None = None,
    records: dict | None = None,
) -> bool:
    """Store a command's outcome once; a later report of the same command is ignored.

    `configuration`: device-model rows the station's answer reported (a configuration
    read or write), `records`: what else it says the station holds (monitors,
    display messages, certificates; stations/station_data/results.py), stored for
    `station_pk` with the outcome.
    """
    if configuration:
        device_model_report(station_pk=station_pk, variables=configuration)
    if records:
        command_records_store(station_pk=station_pk, records=records)
    finished = bool(
        Command.objects.filter(pk=command_id, status=Command.Status.PENDING).update(
            status=status,
            response=response,
            error=error,
            ocpp_action=ocpp_action,
            finished_at=timezone.now(),
        )
    )
    if finished:  # for webhooks (issue 9), not a live dashboard event
        outcome = COMMAND_OUTCOMES.labels(action or "unknown", status)
        transaction.on_commit(outcome.inc)
        events.publish(
            "command.finished", None, {"command": command_id, "status": status}, live=False
        )
    return finished


def remote_start_timeout() -> timedelta:
    """How long an accepted remote start may take to become a session."""
    return timedelta(seconds=settings.OCPP_REMOTE_START_TIMEOUT)


def remote_start_state(command: Command, now: datetime | None = None) -> str | None:
    """waiting, started or no_session for an accepted remote start; None otherwise."""
    if command.action != "remote_start":
        return None
    if command.session_id:
        return "started"
    if command.status != Command.Status.ACCEPTED:
        return None
    answered = command.finished_at or command.created_at
    if (now or timezone.now()) < answered + remote_start_timeout():
        return "waiting"
    return "no_session"


# Station notifications that follow an accepted command, by action.
PROGRESS_EVENTS = {
    "update_firmware": ("FirmwareStatus",),
    "get_diagnostics": ("DiagnosticsStatus", "LogStatus"),
    "get_log": ("LogStatus",),
}


def command_progress(command: Command) -> str | None:
    """The latest status the station reported about this firmware update or upload.

    2.x notifications name the command by requestId; 1.6 ones name nothing, so they
    belong to the latest such command sent before them.
    """
    kinds = PROGRESS_EVENTS.get(command.action)
    if not kinds or command.status != Command.Status.ACCEPTED:
        return None
    reports = StationEvent.objects.filter(
        station_id=command.station_id, kind__in=kinds, created_at__gte=command.created_at
    )
    later = (
        Command.objects.filter(
            station_id=command.station_id, action=command.action, created_at__gt=command.created_at
        )
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    by_request = reports.filter(data__request_id=command.pk)
    if by_request.exists():
        reports = by_request
    elif later is not None:
        reports = reports.filter(created_at__lt=later)
    event = reports.order_by("-created_at", "-id").first()
    return event.status if event else None
