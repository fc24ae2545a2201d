"""Security profile 3 through the balancer: HAProxy verifies the station's client
certificate against ChargeNet's CA and passes its name; ChargeNet admits a profile-3
station only when that name is its id. The header is HAProxy's alone: one a client
sends is removed, on every port.
"""

import asyncio
import os
import ssl

import pytest
from cryptography.hazmat.primitives import serialization
from ocpp.v16 import ChargePoint, call
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidMessage, InvalidStatus

from stations.models import ChargingStation
from tests.support.cluster import Cluster, servers_skip_reason
from tests.support.factories import make_station
from tests.support.live import database_url
from tests.support.pki import TestPki, issue, name, new_key, pem

pytestmark = [
    pytest.mark.server,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(servers_skip_reason() is not None, reason=servers_skip_reason() or ""),
]


@pytest.fixture
def pki(tmp_path):
    test_pki = TestPki("")
    test_pki.settings = test_pki.write_ca(tmp_path)
    return test_pki


@pytest.fixture
def mtls_cluster(transactional_db, tmp_path, pki):
    make_station("CP-3", password=None, security_profile=3)
    cluster = Cluster(
        tmp_path / "cluster",
        database_url=database_url(),
        redis_url=os.environ["REDIS_URL"],
        client_ca=pki.settings["OCPP_CA_CERT"],
        env={"OCPP_TRUSTED_PROXIES": "127.0.0.1"},
    )
    try:
        yield cluster.start()
    finally:
        cluster.stop()


def client_context(cluster, tmp_path, certificate=None, key=None) -> ssl.SSLContext:
    """Trusts the balancer's test CA; presents `certificate` when given."""
    context = ssl.create_default_context(cafile=cluster.ca_file)
    if certificate is not None:
        cert_file, key_file = tmp_path / "client.pem", tmp_path / "client.key"
        cert_file.write_text(pem(certificate))
        key_file.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        context.load_cert_chain(cert_file, key_file)
    return context


def certificate_for(pki, common_name: str, issuer=None, issuer_key=None):
    key = new_key()
    return issue(name(common_name), key, issuer or pki.sub, issuer_key or pki.sub_key), key


async def handshake(url: str, context=None, headers=None) -> int | str:
    try:
        async with connect(
            url, subprotocols=["ocpp1.6"], ssl=context, additional_headers=headers or {}
        ) as websocket:
            charge_point = ChargePoint("CP-3", websocket)
            reader = asyncio.create_task(charge_point.start())
            boot = await charge_point.call(
                call.BootNotification(charge_point_vendor="V", charge_point_model="M")
            )
            reader.cancel()
            assert boot.status == "Accepted"
            return 101
    except InvalidStatus as error:
        return error.response.status_code
    except (ssl.SSLError, ConnectionError, OSError, InvalidMessage) as error:
        # TLS 1.3: the balancer's refusal of the certificate comes after the handshake,
        # as a closed connection instead of an HTTP answer.
        return f"TLS refused: {type(error).__name__}"


def test_station_with_its_certificate_connects_and_others_are_refused(mtls_cluster, pki, tmp_path):
    cluster = mtls_cluster
    own, own_key = certificate_for(pki, "CP-3")
    other, other_key = certificate_for(pki, "CP-4")
    foreign_ca_key = new_key()
    foreign_ca = issue(name("Foreign CA"), foreign_ca_key, ca=True)
    forged, forged_key = certificate_for(pki, "CP-3", foreign_ca, foreign_ca_key)
    url = cluster.mtls_url + "CP-3"
    forged_header = {"X-SSL-Client-CN": "CP-3"}

    async def scenario():
        return {
            "own": await handshake(url, client_context(cluster, tmp_path, own, own_key)),
            "other": await handshake(url, client_context(cluster, tmp_path, other, other_key)),
            "none": await handshake(url, client_context(cluster, tmp_path)),
            "foreign": await handshake(url, client_context(cluster, tmp_path, forged, forged_key)),
            # A client's own header never reaches ChargeNet, on any port.
            "plain with header": await handshake(cluster.ws_url + "CP-3", headers=forged_header),
            "tls with header": await handshake(
                cluster.wss_url + "CP-3", client_context(cluster, tmp_path), forged_header
            ),
            "own with header for another": await handshake(
                url,
                client_context(cluster, tmp_path, own, own_key),
                {"X-SSL-Client-CN": "CP-4"},
            ),
        }

    outcome = asyncio.run(scenario())
    assert outcome["own"] == 101
    assert outcome["other"] == 403
    # HAProxy verifies: no certificate, or one another CA issued, ends the TLS handshake.
    assert str(outcome["none"]).startswith("TLS refused")
    assert str(outcome["foreign"]).startswith("TLS refused")
    assert outcome["plain with header"] == 401
    assert outcome["tls with header"] == 401
    assert outcome["own with header for another"] == 101
    station = ChargingStation.objects.get(station_id="CP-3")
    assert station.vendor == "V"
