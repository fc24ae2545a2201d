"""Billing models: tariffs, status history and stored prices, invoices, reports."""

from billing.models.balances import BalanceEntry, CardRequest
from billing.models.history import ConnectorStatusPeriod, SessionCharge
from billing.models.invoices import (
    ImmutableInvoiceError,
    Invoice,
    InvoiceLine,
    InvoiceSequence,
    OperatorProfile,
)
from billing.models.reports import Report
from billing.models.tariffs import PowerTierPrice, Tariff, TariffAssignment, TimeOfUsePrice
from billing.models.versions import ImmutableVersionError, SessionTariff, TariffVersion

__all__ = [
    "BalanceEntry",
    "CardRequest",
    "ConnectorStatusPeriod",
    "ImmutableInvoiceError",
    "ImmutableVersionError",
    "Invoice",
    "InvoiceLine",
    "InvoiceSequence",
    "OperatorProfile",
    "PowerTierPrice",
    "Report",
    "SessionCharge",
    "SessionTariff",
    "Tariff",
    "TariffAssignment",
    "TariffVersion",
    "TimeOfUsePrice",
]
