"""Commands whose ids ChargeNet assigns and whose outcome it tracks.

The REST command endpoint (and anyone sending a raw action) goes through
`command_send_tracked`: a `reserve_now` without `reservation_id` becomes a Reservation
(stations/services/reservations.py: the reservation's pk is the id, and the
reservation is honoured and expires as one made at /api/v1/reservations/), and a
`set_charging_profile` whose profile has no id becomes a stored ChargingProfile
(stations/services/charging_profiles.py assigns the id). Every other command is sent
as given (stations/commands/service.py).
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
    ChargeNet assigns the id (always waiting for the station's answer then)."""
    params = dict(params or {})
    if action == "reserve_now" and params.get("reservation_id") in (None, ""):
        return _reserve(station, params, timeout=timeout, user=user)
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
            )
            return row.command
    return commands.send_command(
        station, action, params, timeout=timeout, user=user, base_url=base_url, wait=wait
    )


def _reserve(station: ChargingStation, params: dict, *, timeout, user) -> Command:
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
    )
    return reservation.command
