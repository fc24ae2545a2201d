"""A tariff's whole definition as JSON, and back: what a tariff version keeps.

Every price is a decimal string, times are HH:MM:SS, weekdays a sorted list; the same
spec always gives the same JSON (and the same digest), so an unchanged tariff never
makes a new version.
"""

import hashlib
import json
from datetime import time
from decimal import Decimal

from billing.pricing.facts import PowerTier, TariffSpec, TimeOfUseRule

#: Raise when the JSON's shape changes, so old versions are read by their own rules.
SNAPSHOT_FORMAT = 1


def _money(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _decimal(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def spec_to_json(spec: TariffSpec) -> dict:
    """The tariff as plain JSON values: every component, window, tier, currency and tax."""
    return {
        "format": SNAPSHOT_FORMAT,
        "name": spec.name,
        "currency": spec.currency,
        "tax_rate_percent": str(spec.tax_rate_percent),
        "energy_price_per_kwh": str(spec.energy_price_per_kwh),
        "time_price_per_hour": str(spec.time_price_per_hour),
        "time_block_minutes": spec.time_block_minutes,
        "session_fee": str(spec.session_fee),
        "idle_price_per_minute": str(spec.idle_price_per_minute),
        "idle_grace_minutes": spec.idle_grace_minutes,
        "idle_fee_cap": _money(spec.idle_fee_cap),
        "time_of_use": [
            {
                "label": rule.label,
                "weekdays": sorted(rule.weekdays),
                "start": rule.start.isoformat(),
                "end": rule.end.isoformat(),
                "energy_price_per_kwh": _money(rule.energy_price_per_kwh),
                "time_price_per_hour": _money(rule.time_price_per_hour),
            }
            for rule in spec.time_of_use
        ],
        "power_tiers": [
            {"up_to_w": tier.up_to_w, "price_per_hour": str(tier.price_per_hour)}
            for tier in spec.power_tiers
        ],
        "tier_sustain_seconds": spec.tier_sustain_seconds,
        "prepaid_block_price": _money(spec.prepaid_block_price),
        "minimum_price": _money(spec.minimum_price),
        "maximum_price": _money(spec.maximum_price),
    }


def spec_from_json(data: dict) -> TariffSpec:
    """The TariffSpec a snapshot was made from (spec_from_json(spec_to_json(s)) == s)."""
    return TariffSpec(
        currency=data["currency"],
        tax_rate_percent=Decimal(data["tax_rate_percent"]),
        name=data["name"],
        energy_price_per_kwh=Decimal(data["energy_price_per_kwh"]),
        time_price_per_hour=Decimal(data["time_price_per_hour"]),
        time_block_minutes=data["time_block_minutes"],
        session_fee=Decimal(data["session_fee"]),
        idle_price_per_minute=Decimal(data["idle_price_per_minute"]),
        idle_grace_minutes=data["idle_grace_minutes"],
        idle_fee_cap=_decimal(data["idle_fee_cap"]),
        time_of_use=tuple(
            TimeOfUseRule(
                label=rule["label"],
                weekdays=frozenset(rule["weekdays"]),
                start=time.fromisoformat(rule["start"]),
                end=time.fromisoformat(rule["end"]),
                energy_price_per_kwh=_decimal(rule["energy_price_per_kwh"]),
                time_price_per_hour=_decimal(rule["time_price_per_hour"]),
            )
            for rule in data["time_of_use"]
        ),
        power_tiers=tuple(
            PowerTier(up_to_w=tier["up_to_w"], price_per_hour=Decimal(tier["price_per_hour"]))
            for tier in data["power_tiers"]
        ),
        tier_sustain_seconds=data["tier_sustain_seconds"],
        prepaid_block_price=_decimal(data["prepaid_block_price"]),
        minimum_price=_decimal(data["minimum_price"]),
        maximum_price=_decimal(data["maximum_price"]),
    )


def snapshot_digest(data: dict) -> str:
    """SHA-256 of the canonical JSON: equal for equal definitions."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()
