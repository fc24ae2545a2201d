"""Operator pages: the dashboard, sessions, message log, live socket, admin, languages.

Modules marked `pytest.mark.station("CP 1+ä")` get a station whose id needs quoting
from the `station` fixture (tests/conftest.py).
"""

import pytest


@pytest.fixture
def operator_client(client, operator):
    """The test client logged in as the operator."""
    client.force_login(operator)
    return client
