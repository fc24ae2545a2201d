"""CDRs and Sessions as the eMSP pulls them: when a CDR was made, the tariff it was
priced with, how its driver was authorised."""

from datetime import timedelta

import pytest
from django.utils import timezone

from stations.models import ChargingStation
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
