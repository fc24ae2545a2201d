"""The overload rule's e-bike port ratings: every port loaded in one query a minute,
not a query per station (a loaded process spent 6 % of its CPU on those)."""

import pytest

from reliability.alarms import rules
from stations.models import Connector
from tests.support.factories import make_station

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def unloaded(monkeypatch):
    monkeypatch.setattr(rules, "_ratings", rules._Ratings())


def rate(station, watts):
    Connector.objects.filter(station=station).update(max_power_w=watts)


def test_every_station_is_answered_from_one_load(django_assert_num_queries):
    bikes = [make_station(f"BIKE-{n}", kind="ebike", connectors=2) for n in range(5)]
    car = make_station("CAR-1", connectors=1)
    for bike in bikes:
        rate(bike, 500)
    rate(car, 22_000)
    with django_assert_num_queries(2):  # the newest station, the rated ports
        assert rules._ebike_ratings(bikes[0].pk) == {1: 500, 2: 500}
    with django_assert_num_queries(0):
        assert [rules._ebike_ratings(bike.pk) for bike in bikes[1:]] == [{1: 500, 2: 500}] * 4
        assert rules._ebike_ratings(car.pk) == {}


def test_a_station_added_or_saved_since_the_load_is_read_again(django_assert_num_queries):
    first = make_station("BIKE-1", kind="ebike", connectors=1)
    rate(first, 500)
    assert rules._ebike_ratings(first.pk) == {1: 500}
    second = make_station("BIKE-2", kind="ebike", connectors=1)
    rate(second, 300)
    with django_assert_num_queries(1):
        assert rules._ebike_ratings(second.pk) == {1: 300}
    with django_assert_num_queries(0):
        assert rules._ebike_ratings(second.pk) == {1: 300}
    port = Connector.objects.get(station=first)
    port.max_power_w = 250
    port.save()  # an operator's edit in the admin
    assert rules._ebike_ratings(first.pk) == {1: 250}


def test_the_ratings_are_loaded_again_after_their_time(monkeypatch):
    bike = make_station("BIKE-1", kind="ebike", connectors=1)
    rate(bike, 500)
    assert rules._ebike_ratings(bike.pk) == {1: 500}
    rate(bike, 400)  # a bulk update, no signal: seen at the next load
    assert rules._ebike_ratings(bike.pk) == {1: 500}
    loaded = rules._ratings
    monkeypatch.setattr(rules, "_ratings", rules._Ratings(loaded.loaded_at - 61, 0, {}))
    assert rules._ebike_ratings(bike.pk) == {1: 400}
