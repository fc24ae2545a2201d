"""One parameter set per action, whatever the station's OCPP version.

`params_neutral(action, params)` is the one place where the names callers may use
become the names the builders (requests16.py, requests201*.py) read:

- `id_token` (the 2.x word) and `id_tag` (the 1.6 word) are the same parameter; the
  builders of remote_start / reserve_now read `id_tag`, customer_information reads
  `id_token`. `parent_id_token` is `parent_id_tag`. `id_token_type` (and
  `parent_id_token_type`) is a 2.x IdTokenEnumType, in the spec's spelling or
  snake_case (`iso14443`, `central`); 1.6 stations ignore it.
- `expiry_date` / `expiry_date_time` (the messages' words) are `expires_at`.
- `charging_profile` may be ChargeNet's simple form or an OCPP-shaped profile of
  either version, in camelCase or snake_case (`profile_neutral`).

What needs the station's rows (EVSE ids from connector ids and back, transaction ids
from session ids, reservation and profile ids assigned) is done by the command
service (`stations/commands/service.py`).
"""

from stations.ocpp.payloads import snake_case
from stations.ocpp.requests import CommandError, snake_name, spec_choice
from stations.ocpp.requests201_device import ID_TOKEN_TYPES

# Actions whose builders read `id_tag`; customer_information reads `id_token`.
TAG_ACTIONS = frozenset({"remote_start", "reserve_now"})
PROFILE_ACTIONS = frozenset({"remote_start", "set_charging_profile"})
# Spec purposes (1.6 and 2.x) as ChargeNet names them.
PURPOSES = {
    "TxDefaultProfile": "tx_default",
    "TxProfile": "tx",
    "ChargePointMaxProfile": "max",
    "ChargingStationMaxProfile": "max",
    "ChargingStationExternalConstraints": "external_constraints",
}


def params_neutral(action: str, params: dict) -> dict:
    """`params` with every alias under the name the builders read (a new dict)."""
    p = dict(params)
    if action in TAG_ACTIONS:
        _alias(p, "id_token", "id_tag")
        _alias(p, "parent_id_token", "parent_id_tag")
    elif action == "customer_information":
        _alias(p, "id_tag", "id_token")
    if action == "reserve_now":
        _alias(p, "expiry_date_time", "expires_at")
        _alias(p, "expiry_date", "expires_at")
    for name in ("id_token_type", "parent_id_token_type"):
        if p.get(name):
            p[name] = spec_choice(p, name, ID_TOKEN_TYPES)
    if action in PROFILE_ACTIONS and p.get("charging_profile"):
        p["charging_profile"] = profile_neutral(p["charging_profile"])
    return p


def _alias(p: dict, alias: str, name: str) -> None:
    if alias not in p:
        return
    value = p.pop(alias)
    if p.get(name) in (None, ""):
        p[name] = value
    elif value not in (None, "") and str(value) != str(p[name]):
        raise CommandError(
            "Conflicting parameters.", {alias: f"Give {alias} or {name}, not two values."}
        )


def profile_neutral(profile):
    """A charging profile in ChargeNet's form (stations/services/charging_profiles.py).

    Accepted: that form (`schedule` with `unit` and `periods`); its shortest spelling,
    `limit` (+ `unit`) for one period from the start; and OCPP-shaped profiles, 1.6
    csChargingProfiles (`chargingProfileId`, `chargingSchedule` an object) or 2.x
    (`id`, `chargingSchedule` a list of one), camelCase or snake_case.
    """
    if not isinstance(profile, dict):
        return profile
    p = snake_case(profile)
    if "charging_schedule" not in p:
        if p.get("schedule") is None and p.get("limit") is not None:
            p = dict(p)
            unit = p.pop("unit", None)
            period = {"start_period": 0, "limit": p.pop("limit")}
            if p.get("number_phases") is not None:
                period["number_phases"] = p.pop("number_phases")
            p["schedule"] = {"periods": [period], **({"unit": unit} if unit else {})}
        return p
    schedule = p["charging_schedule"]
    if isinstance(schedule, list):
        if len(schedule) != 1 or not isinstance(schedule[0], dict):
            raise CommandError(
                "Invalid charging profile.",
                {"charging_profile.charging_schedule": "Give one schedule."},
            )
        schedule = schedule[0]
    if not isinstance(schedule, dict):
        raise CommandError(
            "Invalid charging profile.",
            {"charging_profile.charging_schedule": "Must be an object."},
        )
    purpose = p.get("charging_profile_purpose")
    neutral = {
        "id": p.get("charging_profile_id", p.get("id")),
        "stack_level": p.get("stack_level"),
        "purpose": PURPOSES.get(purpose, purpose),
        "kind": _lower(p.get("charging_profile_kind")),
        "recurrency": _lower(p.get("recurrency_kind")),
        "valid_from": p.get("valid_from"),
        "valid_to": p.get("valid_to"),
        "transaction_id": p.get("transaction_id"),
        "schedule": _without_nones(
            {
                "id": schedule.get("id"),
                "unit": schedule.get("charging_rate_unit"),
                "duration": schedule.get("duration"),
                "start": schedule.get("start_schedule"),
                "min_rate": schedule.get("min_charging_rate"),
                "periods": [
                    _without_nones(
                        {
                            "start_period": period.get("start_period"),
                            "limit": period.get("limit"),
                            "number_phases": period.get("number_phases"),
                        }
                    )
                    if isinstance(period, dict)
                    else period
                    for period in schedule.get("charging_schedule_period") or []
                ],
            }
        ),
    }
    return _without_nones(neutral)


def _lower(value):
    return snake_name(value) if isinstance(value, str) else value


def _without_nones(data: dict) -> dict:
    return {key: value for key, value in data.items() if value is not None}
