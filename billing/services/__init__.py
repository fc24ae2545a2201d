"""Billing services: keyword-only functions that change billing state.

Grouped by domain concept; everything is importable from `billing.services`.
"""

from billing.services.invoices import (
    credit_note_issue,
    invoice_issue_for_session,
    invoice_issue_monthly,
)
from billing.services.reports import report_generate, report_request, report_request_monthly
from billing.services.sessions import (
    prepaid_block_expired_sessions,
    running_costs,
    session_cost_so_far,
    session_facts,
    session_is_invoiced,
    session_price,
    session_price_later,
    session_tariff,
    session_tariff_spec,
    session_total_cost,
    sessions_unpriced,
)
from billing.services.status import status_history_record
from billing.services.tariffs import TariffBook, tariff_for
from billing.services.versions import (
    session_tariff_fix,
    session_tariff_version,
    tariff_version_current,
)

__all__ = [
    "TariffBook",
    "credit_note_issue",
    "invoice_issue_for_session",
    "invoice_issue_monthly",
    "prepaid_block_expired_sessions",
    "report_generate",
    "report_request",
    "report_request_monthly",
    "running_costs",
    "session_cost_so_far",
    "session_facts",
    "session_is_invoiced",
    "session_price",
    "session_price_later",
    "session_tariff",
    "session_tariff_fix",
    "session_tariff_spec",
    "session_tariff_version",
    "session_total_cost",
    "sessions_unpriced",
    "status_history_record",
    "tariff_for",
    "tariff_version_current",
]
