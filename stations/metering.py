"""Meter readings and station timestamps, normalised; pure functions."""

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

from django.db.models import Q

logger = logging.getLogger(__name__)

ENERGY_REGISTER = "Energy.Active.Import.Register"
POWER = "Power.Active.Import"
# The whole meter's energy register: no single phase's, and the meter's own reading
# (no location, or Outlet), not the EV's, an inlet's or a cable's.
REGISTER_LOCATIONS = ("", "Outlet")
WHOLE_METER_ENERGY = Q(measurand=ENERGY_REGISTER, phase="", location__in=REGISTER_LOCATIONS)
WHOLE_METER_POWER = Q(measurand=POWER, phase="")

# OCPP default unit per measurand prefix when a sampled value names none.
_DEFAULT_UNITS = (
    ("Energy.Reactive", "varh"),
    ("Energy", "Wh"),
    ("Power.Reactive", "var"),
    ("Power.Factor", ""),
    ("Power", "W"),
    ("Current", "A"),
    ("Voltage", "V"),
    ("SoC", "Percent"),
    ("Frequency", "Hz"),
    ("Temperature", "Celsius"),
    ("RPM", "RPM"),
)
# Units scaled by a thousand to the base unit ChargeNet stores.
_KILO_UNITS = {"kWh": "Wh", "kW": "W", "kvarh": "varh", "kvar": "var", "kVA": "VA"}

# Larger readings are not a meter's (MeterSample holds 20 digits, 4 decimals).
MAX_READING = Decimal(10) ** 15
EARLIEST_PLAUSIBLE = datetime(2010, 1, 1, tzinfo=UTC)
FUTURE_TOLERANCE = timedelta(hours=1)


@dataclass(frozen=True)
class Sample:
    timestamp: datetime
    measurand: str
    value: Decimal
    unit: str
    phase: str = ""
    location: str = ""
    context: str = ""


def default_unit(measurand: str) -> str:
    for prefix, unit in _DEFAULT_UNITS:
        if measurand.startswith(prefix):
            return unit
    return ""


def normalise(
    value: str | int | float, unit: str | None, measurand: str
) -> tuple[Decimal, str] | None:
    """Return (value, unit) in base units, or None for a value that is not a number."""
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    if not number.is_finite():
        return None
    unit = unit or default_unit(measurand)
    if unit in _KILO_UNITS:
        return number * 1000, _KILO_UNITS[unit]
    return number, unit


def reading(
    value: str | int | float, unit: str | None, measurand: str, multiplier: int = 0
) -> tuple[Decimal, str] | None:
    """A meter's value and unit as ChargeNet keeps them, or None when it keeps none.

    `multiplier` is a power of ten (2.0.1's unitOfMeasure.multiplier). A value that
    is not a number (signed data: the meter's blob) is no reading, and neither is an
    impossible one: MAX_READING or more, which no column holds (logged).
    """
    normalised = normalise(value, unit, measurand)
    if normalised is None:
        return None
    number, unit = normalised
    if multiplier:
        number = number.scaleb(multiplier)
    if abs(number) >= MAX_READING:
        logger.warning("Dropped an impossible %s reading: %s", measurand, number)
        return None
    return number, unit


def parse_timestamp(text: str | None) -> datetime | None:
    """Parse an OCPP dateTime (RFC 3339); a missing zone is read as UTC."""
    if not text or not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        if moment.tzinfo is None:
            return moment.replace(tzinfo=UTC)
        return moment.astimezone(UTC)
    except (ValueError, OverflowError):  # unreadable, or past year 9999 / before year 1 in UTC
        return None


def plausible_time(moment: datetime | None, now: datetime) -> bool:
    """False for an unsynchronised clock: before 2010 or more than an hour ahead."""
    return moment is not None and EARLIEST_PLAUSIBLE <= moment <= now + FUTURE_TOLERANCE


def reading_time(moment: datetime | None, now: datetime) -> datetime:
    """When a reading was taken: its own time, or `now` if the station's clock is off."""
    return moment if plausible_time(moment, now) else now


def format_timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def is_whole_meter_energy(sample: Sample) -> bool:
    """The sample is the whole meter's energy register (see WHOLE_METER_ENERGY)."""
    return (
        sample.measurand == ENERGY_REGISTER
        and not sample.phase
        and sample.location in REGISTER_LOCATIONS
    )


def register_readings_wh(samples: list[Sample]) -> list[int]:
    """The whole-meter energy register readings among samples, oldest first, in Wh."""
    ordered = sorted(samples, key=lambda s: s.timestamp)
    return [int(s.value) for s in ordered if is_whole_meter_energy(s)]


def energy_reading_wh(samples: list[Sample]) -> int | None:
    """The latest whole-meter energy register reading among samples, in Wh."""
    readings = register_readings_wh(samples)
    return readings[-1] if readings else None


def register_reading_wh(samples: list[Sample], context: str, *, latest: bool) -> int | None:
    """The register reading a transaction event names as its start or end, in Wh.

    A reading with the event's own context (Transaction.Begin / Transaction.End) wins;
    else the earliest (start) or latest (end): an Ended event may carry the whole
    transaction's series (SampledDataTxEndedMeasurands).
    """
    readings = [s for s in samples if is_whole_meter_energy(s)]
    readings = [s for s in readings if s.context == context] or readings
    if not readings:
        return None
    pick = max if latest else min
    return int(pick(readings, key=lambda s: s.timestamp).value)


def transaction_start_wh(samples: list[Sample]) -> int | None:
    """The register reading a transaction starts from, in Wh: its Transaction.Begin
    reading, else the earliest."""
    return register_reading_wh(samples, "Transaction.Begin", latest=False)


def transaction_stop_wh(samples: list[Sample]) -> int | None:
    """The register reading a transaction ends on, in Wh: its Transaction.End reading,
    else the latest."""
    return register_reading_wh(samples, "Transaction.End", latest=True)


def power_reading_w(samples: list[Sample]) -> int | None:
    readings = [s for s in samples if s.measurand == POWER and not s.phase]
    if not readings:
        return None
    return int(max(readings, key=lambda s: s.timestamp).value)


def celsius(sample: Sample) -> Decimal | None:
    """A Temperature sample in °C (Celsius, Fahrenheit or K); None in another unit."""
    unit = sample.unit or "Celsius"
    if unit == "Celsius":
        return sample.value
    if unit == "Fahrenheit":
        return (sample.value - 32) * 5 / 9
    if unit == "K":
        return sample.value - Decimal("273.15")
    return None
