"""The operator pages' tests (dashboard, admin, live socket, message log)."""

import pytest


@pytest.fixture
def operator_client(client, operator):
    """The test client logged in as the operator."""
    client.force_login(operator)
    return client
