"""Charging profiles: checked before sending, sent in each version's words, answers stored."""

import contextlib

import pytest
from asgiref.sync import sync_to_async

from stations.models import ChargingProfile, ChargingStation, Command
from stations.ocpp.requests import CommandError
from stations.services import charging_profiles
from tests.support.charge_points import Station16, Station201, booted
from tests.support.factories import STATION_PASSWORD
from tests.support.ocpp_client import connected_station

pytestmark = [pytest.mark.protocol, pytest.mark.django_db(transaction=True)]

DEFAULT = {
    "purpose": "tx_default",
    "stack_level": 2,
    "kind": "absolute",
    "schedule": {
        "unit": "W",
        "start": "2030-01-01T00:00:00Z",
        "periods": [{"start_period": 0, "limit": 11000}, {"start_period": 3600, "limit": 3700}],
    },
}


def in_thread(function):
    return sync_to_async(function, thread_sensitive=False)


@contextlib.asynccontextmanager
async def connect(version="ocpp1.6", client=Station16):
    async with connected_station(
        "CP-1", STATION_PASSWORD, version=version, station_class=client
    ) as (cp, communicator):
        await booted(cp, "1.6" if version == "ocpp1.6" else "2.0.1")
        yield cp, communicator


def with_schedule(**changes) -> dict:
    return {**DEFAULT, "schedule": {**DEFAULT["schedule"], **changes}}


@pytest.mark.parametrize(
    ("profile", "connector_id", "field"),
    [
        ({**DEFAULT, "purpose": "cheapest"}, 1, "purpose"),
        (with_schedule(unit="kW"), 1, "schedule.unit"),
        (with_schedule(periods=[]), 1, "schedule.periods"),
        (
            with_schedule(periods=[{"start_period": 60, "limit": 10}]),
            1,
            "schedule.periods.0.start_period",
        ),
        (
            with_schedule(
                periods=[{"start_period": 0, "limit": 10}, {"start_period": 0, "limit": 8}]
            ),
            1,
            "schedule.periods.1.start_period",
        ),
        (
            with_schedule(
                periods=[{"start_period": 0, "limit": 10}, {"start_period": 60, "limit": -1}]
            ),
            1,
            "schedule.periods.1.limit",
        ),
        (with_schedule(periods=[{"start_period": 0, "limit": 0}]), 1, "schedule.periods.0.limit"),
        (
            with_schedule(
                duration=60,
                periods=[{"start_period": 0, "limit": 10}, {"start_period": 90, "limit": 5}],
            ),
            1,
            "schedule.periods.1.start_period",
        ),
        (
            with_schedule(periods=[{"start_period": 0, "limit": 10, "number_phases": 4}]),
            1,
            "schedule.periods.0.number_phases",
        ),
        ({**DEFAULT, "kind": "recurring"}, 1, "recurrency"),
        ({**DEFAULT, "recurrency": "daily"}, 1, "recurrency"),
        ({**DEFAULT, "kind": "relative"}, 1, "schedule.start"),
        (
            {**DEFAULT, "valid_from": "2030-01-02T00:00:00Z", "valid_to": "2030-01-01T00:00:00Z"},
            1,
            "valid_to",
        ),
        ({**DEFAULT, "valid_from": "tomorrow"}, 1, "valid_from"),
        ({**DEFAULT, "purpose": "max"}, 1, "connector_id"),
        ({**DEFAULT, "purpose": "tx"}, None, "connector_id"),
        ({**DEFAULT, "transaction_id": "7"}, 1, "transaction_id"),
        ({**DEFAULT, "stack_level": -1}, 1, "stack_level"),
        ({**DEFAULT, "schedule": None}, 1, "schedule"),
    ],
)
def test_bad_profiles_are_refused_naming_the_field(station, profile, connector_id, field):
    with pytest.raises(CommandError) as error:
        charging_profiles.charging_profile_set(
            station=station, profile=profile, connector_id=connector_id
        )
    assert field in error.value.errors, error.value.errors
    assert not ChargingProfile.objects.exists() and not Command.objects.exists()


def test_201_tx_profiles_name_their_transaction(station):
    ChargingStation.objects.filter(pk=station.pk).update(ocpp_version="2.0.1")
    with pytest.raises(CommandError) as error:
        charging_profiles.charging_profile_set(
            station=station, profile={**DEFAULT, "purpose": "tx"}, connector_id=1
        )
    assert "transaction_id" in error.value.errors


def test_limits_keep_one_decimal():
    fields = charging_profiles.charging_profile_clean(
        with_schedule(unit="A", periods=[{"start_period": 0, "limit": "16.04"}]),
        connector_id=1,
        ocpp_version="1.6",
    )
    assert fields["periods"] == [{"start_period": 0, "limit": 16}]
    assert fields["unit"] == "A"


async def test_a_profile_is_sent_in_16_words_and_its_acceptance_stored(station):
    async with connect() as (cp, _):
        profile = await in_thread(charging_profiles.charging_profile_set)(
            station=station, profile=DEFAULT, connector_id=1, timeout=5
        )
    assert profile.status == "accepted" and profile.profile_id == 1
    (action, sent), *_ = cp.received
    assert action == "SetChargingProfile" and sent["connector_id"] == 1
    sent_profile = sent["cs_charging_profiles"]
    assert sent_profile["charging_profile_id"] == 1
    assert sent_profile["charging_profile_purpose"] == "TxDefaultProfile"
    assert sent_profile["stack_level"] == 2
    schedule = sent_profile["charging_schedule"]
    assert schedule["charging_rate_unit"] == "W"
    assert [
        (p["start_period"], float(p["limit"])) for p in schedule["charging_schedule_period"]
    ] == [
        (0, 11000.0),
        (3600, 3700.0),
    ]
    command = await Command.objects.aget(pk=profile.command_id)
    assert command.status == "accepted" and command.ocpp_action == "SetChargingProfile"


async def test_a_profile_is_sent_in_201_words(station):
    async with connect("ocpp2.0.1", Station201) as (cp, _):
        profile = await in_thread(charging_profiles.charging_profile_set)(
            station=station, profile={**DEFAULT, "purpose": "max"}, timeout=5
        )
    assert profile.status == "accepted" and profile.connector_id is None
    sent = cp.received[0][1]
    assert sent["evse_id"] == 0
    body = sent["charging_profile"]
    assert body["charging_profile_purpose"] == "ChargingStationMaxProfile"
    assert body["charging_schedule"][0]["start_schedule"].startswith("2030-01-01T00:00:00")


async def test_a_rejected_profile_is_stored_as_rejected(station):
    async with connect() as (cp, _):
        cp.answer["SetChargingProfile"] = "Rejected"
        profile = await in_thread(charging_profiles.charging_profile_set)(
            station=station, profile=DEFAULT, connector_id=1, timeout=5
        )
    assert profile.status == "rejected"


async def test_the_same_profile_id_replaces_the_profile(station):
    async with connect() as (cp, _):
        first = await in_thread(charging_profiles.charging_profile_set)(
            station=station, profile={**DEFAULT, "id": 7}, connector_id=1, timeout=5
        )
        second = await in_thread(charging_profiles.charging_profile_set)(
            station=station,
            profile={**with_schedule(periods=[{"start_period": 0, "limit": 5000}]), "id": 7},
            connector_id=1,
            timeout=5,
        )
        third = await in_thread(charging_profiles.charging_profile_set)(
            station=station, profile=DEFAULT, connector_id=1, timeout=5
        )
    assert first.pk == second.pk and second.periods == [{"start_period": 0, "limit": 5000}]
    assert third.profile_id == 8
    assert await ChargingProfile.objects.acount() == 2


async def test_an_absolute_profile_without_start_starts_when_sent(station):
    profile = {**DEFAULT, "schedule": {"periods": [{"start_period": 0, "limit": 7000}]}}
    async with connect() as (cp, _):
        stored = await in_thread(charging_profiles.charging_profile_set)(
            station=station, profile=profile, connector_id=1, timeout=5
        )
    assert stored.start_schedule is not None
    assert cp.received[0][1]["cs_charging_profiles"]["charging_schedule"]["start_schedule"]


@pytest.mark.parametrize(("answer", "status"), [("Accepted", "cleared"), ("Unknown", "cleared")])
async def test_clearing_a_profile(station, answer, status):
    async with connect() as (cp, _):
        profile = await in_thread(charging_profiles.charging_profile_set)(
            station=station, profile=DEFAULT, connector_id=1, timeout=5
        )
        cp.answer["ClearChargingProfile"] = answer
        cleared = await in_thread(charging_profiles.charging_profile_clear)(
            profile=profile, timeout=5
        )
    assert cleared.status == status
    assert cp.received[-1] == ("ClearChargingProfile", {"id": profile.profile_id})


async def test_clearing_an_offline_station_keeps_the_profile(station):
    profile = await sync_to_async(ChargingProfile.objects.create)(
        station=station, profile_id=3, purpose="tx_default", status="accepted", periods=[]
    )
    cleared = await in_thread(charging_profiles.charging_profile_clear)(profile=profile)
    assert cleared.status == "accepted"
    assert (await Command.objects.aget(pk=cleared.clear_command_id)).status == "offline"
