"""The public open-data feed: published sites only, live availability (within the
cache's life), the ad-hoc price per connector; no token needed."""

import pytest
from django.core.cache import cache

from billing.models import TariffAssignment
from ocpi.models import SitePublication
from stations.models import Connector
from tests.support.billing import car_tariff
from tests.support.ocpi_schemas import validate


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


def test_published_locations_and_their_prices(client, published_site, settings):
    TariffAssignment.objects.create(tariff=car_tariff(), site=published_site)
    response = client.get("/ocpi/public/locations")
    assert response.status_code == 200
    assert "max-age=30" in response["Cache-Control"]
    body = response.json()
    assert body["status_code"] == 1000 and response["X-Total-Count"] == "1"
    [location] = body["data"]
    validate("Location", location)
    tariff_id = location["evses"][0]["connectors"][0]["tariff_ids"][0]
    tariffs = client.get("/ocpi/public/tariffs").json()["data"]
    [tariff] = tariffs
    validate("Tariff", tariff)
    assert tariff["id"] == tariff_id and tariff["type"] == "AD_HOC_PAYMENT"
    energy = tariff["elements"][-1]["price_components"][0]
    assert (energy["type"], energy["price"], energy["vat"]) == ("ENERGY", 0.35, 21.0)


def test_the_operator_switch_and_the_cache(client, published_site, settings):
    Connector.objects.filter(station__station_id="CP-1", connector_id=1).update(status="Charging")
    first = client.get("/ocpi/public/locations").json()["data"][0]
    assert first["evses"][0]["status"] == "CHARGING"
    Connector.objects.filter(station__station_id="CP-1", connector_id=1).update(status="Available")
    cached = client.get("/ocpi/public/locations").json()["data"][0]
    assert cached["evses"][0]["status"] == "CHARGING"  # within the cache's life
    cache.clear()
    fresh = client.get("/ocpi/public/locations").json()["data"][0]
    assert fresh["evses"][0]["status"] == "AVAILABLE"
    SitePublication.objects.update(published=False)
    cache.clear()
    assert client.get("/ocpi/public/locations").json()["data"] == []
