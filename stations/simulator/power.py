"""What a plugged-in vehicle draws: pure functions of its state of charge.

Cars charge on AC between 7 and 22 kW (their on-board charger: 7.4 kW on one phase,
11 or 22 kW on three), hold that power and taper near full. E-bike ports feed a
bicycle's own charger, 80-400 W: constant current first, then a constant-voltage
phase in which the power falls as the battery fills. A full battery draws nothing.
"""

import random
from dataclasses import dataclass

CAR_MIN_W = 7_000
CAR_MAX_W = 22_000
CAR_TAPER_FROM = 80.0  # % state of charge where an AC car starts to taper
EBIKE_MIN_W = 80
EBIKE_MAX_W = 400
EBIKE_TAPER_FROM = 70.0  # % where the bike charger switches to constant voltage
NOMINAL_VOLTAGE = 230.0
FULL = 100.0

# (on-board charger power in W, phases, weight): the AC cars one meets at a kerb.
CAR_CHARGERS = ((7_400, 1, 4), (11_000, 3, 5), (22_000, 3, 1))


@dataclass(frozen=True)
class Vehicle:
    """A plugged-in car or e-bike: what it can draw, how big and how full it is."""

    kind: str  # "car" or "ebike"
    rated_w: float  # what it draws while the battery is not nearly full
    phases: int
    battery_wh: float
    soc_start: float  # % when plugged in
    soc_target: float  # % at which it stops drawing (a car's charge limit)


def _taper(soc: float, rated_w: float, floor_w: float, taper_from: float) -> float:
    if soc >= FULL:
        return 0.0
    if soc <= taper_from:
        return rated_w
    filled = (soc - taper_from) / (FULL - taper_from)
    return rated_w - (rated_w - floor_w) * filled


def car_power_w(soc: float, rated_w: float) -> float:
    """Power a car draws at `soc` %: steady at its rating, tapering above 80 %.

    Always within 7-22 kW until the battery is full (then 0).
    """
    rated_w = min(max(rated_w, CAR_MIN_W), CAR_MAX_W)
    return _taper(soc, rated_w, CAR_MIN_W, CAR_TAPER_FROM)


def ebike_power_w(soc: float, rated_w: float) -> float:
    """Power an e-bike charger draws at `soc` %: constant, then falling to 80 W at full.

    Always within 80-400 W until the battery is full (then 0).
    """
    rated_w = min(max(rated_w, EBIKE_MIN_W), EBIKE_MAX_W)
    return _taper(soc, rated_w, EBIKE_MIN_W, EBIKE_TAPER_FROM)


def power_w(vehicle: Vehicle, soc: float, limit_w: float | None = None) -> float:
    """What `vehicle` draws at `soc` %, capped by a charging-profile limit, if any."""
    if soc >= vehicle.soc_target:
        return 0.0
    curve = car_power_w if vehicle.kind == "car" else ebike_power_w
    power = curve(soc, vehicle.rated_w)
    if limit_w is not None:
        power = min(power, max(limit_w, 0.0))
    return power


def charge(vehicle: Vehicle, soc: float, power: float, seconds: float) -> tuple[float, float]:
    """Energy (Wh) delivered at `power` for `seconds`, and the state of charge after."""
    energy_wh = max(power, 0.0) * max(seconds, 0.0) / 3600.0
    soc = min(FULL, soc + 100.0 * energy_wh / vehicle.battery_wh)
    return energy_wh, soc


def current_a(power: float, phases: int, voltage: float = NOMINAL_VOLTAGE) -> float:
    """Current per phase in A for `power` W spread over `phases` phases."""
    return power / (max(phases, 1) * voltage)


def random_vehicle(kind: str, rng: random.Random) -> Vehicle:
    """A plausible car (40-100 kWh) or e-bike (300-750 Wh) arriving partly charged."""
    if kind == "car":
        rated, phases, _ = rng.choices(CAR_CHARGERS, weights=[c[2] for c in CAR_CHARGERS])[0]
        return Vehicle(
            kind="car",
            rated_w=rated * rng.uniform(0.97, 1.0),
            phases=phases,
            battery_wh=rng.uniform(40_000, 100_000),
            soc_start=rng.uniform(10, 70),
            soc_target=rng.choice((80.0, 90.0, 100.0)),
        )
    return Vehicle(
        kind="ebike",
        rated_w=rng.uniform(120, EBIKE_MAX_W),
        phases=1,
        battery_wh=rng.uniform(300, 750),
        soc_start=rng.uniform(5, 80),
        soc_target=FULL,
    )
