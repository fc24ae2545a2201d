"""Tokens as RECEIVER: the eMSP PUTs and PATCHes its tokens; stations are answered
from them, in real time when the whitelist says so."""

import pytest

from ocpi.models import Token
from stations.services.authorization import id_token_authorize
from tests.support.emsp import token
from tests.support.ocpi_schemas import validate

pytestmark = pytest.mark.django_db(transaction=True)


def _put(emsp, url, body, uid=None):
    uid = uid or body["uid"]
    return emsp.call("PUT", f"{url}/2.2.1/tokens/DE/EMS/{uid}?type=RFID", body)


def test_tokens_are_stored_read_and_patched(registered, ocpi_url):
    body = token("CARD-1", "ALWAYS")
    validate("Token", body)
    created = _put(registered, ocpi_url, body)
    assert created.status == 201 and created.body["status_code"] == 1000
    replaced = _put(registered, ocpi_url, {**body, "visual_number": "1234"})
    assert replaced.status == 200 and replaced.body["status_code"] == 1000
    got = registered.get(f"{ocpi_url}/2.2.1/tokens/DE/EMS/CARD-1?type=RFID")
    validate("Token", got.data)
    assert got.data["contract_id"] == body["contract_id"]
    patched = registered.call(
        "PATCH",
        f"{ocpi_url}/2.2.1/tokens/DE/EMS/CARD-1",
        {"valid": False, "last_updated": "2030-01-01T00:00:00Z"},
    )
    assert patched.body["status_code"] == 1000
    assert Token.objects.get(uid="CARD-1").valid is False
    unknown = registered.get(f"{ocpi_url}/2.2.1/tokens/DE/EMS/NOPE")
    assert unknown.status == 404 and unknown.body["status_code"] == 2004


def test_bad_tokens_change_nothing(registered, ocpi_url):
    assert _put(registered, ocpi_url, token("CARD-1"), uid="OTHER").body["status_code"] == 2001
    bad = token("CARD-2", whitelist="SOMETIMES")
    assert _put(registered, ocpi_url, bad).body["status_code"] == 2001
    not_ours = registered.call(
        "PUT", f"{ocpi_url}/2.2.1/tokens/FR/XXX/CARD-3", {**token("CARD-3"), "country_code": "FR"}
    )
    assert not_ours.body["status_code"] == 2000
    no_date = registered.call("PATCH", f"{ocpi_url}/2.2.1/tokens/DE/EMS/CARD-1", {"valid": True})
    assert no_date.status == 404  # no such token yet
    assert not Token.objects.exists()


def test_stations_are_answered_by_whitelist(registered, ocpi_url, published_site):
    station = published_site.stations.get(station_id="CP-1")
    for body in (
        token("ALWAYS-1", "ALWAYS"),
        token("BLOCKED-1", "ALLOWED", valid=False),
        token("OK-NEVER", "NEVER"),
        token("NO-NEVER", "NEVER"),
        token("OK-OFFLINE", "ALLOWED_OFFLINE"),
    ):
        assert _put(registered, ocpi_url, body).body["status_code"] == 1000

    def answer(value):
        return id_token_authorize(value=value, station_pk=station.pk).status

    assert answer("always-1") == "Accepted"
    assert answer("BLOCKED-1") == "Blocked"
    assert registered.of("/ocpi/emsp/2.2.1/tokens") == []  # no real-time call so far
    assert answer("OK-NEVER") == "Accepted"
    assert answer("NO-NEVER") == "Invalid"
    call = registered.of("/ocpi/emsp/2.2.1/tokens/OK-NEVER/authorize", "POST")[0]
    assert call.path.endswith("?type=RFID")
    validate("LocationReferences", call.body)
    assert call.body == {"location_id": "LOC-1", "evse_uids": ["CP-1-1", "CP-1-2"]}
    # The eMSP cannot be reached: ALLOWED_OFFLINE falls back on the stored token,
    # NEVER refuses.
    registered.down = True
    assert answer("OK-OFFLINE") == "Accepted"
    assert answer("OK-NEVER") == "Invalid"
    assert answer("SOMEONE-ELSE") == "Unknown"
