"""Locations as SENDER: the eMSP pulls them; connector status changes are PATCHed to
it in order, and a party that was down gets them later."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from ocpi import pushes
from ocpi.models import Delivery, SitePublication
from stations.models import Site
from stations.services.status import connector_status_update
from tests.support.factories import make_station
from tests.support.ocpi_schemas import validate

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_emsp_pulls_locations(registered, published_site, ocpi_url):
    hidden = Site.objects.create(name="Depot")
    make_station("DEPOT-1", site=hidden)
    SitePublication.objects.create(
        site=hidden,
        published=False,
        location_id="LOC-2",
        address="Weg 2",
        city="Utrecht",
        country="NLD",
        latitude="52.1",
        longitude="5.1",
    )
    reply = registered.get(f"{ocpi_url}/2.2.1/locations")
    assert reply.status == 200 and reply.body["status_code"] == 1000
    assert reply.headers["X-Total-Count"] == "1"
    assert [location["id"] for location in reply.data] == ["LOC-1"]
    location = reply.data[0]
    validate("Location", location)
    assert location["country_code"] == "NL" and location["party_id"] == "CNT"
    assert location["coordinates"] == {"latitude": "52.370216", "longitude": "4.895168"}
    evses = {evse["uid"]: evse for evse in location["evses"]}
    assert set(evses) == {"CP-1-1", "CP-1-2", "EB-1-1"}
    assert evses["CP-1-1"]["evse_id"] == "NL*CNT*ECP1*1"
    assert evses["CP-1-1"]["status"] == "AVAILABLE"
    assert evses["CP-1-1"]["connectors"][0]["power_type"] == "AC_3_PHASE"
    assert evses["EB-1-1"]["connectors"][0]["standard"] == "DOMESTIC_F"

    evse = registered.get(f"{ocpi_url}/2.2.1/locations/LOC-1/CP-1-2")
    validate("EVSE", evse.data)
    connector = registered.get(f"{ocpi_url}/2.2.1/locations/LOC-1/CP-1-2/1")
    validate("Connector", connector.data)
    unknown = registered.get(f"{ocpi_url}/2.2.1/locations/LOC-2")
    assert unknown.status == 404 and unknown.body["status_code"] == 2003


def test_pagination_and_dates(registered, published_site, ocpi_url):
    for n in range(2, 5):
        site = Site.objects.create(name=f"Site {n}")
        SitePublication.objects.create(
            site=site,
            published=True,
            location_id=f"LOC-{n}",
            address="Weg",
            city="Utrecht",
            country="NLD",
            latitude="52.1",
            longitude="5.1",
        )
    first = registered.get(f"{ocpi_url}/2.2.1/locations?limit=2")
    assert [x["id"] for x in first.data] == ["LOC-1", "LOC-2"]
    assert first.headers["X-Total-Count"] == "4" and first.headers["X-Limit"] == "100"
    next_url = first.headers["Link"].split(";")[0].strip("<>")
    second = registered.get(next_url)
    assert [x["id"] for x in second.data] == ["LOC-3", "LOC-4"]
    assert "Link" not in second.headers
    later = (timezone.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert registered.get(f"{ocpi_url}/2.2.1/locations?date_from={later}").data == []
    assert len(registered.get(f"{ocpi_url}/2.2.1/locations?date_to={later}").data) == 4
    bad = registered.get(f"{ocpi_url}/2.2.1/locations?date_from=yesterday")
    assert bad.body["status_code"] == 2001


def test_token_a_opens_no_module(emsp, ocpi_url, published_site):
    from ocpi import registration
    from ocpi.models import Party

    emsp.token = registration.issue_token_a(Party.objects.create(name="Early"))
    assert emsp.get(f"{ocpi_url}/2.2.1/locations").status == 401


def _status(station, connector, status):
    connector_status_update(station_pk=station.pk, connector_id=connector, status=status)


def test_status_changes_are_pushed_in_order(registered, published_site):
    station = published_site.stations.get(station_id="CP-1")
    _status(station, 1, "Preparing")
    _status(station, 1, "Charging")
    patches = registered.of("/ocpi/emsp/2.2.1/locations/NL/CNT/LOC-1/CP-1-1", "PATCH")
    assert [p.body["status"] for p in patches] == ["CHARGING", "CHARGING"]
    _status(station, 2, "Faulted")
    last = registered.of("/ocpi/emsp/2.2.1/locations/NL/CNT/LOC-1/CP-1-2", "PATCH")[-1]
    assert last.body["status"] == "OUTOFORDER"
    assert set(last.body) == {"status", "last_updated"}
    patched = Delivery.objects.filter(method="PATCH", status=Delivery.Status.SUCCEEDED)
    assert patched.count() == 3


def test_a_party_that_was_down_gets_its_updates_later_in_order(registered, published_site):
    station = published_site.stations.get(station_id="CP-1")
    registered.down = True
    _status(station, 1, "Charging")
    _status(station, 1, "Available")
    first, second = Delivery.objects.filter(method="PATCH").order_by("id")
    assert first.status == Delivery.Status.RETRYING and first.attempts == 1
    assert "503" in first.last_error
    assert second.attempts == 0  # waits behind the first: order is kept
    registered.down = False
    Delivery.objects.update(next_attempt_at=timezone.now())
    for party_pk in pushes.due_parties():
        pushes.push_party(party_pk)
    patches = registered.of("/ocpi/emsp/2.2.1/locations/NL/CNT/LOC-1/CP-1-1", "PATCH")
    assert [p.body["status"] for p in patches] == ["CHARGING", "AVAILABLE"]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"succeeded"}
    assert Delivery.objects.filter(method="PUT").exists()  # the site, published


def test_publishing_or_withdrawing_a_site_puts_the_location(registered, published_site):
    publication = SitePublication.objects.get(location_id="LOC-1")
    publication.city = "Amstelveen"
    publication.save()
    publication.published = False
    publication.save()
    # The first PUT came when the site was published, after the eMSP registered.
    created, *puts = registered.of("/ocpi/emsp/2.2.1/locations/NL/CNT/LOC-1", "PUT")
    assert [p.path for p in puts] == ["/ocpi/emsp/2.2.1/locations/NL/CNT/LOC-1"] * 2
    for put in puts:
        validate("Location", put.body)
    assert puts[0].body["city"] == "Amstelveen" and puts[0].body["publish"] is True
    assert puts[1].body["publish"] is False


def test_two_senders_at_once_send_each_delivery_once_in_order(
    registered, published_site, monkeypatch
):
    """Two workers pushing the same party: one sends, the other leaves it the work."""
    import threading
    import time

    from django.db import close_old_connections

    from ocpi import client

    station = published_site.stations.get(station_id="CP-1")
    registered.down = True
    for status in ("Preparing", "Charging", "SuspendedEV", "Finishing"):
        _status(station, 1, status)
    registered.down = False
    Delivery.objects.update(next_attempt_at=timezone.now())
    real_call = client.call

    def slow_call(*args, **kwargs):
        time.sleep(0.05)  # long enough for the other sender to arrive mid-call
        return real_call(*args, **kwargs)

    monkeypatch.setattr(client, "call", slow_call)
    party_pk = registered.party.pk

    def sender():
        try:
            pushes.push_party(party_pk)
        finally:
            close_old_connections()

    senders = [threading.Thread(target=sender) for _ in range(2)]
    for thread in senders:
        thread.start()
    for thread in senders:
        thread.join(30)
    patches = registered.of("/ocpi/emsp/2.2.1/locations/NL/CNT/LOC-1/CP-1-1", "PATCH")
    deliveries = Delivery.objects.filter(method="PATCH").order_by("id")
    # Each sent once and in order; the first had been tried while the party was down.
    assert [p.body for p in patches] == [json.loads(d.body) for d in deliveries]
    assert [d.attempts for d in deliveries] == [2, 1, 1, 1]
    assert set(Delivery.objects.values_list("status", flat=True)) == {"succeeded"}


def test_a_station_added_edited_or_removed_puts_the_location_again(registered, published_site):
    """What a Location lists follows the network; a status or a boot is no such change."""
    path = "/ocpi/emsp/2.2.1/locations/NL/CNT/LOC-1"
    before = len(registered.of(path, "PUT"))
    station = make_station("CP-2", site=published_site, connectors=1)
    added = registered.of(path, "PUT")[-1].body
    validate("Location", added)
    assert "CP-2-1" in {evse["uid"] for evse in added["evses"]}
    assert len(registered.of(path, "PUT")) > before
    puts = len(registered.of(path, "PUT"))
    _status(station, 1, "Charging")  # a PATCH of the EVSE, not a new Location
    assert registered.of(f"{path}/CP-2-1", "PATCH")
    assert len(registered.of(path, "PUT")) == puts
    station.delete()
    removed = registered.of(path, "PUT")[-1].body
    assert "CP-2-1" not in {evse["uid"] for evse in removed["evses"]}
