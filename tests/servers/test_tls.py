"""Security profile 2 through the balancer: TLS ends at HAProxy (a test certificate
made at start-up by deploy/make-test-cert.sh), HTTP Basic auth still checked by
ChargeNet behind it. And `manage.py check --deploy` with production settings.
"""

import asyncio
import os
import ssl
import subprocess
import sys
import urllib.error
import urllib.request

import pytest
from ocpp.v16 import ChargePoint, call
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from stations.models import ChargingStation
from tests.support.cluster import ROOT, Cluster, basic_auth, servers_skip_reason
from tests.support.factories import STATION_PASSWORD, make_station
from tests.support.live import database_url

SERVER_MARKS = (
    pytest.mark.server,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(servers_skip_reason() is not None, reason=servers_skip_reason() or ""),
)


def server(test):
    """Marks of a test that starts the cluster (PostgreSQL + Redis, `make test-servers`)."""
    for mark in SERVER_MARKS:
        test = mark(test)
    return test


@pytest.fixture
def tls_cluster(transactional_db, tmp_path):
    make_station("CP-1")
    cluster = Cluster(
        tmp_path / "cluster", database_url=database_url(), redis_url=os.environ["REDIS_URL"]
    )
    try:
        yield cluster.start()
    finally:
        cluster.stop()


def trusting(ca_file: str) -> ssl.SSLContext:
    """A client context that trusts only the cluster's test CA."""
    context = ssl.create_default_context(cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


async def _handshake_status(url: str, context, headers) -> int:
    try:
        async with connect(url, subprotocols=["ocpp1.6"], additional_headers=headers, ssl=context):
            return 101
    except InvalidStatus as error:
        return error.response.status_code


@server
def test_station_boots_over_wss_through_the_balancer_and_a_wrong_password_gets_401(tls_cluster):
    cluster = tls_cluster
    context = trusting(cluster.ca_file)
    url = cluster.wss_url + "CP-1"

    async def station():
        async with connect(
            url,
            subprotocols=["ocpp1.6"],
            additional_headers=basic_auth("CP-1", STATION_PASSWORD),
            ssl=context,
        ) as websocket:
            assert websocket.subprotocol == "ocpp1.6"
            tls = websocket.transport.get_extra_info("ssl_object")
            charge_point = ChargePoint("CP-1", websocket)
            reader = asyncio.create_task(charge_point.start())
            try:
                boot = await charge_point.call(
                    call.BootNotification(charge_point_vendor="V", charge_point_model="M")
                )
            finally:
                reader.cancel()
            return boot.status, tls.version()

    status, version = asyncio.run(station())
    assert status == "Accepted"
    assert version in ("TLSv1.2", "TLSv1.3")
    assert ChargingStation.objects.get(station_id="CP-1").vendor == "V"

    wrong = basic_auth("CP-1", "wrong-password-123")
    assert asyncio.run(_handshake_status(url, context, wrong)) == 401
    assert asyncio.run(_handshake_status(url, context, {})) == 401
    # No downgrade to a client that does not check the certificate chain: a client
    # trusting nothing else refuses the connection.
    with pytest.raises(ssl.SSLCertVerificationError):
        asyncio.run(_handshake_status(url, ssl.create_default_context(), {}))


@server
def test_https_through_the_balancer_serves_django_with_hsts_and_secure_cookies(tls_cluster):
    """The TLS port runs ChargeNet with HTTPS=1: HSTS, Secure csrftoken and session
    cookies; the plain port still answers (ws:// stations, their uploads) without HSTS."""
    cluster = tls_cluster
    context = trusting(cluster.ca_file)
    url = f"https://localhost:{cluster.tls_port}/admin/login/"
    with urllib.request.urlopen(url, context=context, timeout=10) as response:
        assert response.status == 200
        assert response.headers.get("X-Served-By", "").startswith("daphne")
        hsts = response.headers.get("Strict-Transport-Security", "")
        cookies = response.headers.get_all("Set-Cookie") or []
    assert "max-age=31536000" in hsts, hsts
    csrf = [cookie for cookie in cookies if cookie.startswith("csrftoken=")]
    assert csrf and "secure" in [part.strip().lower() for part in csrf[0].split(";")], cookies

    # A client cannot claim TLS on the plain port: HAProxy sets X-Forwarded-Proto.
    forged = urllib.request.Request(
        cluster.http_url("/admin/login/"), headers={"X-Forwarded-Proto": "https"}
    )
    with urllib.request.urlopen(forged, timeout=10) as response:
        assert response.status == 200  # no redirect away from the plain port
        assert response.headers.get("Strict-Transport-Security") is None


def test_check_deploy_is_clean_with_production_settings():
    """`manage.py check --deploy --fail-level WARNING` with what production sets."""
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="chargenet.settings",
        DEBUG="0",
        SECRET_KEY="x7Qm" + "A9zK3pL2vN8rT5wY1uB6cE4hJ0gF" * 2,
        ALLOWED_HOSTS="csms.example.com",
        CSRF_TRUSTED_ORIGINS="https://csms.example.com",
        HTTPS="1",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@server
def test_each_daphne_serves_its_own_metrics_and_the_balancer_none(tls_cluster):
    cluster = tls_cluster
    for port in cluster.state["daphne_ports"]:
        url = f"http://127.0.0.1:{port}/metrics"
        with urllib.request.urlopen(url, timeout=10) as response:
            text = response.read().decode()
        assert "chargenet_stations_connected 0.0" in text
        assert 'chargenet_celery_queue_length{queue="celery"}' in text
    for url in (cluster.http_url("/metrics"), f"https://localhost:{cluster.tls_port}/metrics"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, context=trusting(cluster.ca_file), timeout=10)
        assert refused.value.code == 404
