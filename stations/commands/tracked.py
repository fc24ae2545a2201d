"""Commands whose ids ChargeNet assigns and whose outcome it tracks.

The REST command endpoint (and anyone sending a raw action) goes through
`command_send_tracked`: a `reserve_now` without `reservation_id` becomes a Reservation
(stations/services/reservations.py: the reservation's pk is the id, and the
reservation is honoured and expires as one made at /api/v1/reservations/), and a
`set_charging_profile` whose profile has no id becomes a stored ChargingProfile
(stations/services/charging_profiles.py assigns the id). Every other command is sent
as given (stations/commands/service.py). The REST API, the station page's command forms
and the admin's actions all send through here.
"""

from django.utils.dateparse import parse_datetime

from stations.commands import service as commands
from stations.models import ChargingStation, Command
from stations.ocpp.neutral import profile_neutral
from stations.ocpp.requests import CommandError
from stations.services import charging_profiles, reservations
from stations.services.authorization import token_find


def command_send_tracked(
    station: ChargingStation,
    action: str,
    params: dict | None = None,
    *,
    timeout=None,
    user=None,
    base_url=None,
    wait=True,
) -> Command:
    """`send_command`, but through the reservation or charging-profile service when
    ChargeNet assigns the id. `wait=False` returns the pending command at once there
    too; the reservation or profile takes the outcome when it comes (`tracked_settle`)."""
    commands.command_check(station, action, params)
    params = dict(params or {})
    if action == "reserve_now" and _assigns(action, params):
        return _reserve(station, params, timeout=timeout, user=user, wait=wait)
    profile = params.get("charging_profile")
    if action == "set_charging_profile" and isinstance(profile, dict):
        rest = {name: value for name, value in params.items() if name != "charging_profile"}
        neutral = commands.command_params(station, action, rest)
        profile = profile_neutral(profile)
        if isinstance(profile, dict) and profile.get("id") in (None, ""):
            row = charging_profiles.charging_profile_set(
                station=station,
                profile=profile,
                connector_id=neutral.get("connector_id") or None,
                user=user,
                timeout=timeout,
                wait=wait,
            )
            return row.command
    return commands.send_command(
        station, action, params, timeout=timeout, user=user, base_url=base_url, wait=wait
    )


# The station page and the admin send through here too (stations/commands/views.py).
send_command = command_send_tracked


def send_commands(
    requests: list[tuple[ChargingStation, str, dict]], *, timeout=None, user=None
) -> list[Command | CommandError]:
    """`commands.send_commands` (all at once), with the commands whose id ChargeNet
    assigns made through their service as in `command_send_tracked`."""
    assigned = {n for n, (_, action, params) in enumerate(requests) if _assigns(action, params)}
    others = iter(
        commands.send_commands(
            [r for n, r in enumerate(requests) if n not in assigned], timeout=timeout, user=user
        )
    )
    results = []
    for number, (station, action, params) in enumerate(requests):
        if number not in assigned:
            results.append(next(others))
            continue
        try:
            results.append(
                command_send_tracked(station, action, params, timeout=timeout, user=user)
            )
        except CommandError as error:
            results.append(error)
    return results


def _assigns(action: str, params: dict) -> bool:
    """Whether ChargeNet assigns this command's reservation or profile id."""
    if action == "reserve_now":
        return params.get("reservation_id") in (None, "")
    profile = params.get("charging_profile")
    if action == "set_charging_profile" and isinstance(profile, dict):
        profile = profile_neutral(profile)
        return isinstance(profile, dict) and profile.get("id") in (None, "")
    return False


def tracked_settle(kind: str, station_pk: int | None, data: dict) -> None:
    """`command.finished`: a reservation or profile whose command was answered after
    it was made (sent with wait=False) takes the outcome."""
    reservations.reservation_settle(command_id=data["command"])
    charging_profiles.charging_profile_settle(command_id=data["command"])


def _reserve(station: ChargingStation, params: dict, *, timeout, user, wait) -> Command:
    p = commands.command_params(station, "reserve_now", params)
    errors = {}
    token = token_find(str(p.get("id_tag") or ""), parent=True)
    if token is None:
        errors["id_token"] = (
            "Required: a token ChargeNet knows (or give reservation_id)."
            if p.get("id_tag")
            else "This parameter is required."
        )
    expires_at = p.get("expires_at")
    moment = parse_datetime(str(expires_at)) if expires_at else None
    if moment is None or moment.tzinfo is None:
        errors["expires_at"] = "Required: an ISO 8601 date-time with an offset (e.g. Z)."
    if errors:
        raise CommandError("Invalid reservation.", errors)
    reservation = reservations.reservation_create(
        station=station,
        id_token=token,
        expires_at=moment,
        connector_id=int(p.get("connector_id") or 0) or None,
        connector_type=p.get("connector_type") or "",
        user=user,
        timeout=timeout,
        wait=wait,
    )
    return reservation.command
