"""Billing: tariffs, pricing (pure functions), invoices, reports and prepaid balances; listens
to station events.
"""
