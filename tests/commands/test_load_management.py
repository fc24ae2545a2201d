"""Site power limit: the fair-share rule, and TxProfiles sent when sessions start and end."""

import asyncio
import contextlib
import random

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone
from ocpp.v16 import call as call16
from ocpp.v201 import call as call201

from stations.models import ChargingProfile, ChargingStation, Site, StationEvent
from stations.services import load_management
from stations.services.load_management import fair_shares
from tests.support.charge_points import Station16, Station201, booted
from tests.support.factories import STATION_PASSWORD, ChargingSessionFactory, make_station
from tests.support.ocpp_client import connected_station

# --- the rule -----------------------------------------------------------------------


def test_equal_shares_without_caps():
    assert fair_shares(22000, {1: None, 2: None}) == {1: 11000, 2: 11000}


def test_a_capped_session_leaves_its_remainder_to_the_others():
    assert fair_shares(22000, {1: 3700, 2: None, 3: None}) == {1: 3700, 2: 9150, 3: 9150}


def test_caps_that_bind_only_after_redistribution():
    # 30000 / 3 = 10000: only 1 is capped; 2 then gets min(cap, 12500) = 11000.
    assert fair_shares(30000, {1: 7000, 2: 11000, 3: None}) == {1: 7000, 2: 11000, 3: 12000}


def test_everyone_capped_below_the_share_gets_their_cap():
    assert fair_shares(50000, {1: 7400, 2: 11000}) == {1: 7400, 2: 11000}


def test_a_cap_equal_to_the_share_is_kept():
    assert fair_shares(20000, {1: 10000, 2: None}) == {1: 10000, 2: 10000}


def test_rounding_never_exceeds_the_limit():
    assert fair_shares(10000, {5: None, 7: None, 9: None}) == {5: 3334, 7: 3333, 9: 3333}


def test_no_power_gives_nothing():
    assert fair_shares(0, {1: None, 2: 500}) == {1: 0, 2: 0}
    assert fair_shares(-5, {1: None}) == {1: 0}


def test_no_sessions_no_shares():
    assert fair_shares(11000, {}) == {}


def test_shares_never_exceed_limit_or_caps_and_use_what_they_can():
    rng = random.Random(7)
    for _ in range(500):
        sessions = {
            n: rng.choice([None, rng.randint(1000, 22000)]) for n in range(rng.randint(1, 12))
        }
        limit = rng.randint(0, 150000)
        shares = fair_shares(limit, sessions)
        assert set(shares) == set(sessions)
        assert sum(shares.values()) <= limit
        assert all(cap is None or shares[n] <= cap for n, cap in sessions.items())
        uncapped = [n for n, cap in sessions.items() if cap is None]
        if uncapped or sum(sessions.values()) >= limit:
            # Nobody could take more: the limit is used up to rounding.
            assert (
                limit - sum(shares.values()) < len(sessions)
                or not uncapped
                and sum(shares.values()) == sum(sessions.values())
            )


def test_the_order_of_sessions_changes_nothing():
    sessions = {3: 5000, 1: None, 2: 9000, 4: None}
    reversed_ = dict(reversed(list(sessions.items())))
    assert fair_shares(25000, sessions) == fair_shares(25000, reversed_)


# --- sending the shares ---------------------------------------------------------------

pytestmark = pytest.mark.django_db(transaction=True)


def in_thread(function):
    return sync_to_async(function, thread_sensitive=False)


@contextlib.asynccontextmanager
async def connect(station_id, version="ocpp1.6", client=Station16):
    async with connected_station(
        station_id, STATION_PASSWORD, version=version, station_class=client
    ) as (cp, communicator):
        await booted(cp, "1.6" if version == "ocpp1.6" else "2.0.1")
        yield cp, communicator


@pytest.fixture
def site(transactional_db):
    site = Site.objects.create(name="Depot", max_power_w=11000)
    make_station("CP-A", site=site)
    make_station("CP-B", site=site)
    return site


def active_session(station_id, transaction_id, connector_id=1):
    return ChargingSessionFactory(
        station=ChargingStation.objects.get(station_id=station_id),
        connector_number=connector_id,
        transaction_id=transaction_id,
        id_tag="TAG-0001",
    )


def profiles_sent(cp) -> list[dict]:
    return [payload for action, payload in cp.received if action == "SetChargingProfile"]


@pytest.mark.protocol
async def test_each_active_session_gets_its_share_as_a_tx_profile(site):
    a = await sync_to_async(active_session)("CP-A", "41")
    b = await sync_to_async(active_session)("CP-B", "TX-B")
    async with connect("CP-A") as (cp_a, _), connect("CP-B", "ocpp2.0.1", Station201) as (cp_b, _):
        results = await in_thread(load_management.site_power_rebalance)(site_id=site.pk)
    assert {r.session_id: r.share_w for r in results} == {a.pk: 5500, b.pk: 5500}
    assert not any(r.rejected for r in results)
    (sent_a,) = profiles_sent(cp_a)
    profile_a = sent_a["cs_charging_profiles"]
    assert sent_a["connector_id"] == 1 and profile_a["transaction_id"] == 41
    assert profile_a["charging_profile_purpose"] == "TxProfile"
    assert profile_a["charging_profile_kind"] == "Relative"
    periods = profile_a["charging_schedule"]["charging_schedule_period"]
    assert [(p["start_period"], float(p["limit"])) for p in periods] == [(0, 5500.0)]
    (sent_b,) = profiles_sent(cp_b)
    assert sent_b["charging_profile"]["transaction_id"] == "TX-B"
    assert sent_b["charging_profile"]["charging_schedule"][0]["charging_rate_unit"] == "W"
    rows = {p.session_id: p async for p in ChargingProfile.objects.all()}
    assert rows[a.pk].status == rows[b.pk].status == "accepted"
    assert rows[a.pk].source == "load_management"


@pytest.mark.protocol
async def test_an_unchanged_share_is_not_sent_again(site):
    await sync_to_async(active_session)("CP-A", "41")
    async with connect("CP-A") as (cp, _):
        await in_thread(load_management.site_power_rebalance)(site_id=site.pk)
        second = await in_thread(load_management.site_power_rebalance)(site_id=site.pk)
    assert len(profiles_sent(cp)) == 1 and second[0].profile is None
    assert second[0].share_w == 11000


@pytest.mark.protocol
async def test_a_station_that_rejects_its_profile_is_reported(site):
    a = await sync_to_async(active_session)("CP-A", "41")
    async with connect("CP-A") as (cp, _):
        cp.answer["SetChargingProfile"] = "Rejected"
        (result,) = await in_thread(load_management.site_power_rebalance)(site_id=site.pk)
    assert result.rejected and result.profile.status == "rejected"
    event = await StationEvent.objects.aget(kind="LoadManagement")
    assert event.status == "ProfileRejected" and event.data["session"] == a.pk
    assert event.data["share_w"] == 11000


@pytest.mark.protocol
async def test_an_offline_station_is_reported_and_still_counted(site):
    await sync_to_async(active_session)("CP-A", "41")
    await sync_to_async(active_session)("CP-B", "42")
    async with connect("CP-A") as (cp, _):
        results = await in_thread(load_management.site_power_rebalance)(site_id=site.pk)
    assert [r.share_w for r in results] == [5500, 5500]
    assert [r.rejected for r in results] == [False, True]
    assert await StationEvent.objects.filter(status="ProfileOffline").acount() == 1


def test_a_site_without_a_limit_sends_nothing(site):
    Site.objects.filter(pk=site.pk).update(max_power_w=None)
    active_session("CP-A", "41")
    assert load_management.site_power_rebalance(site_id=site.pk) == []


async def wait_for_profiles(count: int, timeout: float = 5.0) -> list[ChargingProfile]:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        rows = [p async for p in ChargingProfile.objects.exclude(status="requested").order_by("pk")]
        if len(rows) >= count or asyncio.get_running_loop().time() > deadline:
            return rows
        await asyncio.sleep(0.05)


@pytest.mark.protocol
async def test_starting_and_ending_sessions_rebalance_the_site(site, token, eager_tasks):
    async with connect("CP-A") as (cp_a, _), connect("CP-B", "ocpp2.0.1", Station201) as (cp_b, _):
        first = await cp_a.call(
            call16.StartTransaction(
                connector_id=1,
                id_tag="TAG-0001",
                meter_start=0,
                timestamp=timezone.now().isoformat(),
            )
        )
        # The start is answered before any profile is sent: the OCPP message never waits.
        assert first.id_tag_info["status"] == "Accepted"
        await wait_for_profiles(1)
        await cp_b.call(
            call201.TransactionEvent(
                event_type="Started",
                timestamp=timezone.now().isoformat(),
                trigger_reason="Authorized",
                seq_no=0,
                transaction_info={"transaction_id": "TX-B"},
                evse={"id": 1, "connector_id": 1},
                id_token={"id_token": "TAG-0001", "type": "ISO14443"},
            )
        )
        rows = await wait_for_profiles(2)
        await asyncio.sleep(0.3)
        await cp_b.call(
            call201.TransactionEvent(
                event_type="Ended",
                timestamp=timezone.now().isoformat(),
                trigger_reason="StopAuthorized",
                seq_no=1,
                transaction_info={"transaction_id": "TX-B", "stopped_reason": "Local"},
            )
        )
        await asyncio.sleep(0.5)
    limits_a = [
        float(
            p["cs_charging_profiles"]["charging_schedule"]["charging_schedule_period"][0]["limit"]
        )
        for p in profiles_sent(cp_a)
    ]
    assert limits_a == [11000.0, 5500.0, 11000.0]
    assert len(profiles_sent(cp_b)) == 1
    assert len(rows) == 2
    ended = await ChargingProfile.objects.aget(transaction_id="TX-B")
    assert ended.status == "cleared"  # a TxProfile ends with its transaction
