"""A price preview: what a session of given length and energy would cost under a tariff.

Pure: the same engine that prices real sessions (billing.pricing), fed facts made up
from the operator's question, so the preview and the invoice never disagree.
"""

from datetime import datetime, timedelta
from decimal import Decimal

from billing.pricing import Price, Reading, SessionFacts, TariffSpec, tariff_price_session


def price_preview(
    spec: TariffSpec, *, start: datetime, minutes: int, energy_wh: int, timezone: str
) -> Price:
    """The price of a session from `start` (aware) lasting `minutes`, delivering `energy_wh`.

    The energy is delivered evenly (so time-of-use splits it by time) at a constant
    power, which is also the session's sustained peak for power tiers; no idle time.
    """
    end = start + timedelta(minutes=minutes)
    power_w = Decimal(energy_wh) * 60 / minutes if minutes else Decimal(0)
    facts = SessionFacts(
        started_at=start,
        ended_at=end,
        energy_wh=energy_wh,
        readings=(
            Reading(at=start, power_w=power_w, energy_wh=0),
            Reading(at=end, power_w=power_w, energy_wh=energy_wh),
        ),
        timezone=timezone,
    )
    return tariff_price_session(spec, facts)
