"""Issue 20, point 1: the neutral parameter names, checked on the requests each version
builds (no station needed): aliases, OCPP-shaped charging profiles in either spelling,
the 1.6 configuration keys for 2.x stations, charging profile ids assigned.
"""

import re

import pytest

from stations.commands.service import CommandError, command_params
from stations.models import ChargingProfile, Command
from stations.ocpp import build_command
from stations.ocpp.configuration_keys import KEYS_16_TO_201
from stations.ocpp.neutral import params_neutral, profile_neutral
from tests.support.factories import ChargingSessionFactory

pytestmark = pytest.mark.django_db


def body(version: str, action: str, params: dict) -> dict:
    return build_command(version, action, {"remote_start_id": 1, **params}).body


@pytest.mark.parametrize("name", ["id_token", "id_tag"])
def test_id_token_and_id_tag_are_one_parameter(name):
    params = {name: "TAG", "connector_id": 1, "expires_at": "2030-01-01T00:00:00Z"}
    neutral = params_neutral("reserve_now", {**params, "reservation_id": 3, "evse_id": 1})
    assert body("1.6", "reserve_now", neutral)["idTag"] == "TAG"
    assert body("2.0.1", "reserve_now", neutral)["idToken"] == {
        "idToken": "TAG",
        "type": "ISO14443",
    }
    assert params_neutral("customer_information", {name: "TAG"})["id_token"] == "TAG"


def test_a_token_type_in_snake_case_and_the_expiry_under_its_message_name():
    neutral = params_neutral(
        "reserve_now",
        {
            "id_token": "TAG",
            "id_token_type": "central",
            "parent_id_token": "GROUP",
            "expiry_date_time": "2030-01-01T00:00:00Z",
            "reservation_id": 3,
        },
    )
    assert neutral == {
        "id_tag": "TAG",
        "id_token_type": "Central",
        "parent_id_tag": "GROUP",
        "expires_at": "2030-01-01T00:00:00Z",
        "reservation_id": 3,
    }
    with pytest.raises(CommandError) as error:
        params_neutral("reserve_now", {"id_token": "A", "id_tag": "B"})
    assert "id_token" in error.value.errors


def test_evse_id_names_the_connector(station):
    from_evse = command_params(station, "unlock_connector", {"evse_id": 2})
    assert body("1.6", "unlock_connector", from_evse) == {"connectorId": 2}
    assert body("2.0.1", "unlock_connector", from_evse) == {"evseId": 2, "connectorId": 1}


PROFILE_16 = {
    "chargingProfileId": 9,
    "stackLevel": 2,
    "chargingProfilePurpose": "TxDefaultProfile",
    "chargingProfileKind": "Recurring",
    "recurrencyKind": "Daily",
    "chargingSchedule": {
        "chargingRateUnit": "A",
        "startSchedule": "2030-01-01T00:00:00Z",
        "chargingSchedulePeriod": [
            {"startPeriod": 0, "limit": 16, "numberPhases": 3},
            {"startPeriod": 3600, "limit": 10},
        ],
    },
}
PROFILE_201 = {
    "id": 9,
    "stackLevel": 2,
    "chargingProfilePurpose": "TxDefaultProfile",
    "chargingProfileKind": "Recurring",
    "recurrencyKind": "Daily",
    "chargingSchedule": [
        {
            "id": 1,
            "chargingRateUnit": "A",
            "startSchedule": "2030-01-01T00:00:00Z",
            "chargingSchedulePeriod": [
                {"startPeriod": 0, "limit": 16, "numberPhases": 3},
                {"startPeriod": 3600, "limit": 10},
            ],
        }
    ],
}
SIMPLE = {
    "id": 9,
    "stack_level": 2,
    "purpose": "tx_default",
    "kind": "recurring",
    "recurrency": "daily",
    "schedule": {
        "unit": "A",
        "start": "2030-01-01T00:00:00Z",
        "periods": [
            {"start_period": 0, "limit": 16, "number_phases": 3},
            {"start_period": 3600, "limit": 10},
        ],
    },
}


def snake(data):
    if isinstance(data, dict):
        return {re.sub(r"(?<=[a-z])(?=[A-Z])", "_", k).lower(): snake(v) for k, v in data.items()}
    if isinstance(data, list):
        return [snake(v) for v in data]
    return data


@pytest.mark.parametrize(
    "profile",
    [PROFILE_16, PROFILE_201, snake(PROFILE_16), snake(PROFILE_201), SIMPLE],
    ids=["1.6-camel", "2.0.1-camel", "1.6-snake", "2.0.1-snake", "simple"],
)
def test_ocpp_shaped_profiles_of_either_version_go_to_both(profile):
    params = params_neutral(
        "set_charging_profile", {"connector_id": 1, "evse_id": 1, "charging_profile": profile}
    )
    assert body("1.6", "set_charging_profile", params) == {
        "connectorId": 1,
        "csChargingProfiles": PROFILE_16,
    }
    assert body("2.0.1", "set_charging_profile", params) == {
        "evseId": 1,
        "chargingProfile": PROFILE_201,
    }


def test_the_shortest_profile_is_a_limit():
    assert profile_neutral({"purpose": "max", "limit": 11000}) == {
        "purpose": "max",
        "schedule": {"periods": [{"start_period": 0, "limit": 11000}]},
    }


def test_a_2x_profile_with_two_schedules_is_refused():
    with pytest.raises(CommandError) as error:
        profile_neutral({**PROFILE_201, "chargingSchedule": PROFILE_201["chargingSchedule"] * 2})
    assert "charging_profile.charging_schedule" in error.value.errors


def test_a_profile_without_an_id_gets_one_above_any_given(station):
    ChargingProfile.objects.create(
        station=station, profile_id=4, purpose="max", unit="W", periods=[]
    )
    Command.objects.create(
        station=station, action="set_charging_profile", params={"charging_profile": {"id": 6}}
    )
    params = command_params(
        station, "set_charging_profile", {"charging_profile": {"purpose": "max", "limit": 10}}
    )
    assert params["charging_profile"]["id"] == 7


@pytest.mark.parametrize(("key16", "key201"), sorted(KEYS_16_TO_201.items()))
def test_the_standard_16_keys_reach_2x_stations_as_their_variables(key16, key201):
    setting = body("2.0.1", "set_configuration", {"key": key16, "value": "1"})
    item = setting["setVariableData"][0]
    component, _, variable = key201.partition(".")
    name, _, instance = variable.rstrip("]").partition("[")
    assert item["component"] == {"name": component}
    assert item["variable"] == (
        {"name": name, "instance": instance} if instance else {"name": name}
    )
    # and the 2.x key reaches a 1.6 station as the 1.6 key
    assert body("1.6", "set_configuration", {"key": key201, "value": "1"})["key"] == key16


def test_the_16_key_table_uses_known_names():
    assert KEYS_16_TO_201["HeartbeatInterval"] == "OCPPCommCtrlr.HeartbeatInterval"
    assert KEYS_16_TO_201["MeterValueSampleInterval"] == "SampledDataCtrlr.TxUpdatedInterval"
    assert KEYS_16_TO_201["AuthorizeRemoteTxRequests"] == "AuthCtrlr.AuthorizeRemoteStart"
    assert (
        KEYS_16_TO_201["TransactionMessageAttempts"]
        == "OCPPCommCtrlr.MessageAttempts[TransactionEvent]"
    )


def test_2x_keys_with_instances_and_per_evse():
    params = {"keys": ["EVSE.AvailabilityState", "MeterValueSampleInterval"], "evse_id": 2}
    assert body("2.0.1", "get_configuration", params)["getVariableData"] == [
        {
            "component": {"name": "EVSE", "evse": {"id": 2}},
            "variable": {"name": "AvailabilityState"},
        },
        {
            "component": {"name": "SampledDataCtrlr", "evse": {"id": 2}},
            "variable": {"name": "TxUpdatedInterval"},
        },
    ]
    setting = body(
        "2.0.1",
        "set_configuration",
        {
            "key": {
                "component": "Connector",
                "evse_id": 1,
                "connector_id": 2,
                "variable": "Enabled",
            },
            "value": "false",
            "attribute_type": "target",
        },
    )
    assert setting["setVariableData"] == [
        {
            "attributeType": "Target",
            "attributeValue": "false",
            "component": {"name": "Connector", "evse": {"id": 1, "connectorId": 2}},
            "variable": {"name": "Enabled"},
        }
    ]
    instance = body("2.0.1", "set_configuration", {"key": "Ctrlr/main.Var[x]", "value": 1})
    assert instance["setVariableData"][0]["component"] == {"name": "Ctrlr", "instance": "main"}
    assert instance["setVariableData"][0]["variable"] == {"name": "Var", "instance": "x"}
    assert body("1.6", "get_configuration", {"keys": ["OCPPCommCtrlr.HeartbeatInterval"]}) == {
        "key": ["HeartbeatInterval"]
    }


def test_session_id_names_the_transaction(station):
    session = ChargingSessionFactory(station=station, transaction_id="77")
    params = command_params(station, "cost_updated", {"session_id": session.pk, "total_cost": 1})
    assert body("2.0.1", "cost_updated", params)["transactionId"] == "77"
    assert body("1.6", "remote_stop", command_params(station, "remote_stop", params)) == {
        "transactionId": 77
    }
