"""Reservations: a connector (or any connector of a station, or of a connector type on
2.x stations) kept for one token.

ChargeNet sends ReserveNow with the reservation's pk as reservationId and stores the
answer. The station enforces the reservation (OCPP 1.6 §5.13, 2.0.1 H01); ChargeNet
enforces it on its side too:

- a remote start on a connector reserved for another token is refused before sending;
- a session that starts on a reserved connector with another token is answered
  Invalid (the station then ends it, as for any refused token) and flagged;
- a session that names the reservation (1.6 StartTransaction reservationId, 2.0.1
  TransactionEvent reservationId), or starts there with the reserved token, uses it.

A reservation for the whole station (no connector) never refuses a start: the
station decides which of its connectors stays free for it. These rules for starts
live with the other answers about tokens, in stations/services/authorization.py
(the command service checks remote starts with them before sending).

Expiry needs no job to be correct: only reservations whose `expires_at` lies ahead
count. `reservations_expire` (a periodic Celery task) records the status.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from stations.commands import service as commands
from stations.metering import format_timestamp
from stations.models import (
    ChargingStation,
    Command,
    Connector,
    IdToken,
    Reservation,
)
from stations.ocpp.requests import CommandError

# Command outcome -> reservation status. A timeout leaves it "requested": the station
# may hold it, so it keeps counting until it expires.
_STATUS_AFTER_RESERVE = {
    Command.Status.ACCEPTED: Reservation.Status.ACCEPTED,
    Command.Status.REJECTED: Reservation.Status.REJECTED,
    Command.Status.FAILED: Reservation.Status.REJECTED,
    Command.Status.OFFLINE: Reservation.Status.REJECTED,
}
# 2.0.1 ReservationStatusUpdate (H05): what the station did with a reservation.
_STATUS_UPDATES = {"Expired": Reservation.Status.EXPIRED, "Removed": Reservation.Status.CANCELLED}


def reservation_create(
    *,
    station: ChargingStation,
    id_token: IdToken,
    expires_at: datetime,
    connector_id: int | None = None,
    connector_type: str = "",
    user=None,
    timeout: float | None = None,
    wait: bool = True,
) -> Reservation:
    """Reserve and send ReserveNow; raises CommandError (nothing sent) for bad input.

    `wait=False`: return once the station's process has the command; the reservation
    stays `requested` until the answer comes (`reservation_settle`).

    `connector_type` (2.x ConnectorEnumType, e.g. cType2) reserves any connector of that
    type; a 1.6 station cannot be asked for one (CommandError).
    """
    reservation = _reservation_new(station, id_token, expires_at, connector_id, user)
    params = {
        "connector_id": connector_id or 0,
        "id_tag": id_token.value,
        "reservation_id": reservation.pk,
        "expires_at": format_timestamp(expires_at),
    }
    if connector_type:
        params["connector_type"] = connector_type
        reservation.connector_type = connector_type
    if id_token.parent_id:
        params["parent_id_tag"] = id_token.parent.value
    try:
        command = commands.send_command(
            station, "reserve_now", params, timeout=timeout, user=user, wait=wait
        )
    except CommandError:
        reservation.delete()
        raise
    reservation.command = command
    reservation.status = _STATUS_AFTER_RESERVE.get(command.status, reservation.status)
    reservation.save(update_fields=["command", "status", "connector_type", "updated_at"])
    if command.status == Command.Status.PENDING:
        # The answer may have been stored before the reservation named its command.
        reservation_settle(command_id=command.pk)
        reservation.refresh_from_db()
    return reservation


def reservation_settle(*, command_id: int) -> None:
    """A ReserveNow answered after `reservation_create` returned: the reservation
    (still `requested`) takes the outcome. Other commands change nothing."""
    command = Command.objects.filter(pk=command_id).only("status").first()
    status = _STATUS_AFTER_RESERVE.get(command.status) if command else None
    if status is not None:
        Reservation.objects.filter(
            command_id=command_id, status=Reservation.Status.REQUESTED
        ).update(status=status, updated_at=timezone.now())


@transaction.atomic
def _reservation_new(station, id_token, expires_at, connector_id, user) -> Reservation:
    # The station row lock serialises reservations of one station (no double booking).
    station = ChargingStation.objects.select_for_update(no_key=True).get(pk=station.pk)
    errors = {}
    if expires_at <= timezone.now():
        errors["expires_at"] = "Must be in the future."
    if id_token.effective_status() != IdToken.Status.ACCEPTED:
        errors["id_token"] = "The token is not accepted."
    connector = None
    if connector_id:
        connector = Connector.objects.filter(station=station, connector_id=connector_id).first()
        if connector is None:
            errors["connector_id"] = "No such connector."
    taken = Reservation.objects.active().filter(station=station, connector=connector)
    if connector is not None and taken.exists():
        errors["connector_id"] = "The connector is already reserved."
    if errors:
        raise CommandError("Invalid reservation.", errors)
    return Reservation.objects.create(
        station=station,
        connector=connector,
        id_token=id_token,
        id_tag=id_token.value,
        expires_at=expires_at,
        requested_by=user,
    )


def reservation_cancel(
    *, reservation: Reservation, user=None, timeout: float | None = None
) -> Reservation:
    """Send CancelReservation; cancelled once the station confirms or holds no such id.

    Offline or no answer: the reservation stays as it was and `cancel_command` says why.
    """
    if reservation.status not in (Reservation.Status.REQUESTED, Reservation.Status.ACCEPTED):
        raise CommandError(
            "Only a requested or accepted reservation can be cancelled.",
            {"status": f"The reservation is {reservation.status}."},
        )
    command = commands.send_command(
        reservation.station,
        "cancel_reservation",
        {"reservation_id": reservation.pk},
        timeout=timeout,
        user=user,
    )
    reservation.cancel_command = command
    # Rejected (1.6 §5.2, 2.0.1 H02): the station holds no reservation with that id.
    if command.status in (Command.Status.ACCEPTED, Command.Status.REJECTED):
        reservation.status = Reservation.Status.CANCELLED
    reservation.save(update_fields=["cancel_command", "status", "updated_at"])
    return reservation


def reservations_expire() -> int:
    """Mark reservations past their expiry as expired; return how many."""
    return Reservation.objects.filter(
        status__in=[Reservation.Status.REQUESTED, Reservation.Status.ACCEPTED],
        expires_at__lte=timezone.now(),
    ).update(status=Reservation.Status.EXPIRED, updated_at=timezone.now())


def reservation_status_apply(*, station_pk: int, data: dict) -> None:
    """A 2.0.1 ReservationStatusUpdate: the station expired or removed a reservation."""
    status = _STATUS_UPDATES.get(data.get("reservation_update_status"))
    if status is None or data.get("reservation_id") is None:
        return
    Reservation.objects.filter(
        pk=data["reservation_id"],
        station_id=station_pk,
        status__in=[Reservation.Status.REQUESTED, Reservation.Status.ACCEPTED],
    ).update(status=status, updated_at=timezone.now())
