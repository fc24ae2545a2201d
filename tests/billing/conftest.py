"""Billing tests: pricing, stored session prices, invoices, reports, pages, API, admin.

Builders (the issue's car and e-bike tariffs, a network, sessions with readings) and the
URLconf (`URLCONF`) are in tests/support/billing.py; `media_root`, `eager_tasks` and
`ops` come from tests/conftest.py.
"""
