"""A prepaid block that runs out stops its session through a remote stop."""

import pytest
from django.utils import timezone

from billing import tasks
from stations.models import ChargingSession, Command
from tests.support.factories import make_station


@pytest.mark.django_db(transaction=True)
def test_expired_blocks_get_a_remote_stop(monkeypatch):
    station = make_station()
    session = ChargingSession.objects.create(
        station=station, transaction_id="7", started_at=timezone.now()
    )
    monkeypatch.setattr(tasks.services, "prepaid_block_expired_sessions", lambda: [session])
    assert tasks.stop_expired_prepaid_sessions() == 0  # the station is offline
    command = Command.objects.get()
    assert command.action == "remote_stop" and command.status == "offline"
    assert command.params["transaction_id"] == "7"
