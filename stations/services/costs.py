"""What a session costs, as the domain that prices sessions says; the core prices nothing.

OCPP 2.0.1 stations show the driver the cost: the final total in the answer to the
TransactionEvent that ends a session (`totalCost`), and the running total while
charging (CostUpdated). The station core cannot price (billing listens to it, it never
imports billing), so billing registers a *cost provider* in its AppConfig.ready():
`provider(session) -> SessionCost | None`, the same engine and stored price the
invoice uses. Without a provider, or when it has no price for a session (no tariff),
a station is told no cost.

A provider that fails is logged and counts as no price: a station's message is never
refused because of a cost it only shows.
"""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from stations.models import ChargingSession

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SessionCost:
    """A session's total, taxes included, in its currency's minor units (2.35 EUR)."""

    total: Decimal
    currency: str


CostProvider = Callable[[ChargingSession], SessionCost | None]
_providers: list[CostProvider] = []


def cost_provider_register(provider: CostProvider) -> None:
    """Let `provider` price sessions (once per process; registering again changes nothing)."""
    if provider not in _providers:
        _providers.append(provider)


def session_total_cost(session: ChargingSession) -> SessionCost | None:
    """What the session costs so far (all of it once ended); None if nothing prices it."""
    for provider in _providers:
        try:
            cost = provider(session)
        except Exception:  # noqa: BLE001 - see the module docstring
            logger.exception("The cost provider %r failed for session %s", provider, session.pk)
            continue
        if cost is not None:
            return cost
    return None
