"""Block B, provisioning: base reports, custom reports, several variables, network profiles.

OCTT CSMS cases TC_B_12/13 (GetBaseReport Configuration/FullInventory), TC_B_42 (set a
network connection profile); SummaryInventory, GetReport with criteria and variable
instances and SetVariables of several variables follow use cases B07, B08 and B05.
"""

from datetime import UTC, datetime

import pytest
from ocpp.v201 import call

from stations.models import DeviceModelVariable
from tests.support.octt import only, station_on

pytestmark = [pytest.mark.protocol, pytest.mark.live, pytest.mark.django_db(transaction=True)]

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC).isoformat().replace("+00:00", "Z")
HEARTBEAT = {
    "component": {"name": "OCPPCommCtrlr"},
    "variable": {"name": "HeartbeatInterval"},
    "variable_attribute": [{"type": "Actual", "value": "300", "mutability": "ReadWrite"}],
    "variable_characteristics": {"data_type": "integer", "unit": "s", "supports_monitoring": True},
}
ITEMS = {
    "component": {"name": "DeviceDataCtrlr"},
    "variable": {"name": "ItemsPerMessage", "instance": "GetReport"},
    "variable_attribute": [{"value": "20", "mutability": "ReadOnly"}],
    "variable_characteristics": {"data_type": "integer", "supports_monitoring": False},
}


async def base_report(operator, report_base: str, name: str):
    """GetBaseReport for `report_base`, then the station's NotifyReport in two parts."""
    async with station_on(operator.address) as cp:
        status, command = await operator.command("CP-1", "get_base_report", report_base=name)
        request = only(cp, "GetBaseReport")
        parts = [
            call.NotifyReport(
                request_id=request["requestId"],
                generated_at=NOW,
                seq_no=0,
                tbc=True,
                report_data=[HEARTBEAT],
            ),
            call.NotifyReport(
                request_id=request["requestId"], generated_at=NOW, seq_no=1, report_data=[ITEMS]
            ),
        ]
        answers = [await cp.call(part, suppress=False) for part in parts]
    assert status == 201, command
    assert request["reportBase"] == report_base
    assert isinstance(request["requestId"], int)
    assert command["status"] == "accepted"
    assert command["response"] == {"status": "Accepted"}
    assert all(answer is not None for answer in answers)  # NotifyReportResponse: empty
    return request, command


async def reported(station_id="CP-1") -> dict:
    rows = DeviceModelVariable.objects.filter(station__station_id=station_id)
    return {(row.component, row.variable, row.variable_instance): row async for row in rows.all()}


async def test_TC_B_12_CSMS(operator):
    """Get Base Report - ConfigurationInventory: requested, accepted, NotifyReport stored."""
    request, command = await base_report(
        operator, "ConfigurationInventory", "configuration_inventory"
    )
    assert request["requestId"] == command["id"]  # the notifications name the command
    rows = await reported()
    heartbeat = rows[("OCPPCommCtrlr", "HeartbeatInterval", "")]
    assert (heartbeat.value, heartbeat.mutability, heartbeat.unit) == ("300", "ReadWrite", "s")
    items = rows[("DeviceDataCtrlr", "ItemsPerMessage", "GetReport")]
    assert (items.value, items.attribute_type, items.mutability) == ("20", "Actual", "ReadOnly")


async def test_TC_B_13_CSMS(operator):
    """Get Base Report - FullInventory."""
    await base_report(operator, "FullInventory", "FullInventory")
    assert len(await reported()) == 2


async def test_UC_B07_CSMS_summary_inventory(operator):
    """Get Base Report - SummaryInventory (use case B07; OCTT text not at hand)."""
    await base_report(operator, "SummaryInventory", "summary_inventory")


async def test_UC_B07_CSMS_report_base_not_supported(operator):
    """A station that does not support a base report answers NotSupported: stored as rejected."""
    async with station_on(operator.address) as cp:
        cp.answer["GetBaseReport"] = "NotSupported"
        status, command = await operator.command(
            "CP-1", "get_base_report", report_base="summary_inventory"
        )
    assert status == 201
    assert command["status"] == "rejected"
    assert command["response"] == {"status": "NotSupported"}


async def test_UC_B08_CSMS_get_report_with_criteria(operator):
    """GetReport with component criteria and component/variables, a variable instance
    among them (use case B08): the request carries both, the report is stored."""
    async with station_on(operator.address) as cp:
        status, command = await operator.command(
            "CP-1",
            "get_report",
            component_variables=[
                "DeviceDataCtrlr.ItemsPerMessage[GetReport]",
                {"component": "EVSE", "evse_id": 1},
            ],
            criteria=["problem", "Available"],
        )
        request = only(cp, "GetReport")
        answer = await cp.call(
            call.NotifyReport(
                request_id=request["requestId"], generated_at=NOW, seq_no=0, report_data=[ITEMS]
            ),
            suppress=False,
        )
    assert status == 201 and command["status"] == "accepted"
    assert request["componentCriteria"] == ["Problem", "Available"]
    assert request["componentVariable"] == [
        {
            "component": {"name": "DeviceDataCtrlr"},
            "variable": {"name": "ItemsPerMessage", "instance": "GetReport"},
        },
        {"component": {"name": "EVSE", "evse": {"id": 1}}},
    ]
    assert request["requestId"] == command["id"]
    assert answer is not None
    assert ("DeviceDataCtrlr", "ItemsPerMessage", "GetReport") in await reported()


async def test_UC_B08_CSMS_get_report_empty_result(operator):
    """GetReport answered EmptyResultSet: nothing to report, the question was understood."""
    async with station_on(operator.address) as cp:
        cp.replies["GetReport"] = {"status": "EmptyResultSet"}
        status, command = await operator.command("CP-1", "get_report", criteria=["problem"])
    assert status == 201 and command["status"] == "accepted"
    assert only(cp, "GetReport")["componentCriteria"] == ["Problem"]


async def test_TC_B_10_CSMS_set_several_variables(operator):
    """Set Variables - multiple values: one SetVariablesRequest, each variable answered."""
    async with station_on(operator.address) as cp:
        status, command = await operator.command(
            "CP-1",
            "set_variables",
            variables=[
                {"key": "OCPPCommCtrlr.HeartbeatInterval", "value": 120},
                {"key": "DeviceDataCtrlr.ItemsPerMessage[GetReport]", "value": "10"},
                {"key": "AuthCtrlr.AuthorizeRemoteStart", "value": "false"},
            ],
        )
    request = only(cp, "SetVariables")
    assert status == 201 and command["status"] == "accepted"
    assert request["setVariableData"] == [
        {
            "attributeValue": "120",
            "component": {"name": "OCPPCommCtrlr"},
            "variable": {"name": "HeartbeatInterval"},
        },
        {
            "attributeValue": "10",
            "component": {"name": "DeviceDataCtrlr"},
            "variable": {"name": "ItemsPerMessage", "instance": "GetReport"},
        },
        {
            "attributeValue": "false",
            "component": {"name": "AuthCtrlr"},
            "variable": {"name": "AuthorizeRemoteStart"},
        },
    ]
    assert len(command["response"]["setVariableResult"]) == 3


async def test_TC_B_10_CSMS_one_variable_rejected(operator):
    """A station that rejects one of several variables: the command is not accepted."""
    async with station_on(operator.address) as cp:
        cp.answer["SetVariables"] = "Rejected"
        status, command = await operator.command(
            "CP-1",
            "set_variables",
            variables={"OCPPCommCtrlr.HeartbeatInterval": 60, "TxCtrlr.EVConnectionTimeOut": 30},
        )
    assert status == 201 and command["status"] == "rejected"
    statuses = [item["attributeStatus"] for item in command["response"]["setVariableResult"]]
    assert statuses == ["Rejected", "Rejected"]


async def test_TC_B_42_CSMS(operator):
    """Set new NetworkConnectionProfile - Accepted: slot, URL, interface, JSON, OCPP20."""
    async with station_on(operator.address) as cp:
        status, command = await operator.command(
            "CP-1",
            "set_network_profile",
            configuration_slot=2,
            csms_url="wss://csms.example.com/ocpp/",
            security_profile=2,
            ocpp_interface="wired0",
            message_timeout=45,
        )
    request = only(cp, "SetNetworkProfile")
    assert status == 201 and command["status"] == "accepted"
    assert request == {
        "configurationSlot": 2,
        "connectionData": {
            "ocppVersion": "OCPP20",
            "ocppTransport": "JSON",
            "ocppCsmsUrl": "wss://csms.example.com/ocpp/",
            "messageTimeout": 45,
            "securityProfile": 2,
            "ocppInterface": "Wired0",
        },
    }


async def test_TC_B_42_CSMS_network_profile_for_16_is_refused(operator):
    """1.6 has no network profiles: 400 naming the version, nothing sent."""
    status, body = await operator.command(
        "CP-16",
        "set_network_profile",
        configuration_slot=1,
        csms_url="wss://x/",
        security_profile=1,
    )
    assert status == 400
    assert "1.6" in str(body)
