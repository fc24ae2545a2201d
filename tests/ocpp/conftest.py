"""The OCPP protocol tests: each version's messages, bad input, fuzzing, live daphne."""

import pytest


@pytest.fixture(params=["ocpp2.0.1", "ocpp2.1"])
def version(request):
    """The 2.x subprotocols in turn: a test asking for it runs once for each."""
    return request.param
