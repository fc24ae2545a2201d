"""The histories uptime is read from: connectivity follows the station's sockets, and
ChargeNet's own runs leave a gap where it was down."""

from datetime import timedelta

import pytest
from django.utils import timezone

from reliability.models import CentralSystemRun, ConnectivityPeriod
from reliability.services import central_alive, connectivity_record
from stations.services.connections import station_connect, station_disconnect


@pytest.mark.django_db(transaction=True)
def test_connectivity_follows_connects_and_disconnects(station):
    station_connect(station_pk=station.pk, channel_name="a", ocpp_version="1.6")
    station_connect(station_pk=station.pk, channel_name="b", ocpp_version="1.6")  # takeover
    station_disconnect(station_pk=station.pk, channel_name="a")  # the old socket: no change
    assert list(ConnectivityPeriod.objects.values_list("ended_at", flat=True)) == [None]
    station_disconnect(station_pk=station.pk, channel_name="b")
    station_connect(station_pk=station.pk, channel_name="c", ocpp_version="1.6")
    periods = list(ConnectivityPeriod.objects.order_by("started_at"))
    assert len(periods) == 2
    assert periods[0].ended_at is not None and periods[1].ended_at is None


@pytest.mark.django_db
def test_a_connectivity_period_ends_when_told_and_never_before_it_began(station):
    start = timezone.now().replace(microsecond=0)
    connectivity_record(station_pk=station.pk, connected=True, at=start)
    connectivity_record(station_pk=station.pk, connected=False, at=start + timedelta(minutes=5))
    connectivity_record(station_pk=station.pk, connected=True, at=start + timedelta(minutes=9))
    # A close dated before the open period began (a late one) ends it where it began.
    connectivity_record(station_pk=station.pk, connected=False, at=start)
    periods = ConnectivityPeriod.objects.order_by("started_at").values_list(
        "started_at", "ended_at"
    )
    assert list(periods) == [
        (start, start + timedelta(minutes=5)),
        (start + timedelta(minutes=9), start + timedelta(minutes=9)),
    ]


@pytest.mark.django_db
def test_runs_are_extended_while_fresh_and_restarted_after_a_gap():
    now = timezone.now()
    first = central_alive(now)
    assert central_alive(now + timedelta(seconds=60)).pk == first.pk
    later = central_alive(now + timedelta(minutes=10))
    assert later.pk != first.pk
    first.refresh_from_db()
    assert first.alive_at == now + timedelta(seconds=60)
    assert CentralSystemRun.objects.count() == 2
