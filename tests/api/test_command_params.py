"""Each command action's parameters, published and checked by the same serializers.

The served schema has one `<Action>Params` component per action the API accepts,
selected by `action`, with its parameter names and an example; every example is
accepted by the API for each OCPP version that has the action; a parameter the action
does not take, or of the wrong type, is a 400 naming it, and nothing is stored.
"""

from pathlib import Path

import pytest

from stations.commands.params import PARAMS
from stations.models import ChargingStation, Command
from stations.ocpp import action_versions
from stations.ocpp.requests import ACTIONS

pytestmark = pytest.mark.django_db(transaction=True)

URL = "/api/v1/stations/CP-1/commands/"
REF = "#/components/schemas/"


def camel(action: str) -> str:
    return "".join(part.capitalize() for part in action.split("_"))


def test_every_action_has_its_params_component_with_an_example(schema):
    schemas = schema["components"]["schemas"]
    body = schema["paths"]["/api/v1/stations/{station_id}/commands/"]["post"]["requestBody"]
    content = body["content"]["application/json"]
    assert content["schema"] == {"$ref": f"{REF}CommandCreate"}
    request = schemas["CommandCreate"]
    assert request["discriminator"]["propertyName"] == "action"
    mapping = request["discriminator"]["mapping"]
    assert set(mapping) == set(ACTIONS)
    examples = {e["value"]["action"]: e["value"]["params"] for e in content["examples"].values()}
    for action in ACTIONS:
        command = schemas[mapping[action].removeprefix(REF)]
        assert command["properties"]["action"]["enum"] == [action]
        params = command["properties"]["params"]
        assert params["allOf"] == [{"$ref": f"{REF}{camel(action)}Params"}]
        component = schemas[f"{camel(action)}Params"]
        names = set(PARAMS[action]().fields) | set(PARAMS[action].aliases)
        assert set(component["properties"]) == names, action
        assert component["additionalProperties"] is False
        assert component["example"] == examples[action] == PARAMS[action].example
        assert set(component["example"]) <= names
        required = {n for n, f in PARAMS[action]().fields.items() if f.required}
        assert set(component.get("required", [])) == required, action


def test_the_documented_parameters_are_those_the_schema_lists(schema):
    """docs/api.md's table names every action and each of its parameters."""
    table = {
        line.split("|")[1].strip(): line
        for line in Path("docs/api.md").read_text().splitlines()
        if line.startswith("| `")
    }
    for action in ACTIONS:
        row = next(line for key, line in table.items() if f"`{action}`" in key)
        for name in PARAMS[action]().fields:
            assert f"`{name}`" in row, (action, name)


CASES = [(action, version) for action in ACTIONS for version in action_versions(action)]


@pytest.mark.parametrize(("action", "version"), CASES, ids=[f"{a}-{v}" for a, v in CASES])
def test_each_example_is_accepted(station, token, api_client, action, version):
    ChargingStation.objects.filter(pk=station.pk).update(ocpp_version=version)
    station.password = "x"  # rotate_password needs a first password
    station.save(update_fields=["password"])
    body = {"action": action, "params": PARAMS[action].example}
    response = api_client.post(URL, body, format="json")
    assert response.status_code == 201, response.content  # the station is offline
    assert response.json()["status"] == "offline"


def test_a_parameter_the_action_does_not_take_is_refused(station, api_client):
    body = {"action": "reset", "params": {"type": "hard", "conector_id": 1}}
    response = api_client.post(URL, body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "conector_id": ["Not a parameter of reset (see docs/api.md)."]
    }
    assert not Command.objects.exists()


@pytest.mark.parametrize(
    ("action", "params", "field", "message"),
    [
        ("unlock_connector", {"connector_id": "two"}, "connector_id", "Must be an integer."),
        ("remote_start", {"connector_id": 1}, "id_token", "This parameter is required."),
        ("reserve_now", {"id_token": "T", "expires_at": "tomorrow"}, "expires_at", None),
        ("set_configuration", {"key": "HeartbeatInterval", "value": {}}, "value", None),
        ("get_display_messages", {"ids": ["x"]}, "ids.0", None),
    ],
)
def test_a_parameter_of_the_wrong_type_is_refused(
    station, api_client, action, params, field, message
):
    ChargingStation.objects.filter(pk=station.pk).update(ocpp_version="2.0.1")
    response = api_client.post(URL, {"action": action, "params": params}, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert field in errors, errors
    if message:
        assert errors[field] == [message]
    assert not Command.objects.exists()


def test_aliases_are_accepted(station, token, api_client):
    params = {"connector_id": 1, "id_tag": "TAG-0001", "expiry_date": "2030-01-01T12:00:00Z"}
    response = api_client.post(URL, {"action": "reserve_now", "params": params}, format="json")
    assert response.status_code == 201, response.content
