"""Commands as RECEIVER: the eMSP asks ChargeNet to start or stop a session, reserve,
cancel a reservation or unlock a connector.

`accept` checks the request and answers the CommandResponse at once (REJECTED for a
location, EVSE or session ChargeNet does not have, or a START_SESSION or RESERVE_NOW
naming no EVSE where none is available; UNKNOWN_SESSION for a session that is not the
party's); the command itself goes to the station through ChargeNet's
command service in the task `ocpi.tasks.run_command`, and its outcome is POSTed as a
CommandResult to the request's `response_url` (a delivery, retried like every push).
"""

from datetime import datetime

from django.conf import settings
from rest_framework import serializers

from chargenet.celery import enqueue_on_commit
from ocpi import common, locations, pushes, tokens
from ocpi.models import Party, Reservation, SessionAuthorization, SitePublication
from stations.commands.service import send_command
from stations.models import ChargingSession, ChargingStation, Command
from stations.ocpp.requests import CommandError

KINDS = ("START_SESSION", "STOP_SESSION", "RESERVE_NOW", "CANCEL_RESERVATION", "UNLOCK_CONNECTOR")
RESULTS = {
    Command.Status.ACCEPTED: "ACCEPTED",
    Command.Status.REJECTED: "REJECTED",
    Command.Status.TIMEOUT: "TIMEOUT",
}


class _Base(serializers.Serializer):
    response_url = serializers.URLField(max_length=255)


class _Located(_Base):
    location_id = serializers.CharField(max_length=36)
    evse_uid = serializers.CharField(max_length=36, required=False)
    connector_id = serializers.CharField(max_length=36, required=False)


class StartSession(_Located):
    token = serializers.DictField()
    authorization_reference = serializers.CharField(max_length=36, required=False)


class StopSession(_Base):
    session_id = serializers.CharField(max_length=36)


class ReserveNow(_Located):
    token = serializers.DictField()
    expiry_date = serializers.DateTimeField()
    reservation_id = serializers.CharField(max_length=36)
    authorization_reference = serializers.CharField(max_length=36, required=False)


class CancelReservation(_Base):
    reservation_id = serializers.CharField(max_length=36)


class UnlockConnector(_Located):
    evse_uid = serializers.CharField(max_length=36)
    connector_id = serializers.CharField(max_length=36)


SERIALIZERS = {
    "START_SESSION": StartSession,
    "STOP_SESSION": StopSession,
    "RESERVE_NOW": ReserveNow,
    "CANCEL_RESERVATION": CancelReservation,
    "UNLOCK_CONNECTOR": UnlockConnector,
}


class Refused(Exception):
    def __init__(self, result: str, message: str):
        super().__init__(message)
        self.result, self.message = result, message


def response(result: str, message: str = "") -> dict:
    body = {"result": result, "timeout": int(settings.OCPP_COMMAND_TIMEOUT) + 5}
    if message:
        body["message"] = [{"language": "en", "text": message[:512]}]
    return body


def accept(party: Party, kind: str, data: object) -> dict:
    """The CommandResponse; an accepted command is queued for the station."""
    if kind not in SERIALIZERS:
        return response("NOT_SUPPORTED", f"{kind} is not supported.")
    serializer = SERIALIZERS[kind](data=data)
    if not serializer.is_valid():
        raise common.invalid(common.flatten(serializer.errors))
    request = serializer.validated_data
    try:
        station, action, params = _plan(party, kind, request)
    except Refused as refused:
        return response(refused.result, refused.message)
    enqueue_on_commit(
        "ocpi.tasks.run_command", party.pk, station.pk, action, params, request["response_url"]
    )
    return response("ACCEPTED")


def _plan(party: Party, kind: str, request: dict) -> tuple[ChargingStation, str, dict]:
    if kind == "STOP_SESSION":
        session = ChargingSession.objects.filter(pk=_number(request["session_id"])).first()
        if session is None or _session_party(session) != party:
            raise Refused("UNKNOWN_SESSION", "No such session of yours.")
        return session.station, "remote_stop", {"session_id": session.pk}
    if kind == "CANCEL_RESERVATION":
        reservation = Reservation.objects.filter(
            owner=party, reservation_id=request["reservation_id"]
        ).first()
        if reservation is None:
            raise Refused("REJECTED", "No such reservation.")
        return reservation.station, "cancel_reservation", {"reservation_id": reservation.ocpp_id}
    station, connector_id = _where(request)
    if kind == "UNLOCK_CONNECTOR":
        return station, "unlock_connector", {"connector_id": connector_id}
    token = _token(party, request["token"])
    if kind == "START_SESSION":
        reference = request.get("authorization_reference", "")
        tokens.remember(token, station.pk, SessionAuthorization.Method.COMMAND, reference)
        params = {"id_tag": token.uid}
        if connector_id:
            params["connector_id"] = connector_id
        return station, "remote_start", params
    reservation, _ = Reservation.objects.update_or_create(
        owner=party,
        reservation_id=request["reservation_id"],
        defaults={
            "station": station,
            "authorization_reference": request.get("authorization_reference", ""),
        },
    )
    expiry: datetime = request["expiry_date"]
    return (
        station,
        "reserve_now",
        {
            "connector_id": connector_id or 0,
            "id_tag": token.uid,
            "reservation_id": reservation.ocpp_id,
            "expires_at": common.timestamp(expiry),
        },
    )


def _number(text: str) -> int:
    return int(text) if text.isdigit() else 0


def _session_party(session: ChargingSession) -> Party | None:
    token = tokens.find(session.id_tag) if session.id_tag else None
    return token.owner if token is not None else None


def _token(party: Party, data: dict):
    """The Token object a command carries, stored as if the party had PUT it."""
    try:
        return tokens.store(
            party,
            str(data.get("country_code", "")),
            str(data.get("party_id", "")),
            str(data.get("uid", "")),
            str(data.get("type", "")),
            data,
        )[0]
    except common.OcpiError as exc:
        raise Refused("REJECTED", f"Invalid token: {exc.message}") from exc


def _where(request: dict) -> tuple[ChargingStation, int | None]:
    """The station and connector a command names by location, EVSE and connector."""
    publication = SitePublication.objects.filter(
        location_id=request["location_id"], published=True
    ).first()
    if publication is None:
        raise Refused("REJECTED", "Unknown location.")
    if not request.get("evse_uid"):
        return _available(publication)
    for (_, number), (station, _, connectors) in locations.evses_of(publication).items():
        if locations.evse_uid(station, number) != request["evse_uid"]:
            continue
        wanted = request.get("connector_id")
        for connector in connectors:
            if wanted in (None, locations.connector_id(connector)):
                return station, connector.connector_id
        raise Refused("REJECTED", "Unknown connector.")
    raise Refused("REJECTED", "Unknown EVSE.")


def _available(publication: SitePublication) -> tuple[ChargingStation, int]:
    """No EVSE named (optional in 2.2.1: ChargeNet never advertises
    START_SESSION_CONNECTOR_REQUIRED): the location's first available connector."""
    for station, _, connectors in locations.evses_of(publication).values():
        for connector in connectors:
            if locations.evse_status(station, [connector]) == "AVAILABLE":
                return station, connector.connector_id
    raise Refused("REJECTED", "No EVSE of the location is available.")


def run(party_pk: int, station_pk: int, action: str, params: dict, response_url: str) -> str:
    """Send the command and POST its CommandResult; answers the result."""
    party = Party.objects.get(pk=party_pk)
    station = ChargingStation.objects.get(pk=station_pk)
    message = ""
    try:
        command = send_command(station, action, params)
        result = RESULTS.get(command.status, "FAILED")
        if command.status == Command.Status.OFFLINE:
            message = "The station is not connected."
        elif isinstance(command.error, dict):
            message = str(command.error.get("description") or command.error.get("code") or "")
    except CommandError as exc:
        result, message = "REJECTED", str(exc)
    body = {"result": result}
    if message:
        body["message"] = [{"language": "en", "text": str(message)[:512]}]
    pushes.queue(party, "commands", "POST", response_url, body)
    return result
