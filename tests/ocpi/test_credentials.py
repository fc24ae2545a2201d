"""The credentials handshake and OCPI's common rules, over real HTTP both ways."""

import json
import urllib.error
import urllib.request

import pytest

from ocpi import registration
from ocpi.models import Party
from tests.support.ocpi_schemas import validate

pytestmark = pytest.mark.django_db(transaction=True)


def test_versions_need_a_token(ocpi_url, emsp):
    reply = emsp.get(f"{ocpi_url}/versions")
    assert reply.status == 401
    assert reply.body["status_code"] >= 2000
    assert set(reply.body) >= {"status_code", "status_message", "timestamp"}


def test_the_whole_handshake(ocpi_url, emsp):
    party = Party.objects.create(name="Test Mobility")
    token_a = registration.issue_token_a(party)
    emsp.token = token_a

    versions = emsp.get(f"{ocpi_url}/versions")
    assert versions.status == 200 and versions.body["status_code"] == 1000
    assert versions.headers["X-Request-ID"] == "req-1"
    assert versions.headers["X-Correlation-ID"]
    assert versions.data == [{"version": "2.2.1", "url": f"{ocpi_url}/2.2.1/"}]
    details = emsp.get(versions.data[0]["url"])
    validate("VersionDetails", details.data)
    assert {(e["identifier"], e["role"]) for e in details.data["endpoints"]} >= {
        ("credentials", "SENDER"),
        ("credentials", "RECEIVER"),
    }
    # Token A opens nothing else than versions and credentials.
    assert emsp.get(f"{ocpi_url}/2.2.1/credentials").data["token"] == token_a

    reply = emsp.call("POST", f"{ocpi_url}/2.2.1/credentials", emsp.credentials())
    assert reply.status == 200, reply.body
    validate("Credentials", reply.data)
    token_c = reply.data["token"]
    assert token_c != token_a
    assert reply.data["roles"][0]["role"] == "CPO"
    assert reply.data["url"] == f"{ocpi_url}/versions"
    # ChargeNet read the eMSP's versions and details with token B.
    assert [r.path for r in emsp.received] == ["/ocpi/versions", "/ocpi/2.2.1"]
    party.refresh_from_db()
    assert party.status == Party.Status.REGISTERED
    assert (party.country_code, party.party_id, party.role) == ("DE", "EMS", "EMSP")
    assert party.token_b == emsp.token_b
    assert party.endpoint("sessions") == f"{emsp.base}/ocpi/emsp/2.2.1/sessions"

    # Token A is spent; token C works, base64 (2.2.1) and plain (2.1.1-style).
    assert emsp.get(f"{ocpi_url}/versions").status == 401
    emsp.token = token_c
    assert emsp.get(f"{ocpi_url}/versions").status == 200
    assert emsp.get(f"{ocpi_url}/versions", plain=True).status == 200
    again = emsp.call("POST", f"{ocpi_url}/2.2.1/credentials", emsp.credentials())
    assert again.status == 405

    # PUT: new token B, new token C; the old C stops working.
    emsp.token_b = "new-token-b"
    updated = emsp.call("PUT", f"{ocpi_url}/2.2.1/credentials", emsp.credentials())
    assert updated.status == 200, updated.body
    new_c = updated.data["token"]
    assert new_c != token_c
    assert emsp.get(f"{ocpi_url}/versions").status == 401
    emsp.token = new_c
    party.refresh_from_db()
    assert party.token_b == "new-token-b"

    # DELETE: unregistered, no token works, and a second DELETE is refused.
    assert emsp.call("DELETE", f"{ocpi_url}/2.2.1/credentials").status == 200
    party.refresh_from_db()
    assert party.status == Party.Status.UNREGISTERED
    assert emsp.get(f"{ocpi_url}/versions").status == 401


def test_registration_that_cannot_reach_the_party_changes_nothing(ocpi_url, emsp):
    party = Party.objects.create(name="Unreachable")
    emsp.token = registration.issue_token_a(party)
    credentials = emsp.credentials()
    credentials["token"] = "not-what-the-emsp-expects"
    reply = emsp.call("POST", f"{ocpi_url}/2.2.1/credentials", credentials)
    assert reply.status == 200 and reply.body["status_code"] == 3001
    party.refresh_from_db()
    assert party.status == Party.Status.PENDING and party.token_c is None


def test_bad_credentials_are_refused_with_2001(ocpi_url, emsp):
    party = Party.objects.create(name="Sloppy")
    emsp.token = registration.issue_token_a(party)
    reply = emsp.call("POST", f"{ocpi_url}/2.2.1/credentials", {"token": "x", "roles": []})
    assert reply.status == 200 and reply.body["status_code"] == 2001
    assert Party.objects.get(pk=party.pk).status == Party.Status.PENDING


def test_unknown_and_malformed_tokens(ocpi_url, emsp):
    emsp.token = "nobody"
    assert emsp.get(f"{ocpi_url}/versions").status == 401
    request = urllib.request.Request(
        f"{ocpi_url}/versions", headers={"Authorization": "Bearer abc"}
    )
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.build_opener(urllib.request.ProxyHandler({})).open(request)
    assert refused.value.code == 401
    assert json.loads(refused.value.read())["status_code"] == 2000


def test_an_operator_issues_token_a_in_the_admin(ops):
    party = Party.objects.create(name="Admin Mobility")
    response = ops.post(
        "/admin/ocpi/party/",
        {"action": "issue_token_a", "_selected_action": [party.pk]},
        follow=True,
    )
    party.refresh_from_db()
    assert party.token_a and party.token_a in response.content.decode()
    assert "/ocpi/versions" in response.content.decode()
