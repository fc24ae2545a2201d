"""Webhooks: subscriptions over the API, signed deliveries, retries.

`operator` and `api_client` come from tests/conftest.py.
"""
