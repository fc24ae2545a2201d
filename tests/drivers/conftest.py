"""The drivers' tests: two drivers with a card each, an e-bike pile, remote starts caught."""

import pytest

from stations.models import Command
from tests.support.drivers import PASSWORD
from tests.support.factories import IdTokenFactory, UserFactory, make_station


def card_holder(username: str):
    user = UserFactory(username=username, password=PASSWORD)
    IdTokenFactory(value=f"{username.upper()}-1", owner=user)
    return user


@pytest.fixture
def driver(db):
    """Dora, with the password PASSWORD and the card DORA-1."""
    return card_holder("dora")


@pytest.fixture
def other(db):
    """Otto, another driver, with the card OTTO-1."""
    return card_holder("otto")


@pytest.fixture
def pile(db):
    """E-bike pile EB-1, connected, with two connectors."""
    return make_station("EB-1", kind="ebike", connected=True)


@pytest.fixture
def sent(monkeypatch):
    """Record remote starts/stops instead of sending them; the station accepts."""
    calls = []

    def fake_send(station, action, params=None, **kwargs):
        calls.append((station.station_id, action, params))
        return Command(station=station, action=action, params=params, status="accepted")

    monkeypatch.setattr("drivers.charging.send_command", fake_send)
    return calls
