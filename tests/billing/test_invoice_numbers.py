"""Invoice numbers stay gapless and unique when many workers issue at once (PostgreSQL)."""

import os
import threading
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection

from billing import services
from billing.models import Invoice
from tests.support.billing import FRIDAY, assign, car_tariff, network, session

pytestmark = [
    pytest.mark.server,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="needs DATABASE_URL on PostgreSQL: run `make test-servers`",
    ),
]


def test_concurrent_issuing_never_skips_or_repeats_a_number():
    _, car, _ = network()
    assign(car_tariff(), station=car)
    sessions = [session(car, FRIDAY + timedelta(hours=i), 30, 1_000) for i in range(24)]
    errors: list[BaseException] = []

    def issue(batch):
        try:
            for ended in batch:
                services.invoice_issue_for_session(session=ended)
        except BaseException as error:  # noqa: BLE001 - reported by the test
            errors.append(error)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=issue, args=(sessions[i::6],)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert errors == []
    numbers = sorted(Invoice.objects.values_list("sequence", flat=True))
    assert numbers == list(range(1, 25))
    assert Invoice.objects.values("number").distinct().count() == 24
