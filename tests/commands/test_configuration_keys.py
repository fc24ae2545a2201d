"""The 1.6 -> 2.0.1 configuration key table, checked against the standardized names.

OCPP 2.0.1 Part 2 (Appendices), the migration from 1.6 configuration keys: the rows
below were missing from stations/ocpp/configuration_keys.py, so a 2.0.1 station was
sent the 1.6 key itself (`ReserveConnectorZeroSupported.` is no component/variable)
and the API refused it. Each is asserted on its own, with the component and variable
written out here rather than read from the table. Every row of the table must also
name a controller or physical component of 2.0.1 and one of its variables (the `ocpp`
library's enums of the standardized device model).
"""

import pytest
from ocpp.v201 import enums

from stations.ocpp import build_command
from stations.ocpp.configuration_keys import KEYS_16_TO_201

# 1.6 key: (2.0.1 component, variable, variable instance)
CORRECTED = {
    "MaxEnergyOnInvalidId": ("TxCtrlr", "MaxEnergyOnInvalidId", None),
    "ReserveConnectorZeroSupported": ("ReservationCtrlr", "NonEvseSpecific", None),
    "ConnectorSwitch3to1PhaseSupported": ("SmartChargingCtrlr", "Phases3to1", None),
    "AdditionalRootCertificateCheck": ("SecurityCtrlr", "AdditionalRootCertificateCheck", None),
    "CertificateSignedMaxChainSize": ("SecurityCtrlr", "MaxCertificateChainSize", None),
    "CertSigningRepeatTimes": ("SecurityCtrlr", "CertSigningRepeatTimes", None),
    "CertSigningWaitMinimum": ("SecurityCtrlr", "CertSigningWaitMinimum", None),
    "CentralContractValidationAllowed": ("ISO15118Ctrlr", "CentralContractValidationAllowed", None),
    "ContractValidationOffline": ("ISO15118Ctrlr", "ContractValidationOffline", None),
}


def body(version: str, action: str, params: dict) -> dict:
    return build_command(version, action, params).body


@pytest.mark.parametrize(("key16", "expected"), sorted(CORRECTED.items()))
def test_the_corrected_rows_reach_201_stations_as_their_variables(key16, expected):
    component, variable, instance = expected
    sent = body("2.0.1", "set_configuration", {"key": key16, "value": "true"})
    item = sent["setVariableData"][0]
    assert item["component"] == {"name": component}
    assert item["variable"] == (
        {"name": variable, "instance": instance} if instance else {"name": variable}
    )
    read = body("2.0.1", "get_configuration", {"keys": [key16]})["getVariableData"][0]
    assert read["component"] == {"name": component} and read["variable"]["name"] == variable
    # and back: the 2.0.1 key reaches a 1.6 station as the 1.6 key
    assert body("1.6", "set_configuration", {"key": f"{component}.{variable}", "value": "1"}) == {
        "key": key16,
        "value": "1",
    }


def _variables(component: str) -> set[str]:
    names = getattr(enums, f"{component}VariableName", None)
    return {v.value for v in names} if names else set()


def _instances(component: str) -> set[str]:
    names = getattr(enums, f"{component}InstanceName", None)
    return {v.value for v in names} if names else set()


@pytest.mark.parametrize(("key16", "key201"), sorted(KEYS_16_TO_201.items()))
def test_every_row_names_a_standardized_component_and_variable(key16, key201):
    components = {c.value for c in enums.ControllerComponentName} | {
        c.value for c in enums.PhysicalComponentName
    }
    component, _, variable = key201.partition(".")
    name, _, instance = variable.rstrip("]").partition("[")
    assert component in components, key201
    assert name in _variables(component), key201
    if instance:
        assert instance in _instances(component), key201


@pytest.mark.parametrize(
    ("key", "component", "variable"),
    [
        ("Connector.2.PhaseRotation", {"name": "Connector", "instance": "2"}, "PhaseRotation"),
        ("Connector/2.PhaseRotation", {"name": "Connector", "instance": "2"}, "PhaseRotation"),
        ("OCPPCommCtrlr.HeartbeatInterval", {"name": "OCPPCommCtrlr"}, "HeartbeatInterval"),
    ],
)
def test_a_component_instance_may_follow_a_dot(key, component, variable):
    item = body("2.0.1", "set_configuration", {"key": key, "value": "RST"})["setVariableData"][0]
    assert item["component"] == component and item["variable"] == {"name": variable}
