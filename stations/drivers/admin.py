"""Admin for drivers' balance entries and card requests (imported by chargenet.urls)."""

from billing.balances import BalanceEntryAdmin
from stations.drivers.cards import CardRequestAdmin

__all__ = ["BalanceEntryAdmin", "CardRequestAdmin"]
