"""Admin for drivers' balance entries and card requests."""

from billing.balances import BalanceEntryAdmin
from drivers.cards import CardRequestAdmin

__all__ = ["BalanceEntryAdmin", "CardRequestAdmin"]
