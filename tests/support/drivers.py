"""Builders for the drivers' tests: a driver's sessions."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from tests.support.factories import ChargingSessionFactory, SessionChargeFactory

PASSWORD = "driver-pass-123"


def session_for(user, station, *, state="ended", price=Decimal("1.50"), days_ago=0):
    """A session of half an hour with the user's first card on connector 1, priced if ended."""
    started = timezone.now() - timedelta(days=days_ago, hours=1)
    card = user.id_tokens.first()
    session = ChargingSessionFactory(
        station=station,
        id_token=card,
        id_tag=card.value,
        state=state,
        started_at=started,
        ended_at=None if state == "active" else started + timedelta(minutes=30),
        energy_wh=1200,
    )
    if state == "ended":  # billing's price of it
        SessionChargeFactory(
            session=session,
            gross=price,
            currency="CNY",
            lines=[{"description": "Energy", "quantity": "1.2", "unit": "kWh", "amount": "1.50"}],
        )
    return session
