import pytest
from channels.layers import channel_layers
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from stations.models import ChargingStation, Connector, IdToken
from stations.services.handshake import refused_addresses
from stations.writers.message_log import message_log

STATION_PASSWORD = "station-secret-0001"


@pytest.fixture(autouse=True)
def fresh_channel_layer():
    """Each test's event loop gets its own in-memory channel layer."""
    channel_layers.backends = {}
    yield
    channel_layers.backends = {}


@pytest.fixture(autouse=True)
def no_refused_addresses():
    """Tests refuse many handshakes from 127.0.0.1 on purpose: each starts afresh."""
    refused_addresses.clear()
    yield
    refused_addresses.clear()


@pytest.fixture
def operator(db):
    return get_user_model().objects.create_user(
        "operator", "operator@example.com", "operator-pass-123", is_staff=True
    )


@pytest.fixture
def api_client(operator):
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=operator)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def make_station(station_id="CP-1", password=STATION_PASSWORD, connectors=2, **fields):
    station = ChargingStation(station_id=station_id, **fields)
    station.set_password(password)
    station.save()
    for number in range(1, connectors + 1):
        Connector.objects.create(station=station, connector_id=number, status="Available")
    return station


@pytest.fixture
def station(transactional_db):
    return make_station()


@pytest.fixture
def token(transactional_db):
    return IdToken.objects.create(value="TAG-0001")


@pytest.fixture
async def flushed_log():
    """Write the buffered message log before the test reads it."""
    return message_log.flush
