"""Charging profiles (OCPP 1.6 Smart Charging): which limit applies to a connector.

TxProfile beats TxDefaultProfile, the highest stack level wins within a purpose, and
a ChargePointMaxProfile (connector 0) is shared by the connectors charging.
"""

from stations.simulator import power as curves
from stations.simulator.state import MAX_PROFILES, Connector, Profile


def install(profiles: list[Profile], profile: Profile) -> list[Profile]:
    """`profiles` with `profile` added, replacing the one it supersedes."""
    kept = [
        p
        for p in profiles
        if p.id != profile.id
        and not (
            p.connector_id == profile.connector_id
            and p.purpose == profile.purpose
            and p.stack_level == profile.stack_level
        )
    ]
    return [*kept, profile][-MAX_PROFILES:]


def profile_limit_w(profile: Profile, connector: Connector, now: float) -> float | None:
    """The limit in W `profile` sets at `now` (time.monotonic()), or None."""
    schedule = profile.data.get("charging_schedule") or {}
    if profile.data.get("charging_profile_kind") == "Relative" and connector.charging_since:
        elapsed = now - connector.charging_since
    else:
        elapsed = now - profile.installed
    duration = schedule.get("duration")
    if duration is not None and elapsed > duration:
        return None
    current = None
    for period in sorted(
        schedule.get("charging_schedule_period") or [], key=lambda p: p["start_period"]
    ):
        if period["start_period"] <= elapsed:
            current = period
    if current is None:
        return None
    limit = float(current["limit"])
    if schedule.get("charging_rate_unit") == "A":
        phases = current.get("number_phases") or (
            connector.vehicle.phases if connector.vehicle else 3
        )
        limit *= curves.NOMINAL_VOLTAGE * phases
    return limit


def limit_w(
    profiles: list[Profile], connector: Connector, charging: int, now: float
) -> float | None:
    """The power `connector` may draw at `now`; `charging` connectors share the station."""
    if not profiles:
        return None

    def top(purpose: str, connector_ids) -> float | None:
        candidates = [
            p
            for p in profiles
            if p.purpose == purpose
            and p.connector_id in connector_ids
            and (
                purpose != "TxProfile"
                or p.data.get("transaction_id") in (None, connector.transaction_id)
            )
        ]
        for profile in sorted(candidates, key=lambda p: -p.stack_level):
            limit = profile_limit_w(profile, connector, now)
            if limit is not None:
                return limit
        return None

    limit = top("TxProfile", (connector.id,))
    if limit is None:
        limit = top("TxDefaultProfile", (connector.id, 0))
    station_max = top("ChargePointMaxProfile", (0,))
    if station_max is not None:
        share = station_max / max(charging, 1)
        limit = share if limit is None else min(limit, share)
    return limit
