"""OCTT-style scenario replays of the OCPP 2.0.1 CSMS test cases (and 1.6 equivalents).

Each test is one of the OCA compliance test tool's CSMS test cases, named after its id
(`test_TC_B_12_CSMS`) or, where the case's text was not at hand, after the
specification's use case it follows (`test_UC_E14_...`). A library charge point plays
the test tool over a real WebSocket against a live daphne; each "manual action:
trigger the CSMS to ..." step is the operator's REST command (`POST
/api/v1/stations/<id>/commands/`). The tests check what the specification requires
of the CSMS's request, the station's answer as stored, the follow-up notifications
(NotifyReport, NotifyMonitoringReport, FirmwareStatusNotification, ...) answered, and
what ChargeNet keeps of them.

Blocks: B provisioning, E transaction status, H reservations and the Authorize status
table, I running cost, K GetChargingProfiles, L firmware, M certificates, N
diagnostics, O display messages; the 1.6 (Security extension) equivalents. One daphne
serves every module (`server`; a module with settings of its own gets its own); each
test gets fresh rows (`operator`).
"""

import time

import pytest
from rest_framework.authtoken.models import Token

from stations.models import ChargingStation
from tests.support.factories import IdTokenFactory, OperatorFactory, make_station
from tests.support.live import live_daphne
from tests.support.octt import Operator
from tests.support.waiting import wait

# The server's message log is written every OCPP_LOG_FLUSH_INTERVAL (0.05 s here).
SETTLE = 0.3


@pytest.fixture(scope="session")
def shared_server(django_db_setup):
    """One live daphne for every module that needs no settings of its own."""
    with live_daphne() as address:
        yield address


@pytest.fixture(scope="module")
def server(request):
    """The live daphne; a module that sets `DAPHNE_ENV` gets one with those settings."""
    environment = getattr(request.module, "DAPHNE_ENV", None)
    if not environment:
        yield request.getfixturevalue("shared_server")
        return
    request.getfixturevalue("django_db_setup")
    with live_daphne(**environment) as address:
        yield address


@pytest.fixture
def operator(server, transactional_db) -> Operator:
    """The operator's REST client; stations CP-1 (2.0.1) and CP-16 (1.6), card TAG-0001.

    Afterwards it waits until the server has seen every station leave and written its
    log: the server outlives the test, and the test's tables are emptied next (on
    PostgreSQL a TRUNCATE while the server still writes can deadlock).
    """
    user = OperatorFactory()
    make_station("CP-1", ocpp_version="2.0.1")
    make_station("CP-16", ocpp_version="1.6")
    IdTokenFactory(value="TAG-0001")
    yield Operator(server, Token.objects.create(user=user).key)
    wait(
        lambda: not ChargingStation.objects.filter(connected=True).exists(),
        10,
        "the server to see the stations disconnect",
    )
    time.sleep(SETTLE)
