"""OCPI 2.2.1 as a CPO: the credentials handshake, the modules, pushes, open data.

`emsp` is an eMSP (tests/support/emsp.py) on its own threaded HTTP server; `ocpi_url`
is ChargeNet's live server's /ocpi/ root (Django's live server, real HTTP).
"""

import pytest

from ocpi import hooks, registration
from ocpi.models import Party, SitePublication
from stations.models import Site
from tests.support.emsp import Emsp
from tests.support.factories import make_station


@pytest.fixture(autouse=True)
def no_cached_parties():
    """Parties are cached per process; a test's rolled-back ones must not outlive it."""
    hooks._forget_parties()
    yield
    hooks._forget_parties()


@pytest.fixture
def emsp():
    party = Emsp().start()
    yield party
    party.stop()


@pytest.fixture
def ocpi_url(live_server, settings):
    settings.OCPI_BASE_URL = live_server.url
    return f"{live_server.url}/ocpi"


@pytest.fixture
def registered(emsp, ocpi_url, transactional_db):
    """The eMSP, registered through the real handshake: its `token` is token C."""
    party = Party.objects.create(name="Test Mobility")
    emsp.token = registration.issue_token_a(party)
    reply = emsp.call("POST", f"{ocpi_url}/2.2.1/credentials", emsp.credentials())
    assert reply.status == 200, reply.body
    emsp.token = reply.data["token"]
    emsp.party = Party.objects.get(pk=party.pk)
    return emsp


@pytest.fixture
def published_site(transactional_db):
    """Site "Harbour" published as location LOC-1, with car station CP-1 (2 connectors,
    connected) and e-bike pile EB-1 (1 connector)."""
    site = Site.objects.create(name="Harbour", timezone="Europe/Amsterdam")
    make_station("CP-1", site=site, connected=True)
    make_station("EB-1", site=site, kind="ebike", connectors=1, connected=True)
    SitePublication.objects.create(
        site=site,
        published=True,
        location_id="LOC-1",
        address="Kade 1",
        city="Amsterdam",
        postal_code="1011AA",
        country="NLD",
        latitude="52.370216",
        longitude="4.895168",
    )
    return site
