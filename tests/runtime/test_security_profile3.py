"""Security profile 3 at the handshake: a station whose profile is 3 is admitted only
with the name of a verified client certificate, passed by a trusted balancer, equal
to its id (the balancer's side is tests/servers/test_mtls.py)."""

import pytest
from django.test import override_settings

from stations.services import handshake
from tests.support.factories import STATION_PASSWORD, make_station
from tests.support.ocpp_client import basic_auth

pytestmark = pytest.mark.django_db

BALANCER = "10.0.0.5"


def admit(headers, peer=BALANCER, station_id="CP-3"):
    return handshake.admit(
        raw_path=f"/ocpp/{station_id}".encode(),
        headers=headers,
        subprotocols=["ocpp2.0.1"],
        client="['192.0.2.7', 4000]",
        peer=peer,
    )


@pytest.fixture
def profile3():
    make_station("CP-3", password=None, security_profile=3)
    make_station("CP-1")


@override_settings(OCPP_TRUSTED_PROXIES=[BALANCER], OCPP_CLIENT_CERT_HEADER="X-SSL-Client-CN")
def test_the_certificate_name_must_be_the_station_id(profile3):
    assert isinstance(admit([(b"x-ssl-client-cn", b"CP-3")]), handshake.Admission)
    other = admit([(b"x-ssl-client-cn", b"CP-4")])
    assert (other.status, other.reason) == (403, "The client certificate is not this station's")
    assert admit([]).status == 401
    # A password is no certificate.
    assert admit([basic_auth("CP-3", STATION_PASSWORD)]).status == 401
    # Two names: not one certificate's.
    assert admit([(b"x-ssl-client-cn", b"CP-3"), (b"x-ssl-client-cn", b"CP-3")]).status == 401


@override_settings(OCPP_TRUSTED_PROXIES=[BALANCER])
def test_the_header_counts_only_from_a_trusted_proxy(profile3):
    assert admit([(b"x-ssl-client-cn", b"CP-3")], peer="192.0.2.7").status == 401


@override_settings(OCPP_TRUSTED_PROXIES=[BALANCER])
def test_other_profiles_keep_their_password(profile3):
    refused = admit([(b"x-ssl-client-cn", b"CP-1")], station_id="CP-1")
    assert refused.status == 401  # a certificate name is no password
    admitted = admit([basic_auth("CP-1", STATION_PASSWORD)], station_id="CP-1")
    assert isinstance(admitted, handshake.Admission)
