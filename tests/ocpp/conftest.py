"""OCPP protocol tests: each version's messages and transactions, bad input, fuzzing,
version negotiation, query budgets, and end to end against a live daphne.

A station speaking in process is tests/support/ocpp_client.py's `connected_station`;
`station` (CP-1) and `token` come from tests/conftest.py.
"""

import pytest


@pytest.fixture(params=["ocpp2.0.1", "ocpp2.1"])
def version(request):
    """The 2.x subprotocols in turn: a test asking for it runs once for each."""
    return request.param
