"""The operators' Roaming page: add a party, issue its token A, see the deliveries."""

import pytest

from ocpi.models import Delivery, Party


@pytest.mark.django_db
def test_an_operator_adds_a_party_and_issues_token_a(ops):
    assert ops.post("/roaming/", {"name": "Mobility One"}).status_code == 302
    party = Party.objects.get(name="Mobility One")
    page = ops.post(f"/roaming/{party.pk}/token-a/", follow=True).content.decode()
    party.refresh_from_db()
    assert party.token_a and party.token_a in page
    assert "/ocpi/versions" in page
    Delivery.objects.create(
        party=party, module="locations", method="PATCH", url="http://x/", last_error="HTTP 503"
    )
    page = ops.get("/roaming/").content.decode()
    assert "Mobility One" in page and "HTTP 503" in page


@pytest.mark.django_db
def test_the_page_is_for_operators(client):
    assert client.get("/roaming/").status_code in (302, 403)
