"""Charging profiles: limits ChargeNet sets on stations, checked before sending.

A profile is given in ChargeNet's version-neutral shape (stations/ocpp/requests16.py
and requests201.py turn it into each version's words):

    {"id"?, "purpose": tx_default|tx|max, "stack_level", "kind": absolute|recurring|
     relative, "recurrency"?: daily|weekly, "valid_from"?, "valid_to"?,
     "transaction_id"?, "schedule": {"unit": W|A, "duration"?, "start"?, "min_rate"?,
     "periods": [{"start_period", "limit", "number_phases"?}, ...]}}

OCPP-shaped profiles (1.6 csChargingProfiles or 2.x ChargingProfileType, camelCase
or snake_case) and the shortest form, `limit` (+ `unit`), are accepted too
(stations/ocpp/neutral.py turns them into this shape).

It is stored (one row per station and profile id, as the station keeps it), sent with
set_charging_profile, and the station's answer is stored on the row. Omitted, the id
is one above any the station was given (`charging_profile_next_id`).
"""

from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from stations.commands import service as commands
from stations.metering import format_timestamp
from stations.models import ChargingProfile, ChargingSession, ChargingStation, Command, Connector
from stations.ocpp import build_command
from stations.ocpp.neutral import profile_neutral
from stations.ocpp.requests import CommandError

Profile = ChargingProfile


class _Errors(dict):
    def add(self, field: str, message: str) -> None:
        self.setdefault(field, message)


def charging_profile_clean(profile: dict, *, connector_id: int | None, ocpp_version: str) -> dict:
    """The model fields of a neutral profile; raises CommandError naming each bad field."""
    errors = _Errors()
    profile = profile_neutral(profile)
    if not isinstance(profile, dict):
        raise CommandError("Invalid charging profile.", {"charging_profile": "Must be an object."})
    purpose = _choice(profile, "purpose", Profile.Purpose.values, None, errors)
    kind = _choice(profile, "kind", Profile.Kind.values, Profile.Kind.ABSOLUTE, errors)
    recurrency = profile.get("recurrency") or ""
    if kind == Profile.Kind.RECURRING and recurrency not in Profile.Recurrency.values:
        errors.add("recurrency", "A recurring profile recurs daily or weekly.")
    elif kind != Profile.Kind.RECURRING and recurrency:
        errors.add("recurrency", "Only a recurring profile has a recurrency.")
    fields = {
        "purpose": purpose,
        "kind": kind,
        "recurrency": recurrency,
        "stack_level": _integer(profile, "stack_level", errors, default=0, minimum=0),
        "profile_id": _integer(profile, "id", errors, minimum=1),
        "valid_from": _moment(profile, "valid_from", errors),
        "valid_to": _moment(profile, "valid_to", errors),
        "transaction_id": str(profile.get("transaction_id") or ""),
    }
    if fields["valid_from"] and fields["valid_to"] and fields["valid_from"] >= fields["valid_to"]:
        errors.add("valid_to", "Must be after valid_from.")
    _check_target(fields, connector_id, ocpp_version, errors)
    fields.update(_schedule(profile.get("schedule"), kind, errors))
    if errors:
        raise CommandError("Invalid charging profile.", dict(errors))
    return fields


def _check_target(fields: dict, connector_id, ocpp_version: str, errors: _Errors) -> None:
    """What each purpose applies to (1.6 §3.13.1, 2.0.1 K01.FR.03/.16)."""
    purpose, transaction_id = fields["purpose"], fields["transaction_id"]
    if purpose == Profile.Purpose.MAX and connector_id:
        errors.add("connector_id", "A maximum profile applies to the whole station.")
    if purpose == Profile.Purpose.TX and not connector_id:
        errors.add("connector_id", "A TxProfile applies to the connector of its transaction.")
    if purpose == Profile.Purpose.TX and not transaction_id and ocpp_version not in ("", "1.6"):
        errors.add("transaction_id", "A TxProfile names its transaction (2.0.1 K01.FR.03).")
    if transaction_id and purpose != Profile.Purpose.TX:
        errors.add("transaction_id", "Only a TxProfile names a transaction.")


def _schedule(schedule, kind: str, errors: _Errors) -> dict:
    if not isinstance(schedule, dict):
        errors.add("schedule", "Required: an object with unit and periods.")
        return {}
    unit = schedule.get("unit") or Profile.Unit.W
    if unit not in Profile.Unit.values:
        errors.add("schedule.unit", "Must be W or A.")
    duration = _integer(schedule, "duration", errors, minimum=1, field="schedule.duration")
    start = _moment(schedule, "start", errors, field="schedule.start")
    if kind == Profile.Kind.RELATIVE and start:
        errors.add("schedule.start", "A relative schedule starts with the transaction.")
    if kind == Profile.Kind.RECURRING and not start:
        errors.add("schedule.start", "A recurring schedule needs its first start.")
    if kind == Profile.Kind.ABSOLUTE and not start:
        start = timezone.now().replace(microsecond=0)  # absolute from now
    min_rate = None
    if schedule.get("min_rate") is not None:
        min_rate = _positive(schedule["min_rate"])
        if min_rate is None:
            errors.add("schedule.min_rate", "Must be a positive number.")
    return {
        "unit": unit,
        "duration": duration,
        "start_schedule": start,
        "min_rate": min_rate,
        "periods": _periods(schedule.get("periods"), duration, errors),
    }


def _periods(periods, duration: int | None, errors: _Errors) -> list[dict]:
    """Periods sorted by start, the first at 0, each limit positive (1.6 §7.13)."""
    if not isinstance(periods, list) or not periods:
        errors.add("schedule.periods", "At least one period is required.")
        return []
    cleaned, previous = [], -1
    for number, period in enumerate(periods):
        where = f"schedule.periods.{number}"
        if not isinstance(period, dict):
            errors.add(where, "Must be an object with start_period and limit.")
            continue
        start = _integer(period, "start_period", errors, minimum=0, field=f"{where}.start_period")
        if start is None:
            errors.add(f"{where}.start_period", "Required: seconds from the schedule start.")
            continue
        if number == 0 and start != 0:
            errors.add(f"{where}.start_period", "The first period starts at 0.")
        elif start <= previous:
            errors.add(f"{where}.start_period", "Periods must be in increasing start order.")
        elif duration is not None and start >= duration:
            errors.add(f"{where}.start_period", "Starts after the schedule's duration.")
        previous = start
        limit = _positive(period.get("limit"))
        if limit is None:
            errors.add(f"{where}.limit", "Must be a positive number.")
            continue
        phases = _integer(
            period, "number_phases", errors, minimum=1, field=f"{where}.number_phases"
        )
        if phases is not None and phases > 3:
            errors.add(f"{where}.number_phases", "Must be 1, 2 or 3.")
        item = {"start_period": start, "limit": limit}
        if phases is not None:
            item["number_phases"] = phases
        cleaned.append(item)
    return cleaned


def _positive(value) -> int | float | None:
    """A positive limit, to one decimal (OCPP 1.6 multipleOf 0.1); whole numbers as int."""
    try:
        number = Decimal(str(value)).quantize(Decimal("0.1"))
    except (InvalidOperation, TypeError, ValueError):
        return None
    if not number.is_finite() or number <= 0:
        return None
    return int(number) if number == number.to_integral_value() else float(number)


def _choice(data: dict, name: str, values, default, errors: _Errors):
    value = data.get(name) or default
    if value not in values:
        errors.add(name, f"Must be one of: {', '.join(values)}.")
    return value


def _integer(data: dict, name: str, errors: _Errors, default=None, minimum=None, field=None):
    value = data.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool) or not isinstance(value, int | str):
        errors.add(field or name, "Must be an integer.")
        return default
    try:
        number = int(value)
    except ValueError:
        errors.add(field or name, "Must be an integer.")
        return default
    if minimum is not None and number < minimum:
        errors.add(field or name, f"Must be at least {minimum}.")
    return number


def _moment(data: dict, name: str, errors: _Errors, field=None) -> datetime | None:
    value = data.get(name)
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        moment = parse_datetime(str(value)) if isinstance(value, str) else None
    if moment is None or timezone.is_naive(moment):
        errors.add(field or name, "Must be an ISO 8601 date-time with an offset (e.g. Z).")
        return None
    return moment


def charging_profile_params(profile: ChargingProfile) -> dict:
    """The version-neutral set_charging_profile params of a stored profile."""
    schedule: dict = {"unit": profile.unit, "periods": profile.periods}
    if profile.duration:
        schedule["duration"] = profile.duration
    if profile.start_schedule:
        schedule["start"] = format_timestamp(profile.start_schedule)
    if profile.min_rate is not None:
        schedule["min_rate"] = float(profile.min_rate)
    body = {
        "id": profile.profile_id,
        "purpose": profile.purpose,
        "stack_level": profile.stack_level,
        "kind": profile.kind,
        "schedule": schedule,
    }
    if profile.recurrency:
        body["recurrency"] = profile.recurrency
    for name in ("valid_from", "valid_to"):
        if getattr(profile, name):
            body[name] = format_timestamp(getattr(profile, name))
    if profile.transaction_id:
        body["transaction_id"] = profile.transaction_id
    connector = profile.connector.connector_id if profile.connector_id else 0
    return {"connector_id": connector, "charging_profile": body}


def charging_profile_set(
    *,
    station: ChargingStation,
    profile: dict,
    connector_id: int | None = None,
    session: ChargingSession | None = None,
    source: str = Profile.Source.OPERATOR,
    user=None,
    timeout: float | None = None,
    wait: bool = True,
) -> ChargingProfile:
    """Check, store and send a profile; the row keeps the station's answer.

    `wait=False`: return once the station's process has the command; the row stays
    `requested` until the answer comes (`charging_profile_settle`).

    Raises CommandError (nothing stored or sent) when the profile is invalid.
    """
    station = ChargingStation.objects.get(pk=station.pk)  # its version may have changed
    fields = charging_profile_clean(
        profile, connector_id=connector_id, ocpp_version=station.ocpp_version
    )
    connector = None
    if connector_id:
        connector = Connector.objects.filter(station=station, connector_id=connector_id).first()
        if connector is None:
            raise CommandError("Unknown connector.", {"connector_id": "No such connector."})
    row = _profile_store(station, connector, fields, session, source, user)
    try:
        command = commands.send_command(
            station,
            "set_charging_profile",
            charging_profile_params(row),
            timeout=timeout,
            user=user,
            wait=wait,
        )
    except CommandError as error:
        row.status = Profile.Status.FAILED
        row.save(update_fields=["status", "updated_at"])
        raise error
    row.command = command
    if command.status != Command.Status.PENDING:
        row.status = command.status
    row.save(update_fields=["command", "status", "updated_at"])
    if command.status == Command.Status.PENDING:
        # The answer may have been stored before the row named its command.
        charging_profile_settle(command_id=command.pk)
        row.refresh_from_db()
    return row


def charging_profile_settle(*, command_id: int) -> None:
    """A SetChargingProfile answered after `charging_profile_set` returned: the row
    (still `requested`) takes the outcome. Other commands change nothing."""
    command = Command.objects.filter(pk=command_id).only("status").first()
    if command is None or command.status == Command.Status.PENDING:
        return
    ChargingProfile.objects.filter(command_id=command_id, status=Profile.Status.REQUESTED).update(
        status=command.status, updated_at=timezone.now()
    )


@transaction.atomic
def _profile_store(station, connector, fields, session, source, user) -> ChargingProfile:
    # Lock the station: profile ids are allocated per station.
    ChargingStation.objects.select_for_update(no_key=True).get(pk=station.pk)
    profile_id = fields.pop("profile_id")
    existing = None
    if profile_id is None and session is not None:
        existing = ChargingProfile.objects.filter(session=session, source=source).first()
    if profile_id is None and existing is None:
        profile_id = commands.charging_profile_next_id(station)
    defaults = {
        **fields,
        "connector": connector,
        "session": session,
        "source": source,
        "requested_by": user,
        "status": Profile.Status.REQUESTED,
        "command": None,
        "clear_command": None,
    }
    if existing is not None:
        for name, value in defaults.items():
            setattr(existing, name, value)
        existing.save()
        row = existing
    else:
        row, _ = ChargingProfile.objects.update_or_create(
            station=station, profile_id=profile_id, defaults=defaults
        )
    params = charging_profile_params(row)
    build_command(station.ocpp_version, "set_charging_profile", params)  # schema check
    return row


def charging_profile_clear(
    *, profile: ChargingProfile, user=None, timeout: float | None = None
) -> ChargingProfile:
    """Send ClearChargingProfile; cleared once the station confirms or knows no such id."""
    command = commands.send_command(
        profile.station,
        "clear_charging_profile",
        {"id": profile.profile_id},
        timeout=timeout,
        user=user,
    )
    profile.clear_command = command
    # "Unknown" (1.6 §6.14, 2.0.1 K10): the station holds no profile with that id.
    answer = (command.response or {}).get("status")
    if command.status == Command.Status.ACCEPTED or answer == "Unknown":
        profile.status = Profile.Status.CLEARED
    profile.save(update_fields=["clear_command", "status", "updated_at"])
    return profile
