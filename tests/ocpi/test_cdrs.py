"""CDRs and Sessions as the eMSP pulls them: when a CDR was made, the tariff it was
priced with, how its driver was authorised."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.services.versions import tariff_version_current
from ocpi.models import Reservation
from stations.models import ChargingStation, Command
from stations.services.authorization import id_token_authorize
from stations.services.sessions import session_start
from tests.support.billing import car_tariff
from tests.support.emsp import token
from tests.support.factories import ChargingSessionFactory, SessionChargeFactory
from tests.support.ocpi_schemas import validate

pytestmark = pytest.mark.django_db(transaction=True)


def _roaming_session(emsp, ocpi_url, uid="CARD-1", whitelist="ALWAYS", **fields):
    url = f"{ocpi_url}/2.2.1/tokens/DE/EMS/{uid}?type=RFID"
    reply = emsp.call("PUT", url, token(uid, whitelist))
    assert reply.body["status_code"] == 1000
    station = ChargingStation.objects.get(station_id="CP-1")
    started = timezone.now() - timedelta(hours=3)
    return ChargingSessionFactory(
        station=station,
        id_tag=uid,
        started_at=started,
        ended_at=started + timedelta(hours=1),
        state="ended",
        energy_wh=5000,
        **fields,
    )


def _iso(moment) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_a_cdrs_last_updated_is_when_it_was_priced(registered, ocpi_url, published_site):
    session = _roaming_session(registered, ocpi_url)
    priced_at = timezone.now() - timedelta(minutes=30)
    SessionChargeFactory(session=session, priced_at=priced_at)
    [cdr] = registered.get(f"{ocpi_url}/2.2.1/cdrs").data
    validate("CDR", cdr)
    assert cdr["last_updated"].startswith(_iso(priced_at)[:19])
    # The dates filter on that same moment: after the session's end, around its pricing.
    after_end = _iso(session.ended_at + timedelta(minutes=1))
    before_pricing = _iso(priced_at - timedelta(minutes=1))
    window = f"date_from={after_end}&date_to={_iso(priced_at + timedelta(minutes=1))}"
    assert registered.get(f"{ocpi_url}/2.2.1/cdrs?{window}").data == [cdr]
    assert registered.get(f"{ocpi_url}/2.2.1/cdrs?date_to={before_pricing}").data == []


def test_the_cdr_embeds_the_tariff_version_it_was_priced_with(registered, ocpi_url, published_site):
    tariff = car_tariff()
    used = tariff_version_current(tariff)
    tariff.energy_price_per_kwh = Decimal("0.50")  # changed after the session
    tariff.save()
    assert tariff_version_current(tariff) != used
    session = _roaming_session(registered, ocpi_url)
    SessionChargeFactory(session=session, tariff=tariff, tariff_version=used)
    [cdr] = registered.get(f"{ocpi_url}/2.2.1/cdrs").data
    validate("CDR", cdr)
    [embedded] = cdr["tariffs"]
    assert embedded["id"] == f"TARIFF-{tariff.pk}" == cdr["charging_periods"][0]["tariff_id"]
    assert embedded["elements"][-1]["price_components"][0]["price"] == 0.35
    assert embedded["last_updated"].startswith(_iso(used.created_at)[:19])
    # The tariffs module shows the tariff as it is now.
    [now] = registered.get(f"{ocpi_url}/2.2.1/tariffs").data
    assert now["elements"][-1]["price_components"][0]["price"] == 0.5


def _start(station: ChargingStation, uid: str, connector: int = 1, **fields):
    """A session as a station's start opens it (the authorisation asked on the way)."""
    return session_start(
        station_pk=station.pk,
        connector_id=connector,
        id_tag=uid,
        meter_start_wh=0,
        timestamp=None,
        **fields,
    ).session


def _pulled(emsp, ocpi_url, session) -> tuple[dict, dict]:
    SessionChargeFactory(session=session)
    [body] = [s for s in emsp.get(f"{ocpi_url}/2.2.1/sessions").data if s["id"] == str(session.pk)]
    [cdr] = [c for c in emsp.get(f"{ocpi_url}/2.2.1/cdrs").data if c["session_id"] == body["id"]]
    validate("Session", body)
    validate("CDR", cdr)
    return body, cdr


def test_auth_method_says_how_the_driver_was_authorised(registered, ocpi_url, published_site):
    station = ChargingStation.objects.get(station_id="CP-1")
    for uid, whitelist in (("CARD-1", "ALWAYS"), ("OK-RT-1", "NEVER")):
        url = f"{ocpi_url}/2.2.1/tokens/DE/EMS/{uid}?type=RFID"
        assert registered.call("PUT", url, token(uid, whitelist)).body["status_code"] == 1000

    assert id_token_authorize(value="CARD-1", station_pk=station.pk).status == "Accepted"
    listed = _start(station, "CARD-1", connector=1)
    body, cdr = _pulled(registered, ocpi_url, listed)
    assert body["auth_method"] == cdr["auth_method"] == "WHITELIST"
    assert "authorization_reference" not in body and "authorization_reference" not in cdr

    realtime = _start(station, "OK-RT-1", connector=2)
    body, cdr = _pulled(registered, ocpi_url, realtime)
    assert body["auth_method"] == cdr["auth_method"] == "AUTH_REQUEST"
    # The reference of the eMSP's real-time answer (AuthorizationInfo).
    assert body["authorization_reference"] == cdr["authorization_reference"] == "REF-OK-RT-1"


def test_a_start_session_command_gives_command(registered, ocpi_url, published_site):
    station = ChargingStation.objects.get(station_id="CP-1")
    command = {
        "response_url": f"{registered.base}/ocpi/emsp/2.2.1/commands/START_SESSION/1",
        "location_id": "LOC-1",
        "evse_uid": "CP-1-1",
        "token": token("APP-1", "ALWAYS"),
        "authorization_reference": "CMD-REF-1",
    }
    reply = registered.call("POST", f"{ocpi_url}/2.2.1/commands/START_SESSION", command)
    assert reply.data["result"] == "ACCEPTED"
    remote_start = Command.objects.get(action="remote_start")
    # The station checks the token again on its start: still the command's session.
    session = _start(station, "APP-1", remote_start_id=remote_start.pk)
    body, cdr = _pulled(registered, ocpi_url, session)
    assert body["auth_method"] == cdr["auth_method"] == "COMMAND"
    assert body["authorization_reference"] == cdr["authorization_reference"] == "CMD-REF-1"


def test_a_reservations_reference_reaches_its_session(registered, ocpi_url, published_site):
    station = ChargingStation.objects.get(station_id="CP-1")
    command = {
        "response_url": f"{registered.base}/ocpi/emsp/2.2.1/commands/RESERVE_NOW/1",
        "location_id": "LOC-1",
        "evse_uid": "CP-1-1",
        "token": token("APP-2", "ALWAYS"),
        "expiry_date": "2099-01-01T00:00:00Z",
        "reservation_id": "R-1",
        "authorization_reference": "RES-REF-1",
    }
    reply = registered.call("POST", f"{ocpi_url}/2.2.1/commands/RESERVE_NOW", command)
    assert reply.data["result"] == "ACCEPTED"
    reservation = Reservation.objects.get(reservation_id="R-1")
    session = _start(station, "APP-2", reservation_id=reservation.ocpp_id)
    body, cdr = _pulled(registered, ocpi_url, session)
    assert body["auth_method"] == "WHITELIST"
    assert body["authorization_reference"] == cdr["authorization_reference"] == "RES-REF-1"
