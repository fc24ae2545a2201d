"""REST API v1: charging sessions — fields, price, filters, ordering, read-only."""

from datetime import UTC, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from rest_framework.test import APIClient

from billing.models import SessionCharge
from stations.models import ChargingSession, IdToken
from tests.support.factories import ChargingSessionFactory, SessionChargeFactory, make_station

pytestmark = pytest.mark.django_db

URL = "/api/v1/sessions/"
T0 = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)


def session(station, connector_id=1, started_at=T0, **fields) -> ChargingSession:
    return ChargingSessionFactory(
        station=station, connector_number=connector_id, started_at=started_at, **fields
    )


@pytest.fixture
def sessions(db):
    """Four sessions on two stations, one hour apart (oldest first)."""
    rdam = make_station("RDAM 123")
    other = make_station("CP-2")
    token = IdToken.objects.create(value="TAG-1")
    priced = session(
        rdam,
        1,
        T0,
        id_tag="TAG-1",
        id_token=token,
        transaction_id="1",
        state="ended",
        ended_at=T0 + timedelta(minutes=30),
        meter_start_wh=1000,
        meter_stop_wh=8500,
        energy_wh=7500,
        stop_reason="Local",
    )
    SessionChargeFactory(
        session=priced,
        gross=Decimal("3.75"),
        currency="EUR",
        lines=[{"kind": "energy", "quantity": "7.5", "amount": "3.75"}],
    )
    return [
        priced,
        session(rdam, 2, T0 + timedelta(hours=1), id_tag="TAG-2", transaction_id="2"),
        session(other, 1, T0 + timedelta(hours=2), id_tag="TAG-1", transaction_id="tx-abc"),
        session(
            other,
            2,
            T0 + timedelta(hours=3),
            id_tag="TAG-3",
            transaction_id="tx-def",
            energy_wh=1200,
            power_w=7200,
            meter_start_wh=0,
            flags=["meter_backwards"],
        ),
    ]


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["results"]]


def test_needs_an_operator_token(sessions):
    assert APIClient().get(URL).status_code == 401


def test_ended_session_fields_and_price(api_client, sessions):
    first = sessions[0]

    response = api_client.get(f"{URL}{first.pk}/")

    assert response.status_code == 200
    assert response.json() == {
        "id": first.pk,
        "station_id": "RDAM 123",
        "connector_id": 1,
        "id_token": "TAG-1",
        "transaction_id": "1",
        "state": "ended",
        "started_at": "2026-03-01T10:00:00Z",
        "ended_at": "2026-03-01T10:30:00Z",
        "meter_start_wh": 1000,
        "meter_stop_wh": 8500,
        "energy_wh": 7500,
        "power_w": None,
        "stop_reason": "Local",
        "flags": [],
        "price": {
            "total": "3.75",
            "currency": "EUR",
            "lines": [{"kind": "energy", "quantity": "7.5", "amount": "3.75"}],
        },
    }


@pytest.mark.parametrize(
    ("gross", "currency", "total"),
    [
        ("3.75", "EUR", "3.75"),
        ("1500", "JPY", "1500.00"),
        ("1.245", "KWD", "1.25"),  # a tie rounds half up
        ("0.0050", "CLF", "0.01"),
    ],
)
def test_the_price_total_is_the_charge_gross_to_the_cent(api_client, gross, currency, total):
    ended = session(make_station("CP-9"), state="ended", ended_at=T0 + timedelta(hours=1))
    SessionChargeFactory(session=ended, gross=Decimal(gross), currency=currency)
    charge = SessionCharge.objects.get(session=ended)  # as stored (gross to 4 places)

    detail = api_client.get(f"{URL}{ended.pk}/").json()["price"]
    (listed,) = [item["price"] for item in api_client.get(URL).json()["results"]]

    expected = charge.gross.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    assert detail == listed == {"total": str(expected), "currency": currency, "lines": []}
    assert detail["total"] == total


def test_active_session_reads_energy_power_and_unpriced(api_client, sessions):
    body = api_client.get(f"{URL}{sessions[3].pk}/").json()
    assert body["state"] == "active"
    assert body["ended_at"] is None
    assert body["meter_stop_wh"] is None
    assert (body["energy_wh"], body["power_w"]) == (1200, 7200)
    assert body["transaction_id"] == "tx-def"
    assert body["flags"] == ["meter_backwards"]
    assert body["price"] == {"total": None, "currency": "", "lines": []}


def test_stop_of_unknown_transaction_reports_the_id_the_station_named(api_client):
    station = make_station("CP-1")
    unknown = ChargingSession.objects.create(
        station=station,
        reported_transaction_id="-1",
        started_at=T0,
        state="ended",
        ended_at=T0,
        flags=["unknown_transaction"],
    )
    body = api_client.get(f"{URL}{unknown.pk}/").json()
    assert body["transaction_id"] == "-1"
    assert body["connector_id"] is None
    assert body["id_token"] == ""
    assert body["flags"] == ["unknown_transaction"]


def test_list_is_newest_first_and_paginated(api_client, sessions):
    newest_first = [s.pk for s in reversed(sessions)]
    assert ids(api_client.get(URL)) == newest_first
    page = api_client.get(URL, {"limit": 2, "offset": 1})
    assert ids(page) == newest_first[1:3]
    assert page.json()["count"] == 4
    assert ids(api_client.get(URL, {"ordering": "started_at"})) == newest_first[::-1]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"station": "RDAM 123"}, [1, 0]),
        ({"station": "CP-2"}, [3, 2]),
        ({"station": "RDAM"}, []),
        ({"token": "TAG-1"}, [2, 0]),
        ({"token": "TAG-3"}, [3]),
        ({"state": "ended"}, [0]),
        ({"state": "active"}, [3, 2, 1]),
        ({"connector": 2}, [3, 1]),
        ({"station": "CP-2", "connector": 1}, [2]),
        ({"started_after": "2026-03-01T11:00:00Z"}, [3, 2, 1]),
        ({"started_before": "2026-03-01T11:00:00Z"}, [0]),
        ({"started_after": "2026-03-01T11:00:00", "started_before": "2026-03-01T13:00"}, [2, 1]),
        # 12:00+01:00 is 11:00 UTC.
        ({"started_after": "2026-03-01T12:00:00+01:00"}, [3, 2, 1]),
        ({"started_after": "2026-03-01T11:30:00Z", "state": "active", "token": "TAG-1"}, [2]),
    ],
)
def test_list_filters(api_client, sessions, params, expected):
    assert ids(api_client.get(URL, params)) == [sessions[i].pk for i in expected]


def test_an_unencoded_plus_in_an_offset_is_not_a_space(api_client, sessions):
    """`?started_after=...T12:00:00+01:00` typed by hand arrives with a space."""
    response = api_client.get(f"{URL}?started_after=2026-03-01T12:00:00+01:00")
    assert ids(response) == [sessions[i].pk for i in (3, 2, 1)]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"state": "paused"}, "state"),
        ({"started_after": "yesterday"}, "started_after"),
        ({"started_before": "2026-13-01T00:00:00Z"}, "started_before"),
        ({"connector": "one"}, "connector"),
    ],
)
def test_list_rejects_bad_filters(api_client, sessions, params, field):
    response = api_client.get(URL, params)
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_unknown_session_answers_404(api_client, sessions):
    assert api_client.get(f"{URL}999999/").status_code == 404


@pytest.mark.parametrize("method", ["post", "patch", "put", "delete"])
def test_sessions_are_read_only(api_client, sessions, method):
    url = URL if method == "post" else f"{URL}{sessions[0].pk}/"
    response = getattr(api_client, method)(url, {"state": "active"}, format="json")
    assert response.status_code == 405
    assert ChargingSession.objects.get(pk=sessions[0].pk).state == "ended"


def test_list_query_count_does_not_grow_with_sessions(
    api_client, sessions, django_assert_max_num_queries
):
    # auth token, count, sessions (with station, connector and price joined)
    with django_assert_max_num_queries(3):
        response = api_client.get(URL)
    assert len(response.json()["results"]) == 4
