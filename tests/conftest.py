"""Fixtures every area uses. Each area's own are in its conftest.py; helpers in support/.

A station in these fixtures is `tests.support.factories.make_station`'s: two Available
connectors and the password STATION_PASSWORD.
"""

import pytest
import yaml
from asgiref.sync import SyncToAsync
from channels.layers import channel_layers
from django.db import connections
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from chargenet.celery import app
from stations.services import first_reports
from stations.services.handshake import refused_addresses
from stations.writers.message_log import message_log
from tests.support.billing import complete_operator_profile
from tests.support.factories import IdTokenFactory, OperatorFactory, UserFactory, make_station


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


@pytest.fixture(autouse=True)
def async_orm_connection_closed():
    """Django's async ORM (`aget`, `acount`) runs on asgiref's one shared thread, whose
    connection outlived the test: PostgreSQL then refused to drop the test database at
    the end of the run ("being accessed by other users")."""
    yield
    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=30)


@pytest.fixture(autouse=True)
def no_first_reports_expected():
    """A station booted by one test is not expected to report first by the next, whose
    station may have the same primary key (SQLite reuses them)."""
    first_reports._unreported.clear()


@pytest.fixture(autouse=True)
def operator_profile(request):
    """Invoices are refused until the operator profile is complete: every test with a
    database starts with a complete one (tests of the refusal empty its fields)."""
    names = set(request.fixturenames)
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(
        names & {"transactional_db", "live_server"} or (marker and marker.kwargs.get("transaction"))
    )
    if not (names & {"db", "transactional_db", "live_server"} or marker):
        return None
    request.getfixturevalue("transactional_db" if transactional else "db")
    return complete_operator_profile()


@pytest.fixture
def operator(db):
    """A staff user, "operator", with the password OPERATOR_PASSWORD."""
    return OperatorFactory()


@pytest.fixture
def api_client(operator):
    """The REST API as the operator, by token."""
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=operator)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def ops(client):
    """The test client logged in as a superuser, "ops" (no password: nothing to hash)."""
    user = UserFactory(username="ops", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.fixture
def station(request, db):
    """Station "CP-1" with two connectors; transactional when the test's mark says so.

    A test or module marked `@pytest.mark.station("CP 1+ä", kind="ebike")` gets that
    station instead: the mark's arguments are `make_station`'s.
    """
    mark = request.node.get_closest_marker("station")
    return make_station(*mark.args, **mark.kwargs) if mark else make_station()


@pytest.fixture
def token(db):
    """Card "TAG-0001" (transactional when the test's mark says so)."""
    return IdTokenFactory(value="TAG-0001")


@pytest.fixture
def schema(db) -> dict:
    """The OpenAPI schema the API serves, parsed."""
    response = APIClient().get("/api/v1/schema/")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded and generated files (reports, invoices, diagnostics) go to tmp_path."""
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def eager_tasks(monkeypatch):
    """Celery tasks run in process, as in the embedded default, even with REDIS_URL set."""
    monkeypatch.setitem(app.conf, "task_always_eager", True)


@pytest.fixture
async def flushed_log():
    """Write the buffered message log before the test reads it."""
    return message_log.flush
