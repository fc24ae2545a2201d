"""How a simulated OCPP 2.0.1 station answers smart-charging calls.

SetChargingProfile, ClearChargingProfile and GetCompositeSchedule, computed by
`smart_charging` in 1.6 terms: 2.0.1 profiles are translated by `profile_data`.
"""

import logging

from ocpp.routing import on
from ocpp.v201 import call_result
from ocpp.v201.enums import Action

from stations.simulator.state import Profile, now_iso

logger = logging.getLogger("stations.simulator")

# 2.0.1 charging profile purposes -> the 1.6 names `smart_charging` computes with.
PURPOSES = {
    "ChargingStationMaxProfile": "ChargePointMaxProfile",
    "TxDefaultProfile": "TxDefaultProfile",
    "TxProfile": "TxProfile",
}


def profile_data(profile: dict) -> dict:
    """A 2.0.1 chargingProfile in the shape `smart_charging` reads (1.6 names)."""
    schedules = profile.get("charging_schedule") or [{}]
    return {
        "charging_profile_id": profile.get("id"),
        "stack_level": profile.get("stack_level", 0),
        "charging_profile_purpose": PURPOSES.get(profile.get("charging_profile_purpose"), ""),
        "charging_profile_kind": profile.get("charging_profile_kind"),
        "charging_schedule": schedules[0],
        "transaction_id": profile.get("transaction_id"),
    }


class SmartChargingHandlers201:
    """Mixed into `CsmsHandlers201`: the smart-charging handlers."""

    @on(Action.set_charging_profile)
    def on_set_charging_profile(self, evse_id, charging_profile, **kwargs):
        data = profile_data(charging_profile)
        purpose = data["charging_profile_purpose"]
        connector = self.connectors.get(evse_id)
        rejected = call_result.SetChargingProfile(status="Rejected")
        if (evse_id != 0 and connector is None) or not purpose:
            return rejected
        if purpose == "ChargePointMaxProfile" and evse_id != 0:
            return rejected
        if purpose == "TxProfile":
            if connector is None or connector.transaction_id is None:
                return rejected
            if data["transaction_id"] not in (None, connector.transaction_id):
                return rejected
            data["transaction_id"] = connector.transaction_id
        self._install_profile(evse_id, data)
        logger.info(
            "%s: charging profile %s (%s) set on EVSE %d",
            self.id,
            data["charging_profile_id"],
            charging_profile.get("charging_profile_purpose"),
            evse_id,
        )
        return call_result.SetChargingProfile(status="Accepted")

    @on(Action.clear_charging_profile)
    def on_clear_charging_profile(
        self, charging_profile_id=None, charging_profile_criteria=None, **kwargs
    ):
        criteria = charging_profile_criteria or {}
        evse_id = criteria.get("evse_id")
        purpose = PURPOSES.get(criteria.get("charging_profile_purpose"))
        stack_level = criteria.get("stack_level")

        def matches(profile: Profile) -> bool:
            if charging_profile_id is not None:
                return profile.id == charging_profile_id
            return (
                (evse_id is None or profile.connector_id == evse_id)
                and (purpose is None or profile.purpose == purpose)
                and (stack_level is None or profile.stack_level == stack_level)
            )

        kept = [p for p in self.profiles if not matches(p)]
        removed = len(self.profiles) - len(kept)
        self.profiles = kept
        return call_result.ClearChargingProfile(status="Accepted" if removed else "Unknown")

    @on(Action.get_composite_schedule)
    def on_get_composite_schedule(self, duration, evse_id, charging_rate_unit=None, **kwargs):
        if evse_id != 0 and evse_id not in self.connectors:
            return call_result.GetCompositeSchedule(status="Rejected")
        unit = charging_rate_unit or "W"
        return call_result.GetCompositeSchedule(
            status="Accepted",
            schedule={
                "evse_id": evse_id,
                "duration": duration,
                "schedule_start": now_iso(),
                "charging_rate_unit": unit,
                "charging_schedule_period": [
                    {"start_period": 0, "limit": round(self._schedule_limit(evse_id, unit), 1)}
                ],
            },
        )
